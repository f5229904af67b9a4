#!/usr/bin/env bash
# Reproduces the earlier demo model, stage 6 of six (the bundled default until the one-run recipe of reproduce.sh
# replaced it; docs/demo-model.md), from fixed seeds on a CPU machine with Debian's PyTorch 1.13 (see README.md,
# "Training on the CPU"): data, tokenizer, held-out tasks, training (resumable: run this script again after a stop and
# it continues from the stage's state file), export to data/stage6-model, PyTorch perplexity ids, the six-stage plot.
# Environment: K2_THREADS sets the torch threads (2).
set -euo pipefail
cd "$(dirname "$0")"
source ./reproduce-common.sh   # interpreter check, seed-1 data and tokenizer, held-out tasks, environment, $shared

common=("${shared[@]}" --tokenizer data/tokenizer)          # stages 1-4
digits=("${shared[@]}" --tokenizer data/tokenizer-digits)   # stages 5-6: numbers one digit per token

# Stage 1: 1000 steps of a 1200-step schedule (16 conversations a step, lr 2e-3) on the 20,000 conversations.
if [ ! -f data/stage1/model.safetensors ]; then
  resume=(); [ -f data/stage1-state.pt ] && resume=(--resume)
  LD_PRELOAD="$preload" "$PY" train.py --train data/train.jsonl "${common[@]}" --out data/stage1 --state data/stage1-state.pt --log train-stage1.log \
    --steps 1200 --stop-at 1000 "${resume[@]}"
fi
# Stage 2: from stage 1's weights (fresh optimizer), 2200 steps on the 80,000 conversations: warm-up to 2e-3 again
# over 50 steps, cosine to 5%.
if [ ! -f data/stage2/model.safetensors ]; then
  resume=(); [ -f data/train-state.pt ] && resume=(--resume)
  LD_PRELOAD="$preload" "$PY" train.py --train data/big/train.jsonl "${common[@]}" --out data/stage2 \
    --state data/train-state.pt --log train.log --init data/stage1 --rows 16 --lr 2e-3 --warmup-steps 50 --steps 2200 \
    "${resume[@]}"
fi
# Stages 3 and 4 were each planned for more steps and shortened during the run (a resume with a smaller --steps, which
# moves the end of the cosine schedule); shortened_stage repeats that: STATE is the stage's state file, PLANNED the
# steps first scheduled, STOP the step at which the run was resumed with FINAL steps, the rest its train.py arguments.
# Call it inside an `if`, not after `||`, where bash would turn errexit off for its whole body.
shortened_stage() {
  local state=$1 planned=$2 stop=$3 final=$4
  shift 4
  [ -f "$state" ] || LD_PRELOAD="$preload" "$PY" train.py --state "$state" "$@" --steps "$planned" --stop-at "$stop"
  LD_PRELOAD="$preload" "$PY" train.py --state "$state" "$@" --steps "$final" --resume
}
# Stage 3: from stage 2's weights (fresh optimizer, seed 3), the same data at a quarter of the learning rate: warm-up to
# 4e-4 over 30 steps, cosine to 5%; planned for 1500 steps, shortened to 1300 at step 1008.
if [ ! -f data/stage3/model.safetensors ]; then
  shortened_stage data/stage3-state.pt 1500 1008 1300 \
    --train data/big/train.jsonl "${common[@]}" --out data/stage3 --log train-stage3.log --init data/stage2 --seed 3 \
    --rows 16 --lr 4e-4 --warmup-steps 30
fi
# Stage 4: from stage 3's weights (fresh optimizer, seed 4), the same data: warm-up to 3e-4 over 30 steps, cosine to
# 5%; planned for 2000 steps, shortened to 1800 at step 1053.
if [ ! -f data/stage4/model.safetensors ]; then
  shortened_stage data/stage4-state.pt 2000 1053 1800 \
    --train data/big/train.jsonl "${common[@]}" --out data/stage4 --log train-stage4.log --init data/stage3 --seed 4 \
    --rows 16 --lr 3e-4 --warmup-steps 30
fi
# Stage 5: numbers one digit per token. split_digits.py drops the ranks of stage 4's tokenizer that are runs of digits
# (634 of 2048) and the matching rows of the embedding and lm_head, every other tensor kept byte for byte; 40,000 new
# conversations (seed 5; none asks a held-out question); from those weights, fresh optimizer, seed 5: warm-up to 8e-4
# over 30 steps, cosine to 5%, 2000 steps.
[ -f data/stage5/train.jsonl ] || "$PY" make_data.py --train 40000 --eval 500 --seed 5 --out data/stage5 --exclude data/heldout.jsonl
[ -f data/stage4-digits/model.safetensors ] || "$PY" split_digits.py --model data/stage4 --tokenizer-out data/tokenizer-digits --out data/stage4-digits
if [ ! -f data/stage5-model/model.safetensors ]; then
  resume=(); [ -f data/stage5-state.pt ] && resume=(--resume)
  LD_PRELOAD="$preload" "$PY" train.py --train data/stage5/train.jsonl "${digits[@]}" --out data/stage5-model \
    --state data/stage5-state.pt --log train-stage5.log --init data/stage4-digits --seed 5 --rows 16 --lr 8e-4 \
    --warmup-steps 30 --steps 2000 "${resume[@]}"
fi
# Stage 6: unit conversions, the most failed family, weighted up (convert 14 -> 40, convert_arithmetic 8 -> 20, so
# 39% of the conversations instead of 23%) in 40,000 new conversations (seed 6); from stage 5's weights, fresh
# optimizer, seed 6: warm-up to 2.5e-4 over 100 steps, cosine to 5%, 1800 steps.
[ -f data/stage6/train.jsonl ] || "$PY" make_data.py --train 40000 --eval 500 --seed 6 --out data/stage6 --exclude data/heldout.jsonl \
  --weight convert=40 --weight convert_arithmetic=20
resume=(); [ -f data/stage6-state.pt ] && resume=(--resume)
LD_PRELOAD="$preload" "$PY" train.py --train data/stage6/train.jsonl "${digits[@]}" --out data/stage6-model \
  --state data/stage6-state.pt --log train-stage6.log --init data/stage5-model --seed 6 --rows 16 --lr 2.5e-4 \
  --warmup-steps 100 --steps 1800 "${resume[@]}"

"$PY" perplexity.py --model data/stage6-model --conversations data/heldout.jsonl --limit 64 --dump-ids data/ppl-ids.txt
"$PY" plot_log.py --log train-stage1.log train.log train-stage3.log train-stage4.log train-stage5.log train-stage6.log --out ../../docs/demo-model-loss-six-stages.png
echo "then: k2 perplexity --model tools/demo-model/data/stage6-model --ids tools/demo-model/data/ppl-ids.txt   (within 1% of the line above)"
echo "      k2 eval demo --model tools/demo-model/data/stage6-model                      (500 held-out tasks)"
