#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/K2Native.Fuzz (fuzz/README.md): first every committed seed through the target's
# property checks (replay, no AFL), then afl-fuzz on the seeds plus the inputs it derives from them, for
# FUZZ_SECONDS (default 30) per target, one target at a time. Exit 1 when a seed breaks a property or afl-fuzz
# records a crash (each crashing input is replayed to show the exception); hangs (inputs over the -t bound, which a
# loaded machine can cause) are listed but do not fail the run.
#   fuzz/run.sh [TARGET...]        default: every target
#   FUZZ_SECONDS=3600 fuzz/run.sh output-parser
#   FUZZ_EXECS=1000000 fuzz/run.sh config     # until about 10^6 inputs instead of for a time
# Needs afl-fuzz (Debian: afl++) and the sharpfuzz tool (SharpFuzz.CommandLine 2.3.0), which it installs into
# fuzz/.tools when missing. Findings and AFL's queues go to FUZZ_OUT (default fuzz/out, ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
out=${FUZZ_OUT:-fuzz/out}
timeout_ms=${FUZZ_TIMEOUT_MS:-5000}

if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "fuzz: afl-fuzz not found (Debian: apt-get install afl++)" >&2
  exit 1
fi
tools=fuzz/.tools
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

# A private copy of the build whose K2Native.dll SharpFuzz instruments (the solution's own build stays as it was).
bin="$out/bin"
rm -rf "$bin"
dotnet build fuzz/K2Native.Fuzz -c Release -o "$bin" -v quiet -nologo
"$tools/sharpfuzz" "$bin/K2Native.dll" >/dev/null

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(dotnet "$bin/k2fuzz.dll" list | awk '{print $1}')
fi

export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export K2_FUZZ_MODEL="$PWD/models/tiny-random"
failed=0
for target in "${targets[@]}"; do
  dotnet "$bin/k2fuzz.dll" "$target" replay "fuzz/corpus/$target" || { failed=1; continue; }
  dicts=(-x fuzz/dict/json.dict)
  [ "$target" = output-parser ] && dicts=(-x fuzz/dict/output-parser.dict)
  [[ "$target" == *-request ]] && dicts+=(-x fuzz/dict/openai.dict)
  rm -rf "${out:?}/$target"
  limit=(-V "$seconds")
  [ -n "${FUZZ_EXECS:-}" ] && limit=(-E "$FUZZ_EXECS")
  afl-fuzz -i "fuzz/corpus/$target" -o "$out/$target" "${dicts[@]}" -t "$timeout_ms" -m none "${limit[@]}" \
    -- dotnet "$bin/k2fuzz.dll" "$target" > "$out/$target.log" 2>&1 || true
  stats="$out/$target/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "fuzz: $target: afl-fuzz did not start; the end of its log:" >&2
    tail -n 20 "$out/$target.log" >&2
    failed=1
    continue
  fi
  execs=$(awk -F': *' '$1 ~ /^execs_done/ {print $2}' "$stats")
  elapsed=$(awk -F': *' '$1 ~ /^run_time/ {print $2}' "$stats")
  mapfile -t crashes < <(find "$out/$target/default/crashes" -type f -name 'id:*' 2>/dev/null)
  hangs=$(find "$out/$target/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
  echo "fuzz: $target: $execs inputs in ${elapsed:-$seconds} s, ${#crashes[@]} crashes, $hangs hangs (over ${timeout_ms} ms)"
  for crash in "${crashes[@]}"; do
    echo "fuzz: $target: crash $crash:" >&2
    dotnet "$bin/k2fuzz.dll" "$target" replay "$crash" >&2 || true
    failed=1
  done
done
exit $failed
