#!/usr/bin/env bash
# Reproduces the demo model from fixed seeds on a CPU machine with Debian's PyTorch 1.13 (see README.md, "Training on
# the CPU"): data, tokenizer, held-out tasks, one training run from random weights (resumable: run this script again
# after a stop and it continues from data/fast-state.pt), export to models/k2-demo, PyTorch perplexity ids for the
# engine's comparison, the loss plot. About two hours on two cores with AMX (see docs/demo-model.md).
# Environment: K2_THREADS sets the torch threads (2).
set -euo pipefail
cd "$(dirname "$0")"
source ./reproduce-common.sh   # interpreter check, seed-1 data and tokenizer, held-out tasks, environment, $shared

# Tokenizer: the 2048 ranks with every rank that is a run of digits dropped (numbers are spelled one digit per
# token): 1414 ranks.
[ -f data/tokenizer-digits/tiktoken.model ] || "$PY" split_digits.py --tokenizer data/tokenizer --tokenizer-out data/tokenizer-digits
# Training data: 130,000 conversations (seed 7) with unit conversions weighted up (convert 14 -> 40, convert_arithmetic
# 8 -> 20); the ones that ask a held-out question are dropped.
[ -f data/fast/train.jsonl ] || "$PY" make_data.py --train 130000 --eval 500 --seed 7 --out data/fast --exclude data/heldout.jsonl \
  --weight convert=40 --weight convert_arithmetic=20

# One run from random weights (seed 7): 8000 steps of 16 conversations (128,000 of the 129,911, each seen once),
# bf16 matmuls, warm-up to 2e-3 over 100 steps, cosine to 5%, held-out figures every 500 steps.
resume=(); [ -f data/fast-state.pt ] && resume=(--resume)
LD_PRELOAD="$preload" "$PY" train.py --train data/fast/train.jsonl "${shared[@]}" --tokenizer data/tokenizer-digits \
  --out ../../models/k2-demo --state data/fast-state.pt --log train-fast.log --seed 7 --rows 16 --lr 2e-3 \
  --warmup-steps 100 --steps 8000 --eval-every 500 --bf16 "${resume[@]}"

"$PY" perplexity.py --model ../../models/k2-demo --conversations data/heldout.jsonl --limit 64 --dump-ids data/ppl-ids.txt
"$PY" plot_log.py --log train-fast.log --out ../../docs/demo-model-loss.png
echo "then: k2 perplexity --model models/k2-demo --ids tools/demo-model/data/ppl-ids.txt   (within 1% of the line above)"
echo "      k2 eval demo --model models/k2-demo                                          (500 held-out tasks)"
