#!/usr/bin/env bash
# The first GPU run of the CUDA kernel pack, in one command, on a machine with an NVIDIA GPU and driver but no
# compiler, SDK or .NET. native/gpu-check.sh prepares its folder (this script as run.sh, libk2native.so, k2info,
# a self-contained k2, the tiny-k2 fixture) and copies it here. Usage, from anywhere:
#   OUT=/some/dir .gpu-check/run.sh
# Steps (each logged; about 3 minutes on an H100, 8 at most): k2info; compare-backends --backend cuda, every case,
# then again with --graphs (replays bit-identical to eager launches); fixture logits against transformers
# (relative L2 <= 1e-2); greedy ids CUDA (eager and with graphs) = CPU Float32; compute-sanitizer memcheck and
# racecheck on a reduced compare set; k2 bench kernels --backend cuda --json. Writes summary.txt and seven
# logs under $OUT; exit status 1 if any step fails.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:?set OUT to the folder that receives the summary and logs}"
mkdir -p "$out"
export K2NATIVE_LIBRARY="$here/libk2native.so" DOTNET_CLI_TELEMETRY_OPTOUT=1
k2="$here/k2/k2"
fixture="$here/fixtures/tiny-k2"
summary="$out/summary.txt"
: > "$summary"
failures=0

# step NAME LOG COMMAND...: runs the command with a time limit, appends its output to LOG, records PASS/FAIL.
step() {
  local name="$1" log="$2" limit="$3"; shift 3
  local started=$SECONDS status
  echo "== $name: $*" >> "$log"
  timeout "$limit" "$@" >> "$log" 2>&1
  status=$?
  if [ "$status" -eq 0 ]; then
    echo "PASS  $name ($((SECONDS - started)) s)" >> "$summary"
  else
    echo "FAIL  $name (exit $status after $((SECONDS - started)) s; see $(basename "$log"))" >> "$summary"
    failures=$((failures + 1))
  fi
}

step "k2info" "$out/k2info.txt" 30 "$here/k2info"
nvidia-smi >> "$out/k2info.txt" 2>&1 || true
step "compare-backends, every case" "$out/compare.txt" 150 "$k2" compare-backends --backend cuda
step "compare-backends --graphs" "$out/compare.txt" 150 "$k2" compare-backends --backend cuda --graphs

tokens="$(cat "$fixture/reference/logits_tokens.txt")"
step "logits vs transformers (rel L2 <= 1e-2)" "$out/logits.txt" 60 \
  "$k2" logits --model "$fixture" --backend cuda --tokens "$tokens" --out "$out/.logits.f32" --reference "$fixture/reference/logits.f32" --tolerance 1e-2
rm -f "$out/.logits.f32"

# Greedy ids: CPU with exact Float32 INT4 products (its default Int16 activations round) against CUDA, eager and
# with graphs, on the fixture's prompts.
greedy() {
  local prompts line cpu cuda graphs status=0
  prompts="$(grep -o '"prompt": *\[[^]]*\]' "$fixture/reference/greedy.json" | sed 's/.*\[//; s/\]//; s/,/ /g')"
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    local args=(generate --model "$fixture" --tokens "$line" --temperature 0 --max-tokens 32 --print-ids)
    cpu="$("$k2" "${args[@]}" --backend cpu --int4-activations Float32)" || return 1
    cuda="$("$k2" "${args[@]}" --backend cuda)" || return 1
    graphs="$("$k2" "${args[@]}" --backend cuda --graphs)" || return 1
    echo "prompt: $line"; echo "cpu:    $cpu"; echo "cuda:   $cuda"; echo "graphs: $graphs"
    if [ "$cpu" != "$cuda" ] || [ "$cuda" != "$graphs" ]; then echo "MISMATCH"; status=1; fi
  done <<< "$prompts"
  return $status
}
step "greedy ids: CUDA = CUDA with graphs = CPU Float32" "$out/greedy.txt" 90 greedy

sanitizer="$(command -v compute-sanitizer || true)"
[ -n "$sanitizer" ] || [ ! -x "$here/compute-sanitizer/compute-sanitizer" ] || sanitizer="$here/compute-sanitizer/compute-sanitizer"
if [ -n "$sanitizer" ]; then
  # A reduced set: every kernel once at small, adversarial shapes (the tools slow kernels 10-100x).
  reduced="T=7 N=5 K=64|T=37 N=70|rmsnorm [7, 128]|silu-mul|gather rows|rope q|causal attention T=37|tiny, kv_b|block 16, keys 1..40|route 16 experts|route 256 experts|16 x top-4, 33 tokens|bf16 12 x top-3"
  for tool in memcheck racecheck; do
    step "compute-sanitizer $tool (reduced set)" "$out/sanitizer.txt" 150 \
      "$sanitizer" --tool "$tool" --error-exitcode 99 "$k2" compare-backends --backend cuda --filter "$reduced"
  done
else
  echo "FAIL  compute-sanitizer: not found on PATH nor in $here" >> "$summary"
  failures=$((failures + 1))
fi

step "bench kernels --backend cuda" "$out/bench.txt" 120 "$k2" bench kernels --backend cuda --json "$out/bench.json" --repeat 5

echo "$failures failed step(s)" >> "$summary"
cat "$summary"
[ "$failures" -eq 0 ]
