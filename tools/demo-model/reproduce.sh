#!/usr/bin/env bash
# Reproduces the demo model from fixed seeds on a CPU machine with Debian's PyTorch 1.13 (see README.md, "Training on
# the CPU"): data, tokenizer, held-out tasks, one training run from random weights (resumable: run this script again
# after a stop and it continues from data/fast-state.pt), export to models/k2-demo, PyTorch perplexity ids for the
# engine's comparison, the loss plot. About two hours on two cores with AMX (see docs/demo-model.md).
# Environment: K2_THREADS sets the torch threads (2).
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3          # Debian's python3-torch lives here, not under the pyenv python3 first on PATH
"$PY" -c "import torch, regex" || { echo "reproduce.sh: needs python3-torch and python3-regex under $PY (apt-get install python3-torch libopenblas0-pthread python3-regex python3-numpy)" >&2; exit 1; }

# Tokenizer: 2048 BPE ranks trained on 20,000 conversations (seed 1), then every rank that is a run of digits dropped
# (numbers are spelled one digit per token): 1414 ranks.
[ -f data/train.jsonl ] || "$PY" make_data.py --train 20000 --eval 500 --seed 1 --out data
[ -f data/tokenizer/tiktoken.model ] || "$PY" train_tokenizer.py --data data/train.jsonl --vocab 2048 --out data/tokenizer
[ -f data/tokenizer-digits/tiktoken.model ] || "$PY" split_digits.py --tokenizer data/tokenizer --tokenizer-out data/tokenizer-digits
# Held-out tasks: 500 from a seed training never uses, none of whose questions is in the first recipe's 80,000
# training conversations or in data/eval.jsonl (the exclusion keeps the file the one every earlier model was scored on).
[ -f data/big/train.jsonl ] || "$PY" make_data.py --train 80000 --eval 500 --seed 1 --out data/big
[ -f data/heldout.jsonl ] || "$PY" make_heldout.py --seed 20261206 --count 500 --exclude data/big/train.jsonl data/eval.jsonl --out data/heldout.jsonl
# Training data: 130,000 conversations (seed 7) with unit conversions weighted up (convert 14 -> 40, convert_arithmetic
# 8 -> 20); the ones that ask a held-out question are dropped.
[ -f data/fast/train.jsonl ] || "$PY" make_data.py --train 130000 --eval 500 --seed 7 --out data/fast --exclude data/heldout.jsonl \
  --weight convert=40 --weight convert_arithmetic=20

# Debian 12's OpenBLAS (0.3.21) does not know Zen 4 and falls back to a generic kernel: 40 GFLOP/s on two cores for a
# 2048^3 float32 matmul, against 160 with the Skylake-X (AVX-512) kernels it ships. jemalloc keeps freed tensor
# memory instead of returning it to the kernel (a third of the step was page faults).
export OPENBLAS_CORETYPE=SkylakeX
preload=""
[ -f /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ] && preload=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2

# One run from random weights (seed 7): 8000 steps of 16 conversations (128,000 of the 129,911 conversations, each seen once), bf16
# matmuls, warm-up to 2e-3 over 100 steps, cosine to 5%, held-out figures every 500 steps.
resume=(); [ -f data/fast-state.pt ] && resume=(--resume)
LD_PRELOAD="$preload" "$PY" train.py --train data/fast/train.jsonl --heldout data/eval.jsonl --tokenizer data/tokenizer-digits \
  --eval-tasks data/heldout.jsonl --threads "${K2_THREADS:-2}" --out ../../models/k2-demo --state data/fast-state.pt \
  --log train-fast.log --seed 7 --rows 16 --lr 2e-3 --warmup-steps 100 --steps 8000 --eval-every 500 --bf16 "${resume[@]}"

"$PY" perplexity.py --model ../../models/k2-demo --conversations data/heldout.jsonl --limit 64 --dump-ids data/ppl-ids.txt
"$PY" plot_log.py --log train-fast.log --out ../../docs/demo-model-loss.png
echo "then: k2 perplexity --model models/k2-demo --ids tools/demo-model/data/ppl-ids.txt   (within 1% of the line above)"
echo "      k2 eval demo --model models/k2-demo                                          (500 held-out tasks)"
