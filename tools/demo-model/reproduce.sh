#!/usr/bin/env bash
# Reproduces the demo model from fixed seeds on a CPU machine with Debian's PyTorch 1.13 (see README.md, "Training on
# the CPU"): data, tokenizer, held-out tasks, training (resumable: run this script again after a stop and it continues
# from data/train-state.pt), export to models/k2-demo, PyTorch perplexity ids for the engine's comparison.
# Environment: K2_TRAIN_STEPS overrides the step count (the schedule ends there); K2_THREADS the torch threads (2).
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3          # Debian's python3-torch lives here, not under the pyenv python3 first on PATH
"$PY" -c "import torch, regex" || { echo "reproduce.sh: needs python3-torch and python3-regex under $PY (apt-get install python3-torch libopenblas0-pthread python3-regex python3-numpy)" >&2; exit 1; }

[ -f data/train.jsonl ] || "$PY" make_data.py --train 20000 --eval 500 --seed 1 --out data
[ -f data/tokenizer/tiktoken.model ] || "$PY" train_tokenizer.py --data data/train.jsonl --vocab 2048 --out data/tokenizer
[ -f data/heldout.jsonl ] || "$PY" make_heldout.py --seed 20261206 --count 500 --exclude data/train.jsonl data/eval.jsonl --out data/heldout.jsonl

# jemalloc keeps freed tensor memory instead of returning it to the kernel (a third of the step was page faults).
preload=""
[ -f /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ] && preload=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
resume=()
[ -f data/train-state.pt ] && resume=(--resume)
steps=()
[ -n "${K2_TRAIN_STEPS:-}" ] && steps=(--steps "$K2_TRAIN_STEPS")
LD_PRELOAD="$preload" "$PY" train.py --train data/train.jsonl --heldout data/eval.jsonl --tokenizer data/tokenizer \
  --eval-tasks data/heldout.jsonl --out ../../models/k2-demo --log train.log --state data/train-state.pt \
  --threads "${K2_THREADS:-2}" "${resume[@]}" "${steps[@]}"

"$PY" perplexity.py --model ../../models/k2-demo --conversations data/heldout.jsonl --limit 64 --dump-ids data/ppl-ids.txt
"$PY" plot_log.py --log train.log --out ../../docs/demo-model-loss.png
echo "then: k2 perplexity --model models/k2-demo --ids tools/demo-model/data/ppl-ids.txt   (within 1% of the line above)"
echo "      k2 eval demo --model models/k2-demo                                          (500 held-out tasks)"
