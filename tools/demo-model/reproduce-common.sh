# Sourced by reproduce.sh and reproduce-six-stages.sh (from this folder): what both recipes share. Checks the
# interpreter, makes the data both use, sets the BLAS and allocator environment and the train.py arguments every run
# takes ($shared).
PY=/usr/bin/python3          # Debian's python3-torch lives here, not under the pyenv python3 first on PATH
"$PY" -c "import torch, regex" || { echo "$(basename "$0"): needs python3-torch and python3-regex under $PY (apt-get install python3-torch libopenblas0-pthread python3-regex python3-numpy)" >&2; exit 1; }

# Data: 20,000 conversations (seed 1; the tokenizer's 2048 BPE ranks are trained on these), 80,000 (the same seed,
# their first 20,000 the same ones; the six stages' second to fourth stages train on them), and 500 held-out tasks
# from another seed, none of whose questions is in either set or in data/eval.jsonl.
[ -f data/train.jsonl ] || "$PY" make_data.py --train 20000 --eval 500 --seed 1 --out data
[ -f data/big/train.jsonl ] || "$PY" make_data.py --train 80000 --eval 500 --seed 1 --out data/big
[ -f data/tokenizer/tiktoken.model ] || "$PY" train_tokenizer.py --data data/train.jsonl --vocab 2048 --out data/tokenizer
[ -f data/heldout.jsonl ] || "$PY" make_heldout.py --seed 20261206 --count 500 --exclude data/big/train.jsonl data/eval.jsonl --out data/heldout.jsonl

# Debian 12's OpenBLAS (0.3.21) does not know Zen 4 and falls back to a generic kernel: 40 GFLOP/s on two cores for a
# 2048^3 float32 matmul, against 160 with the Skylake-X (AVX-512) kernels it ships. jemalloc keeps freed tensor
# memory instead of returning it to the kernel (a third of the step was page faults).
export OPENBLAS_CORETYPE=SkylakeX
preload=""
[ -f /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ] && preload=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
shared=(--heldout data/eval.jsonl --eval-tasks data/heldout.jsonl --threads "${K2_THREADS:-2}")
