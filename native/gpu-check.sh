#!/usr/bin/env bash
# Prepares the first GPU run of the CUDA kernel pack as one folder, .gpu-check/ (ignored by git), on a machine with
# the CUDA 11.8 toolkit and the .NET SDK but no GPU, so that the GPU machine needs neither:
#   libk2native.so and k2info  built for sm_80 and sm_90 with compute_90 PTX (a newer driver JITs it for newer GPUs)
#   k2/                        `k2` published self-contained, single-file (no .NET on the GPU machine)
#   fixtures/tiny-k2           the checkpoint and transformers' reference logits and greedy ids
#   run.sh                     native/tests/gpu-run.sh: every check in one command, summary and logs under $OUT
# Then it tests the folder up to the GPU boundary here: k2 starts with no SDK on PATH (and its CPU logits on the
# fixture match transformers', greedy generation runs), k2info exits 2 with its
# no-GPU message, compare-backends --backend cuda fails with its one-line message, and the folder together with the
# tracked files fits the device tool's 64 MiB working tree (the folder travels with the checkout) with 4 MiB to spare.
# Usage: native/gpu-check.sh   (K2_FIXTURES=/path/to/fixtures if ../shared/fixtures is not there)
# On the GPU machine: OUT=/somewhere .gpu-check/run.sh   (docs/cuda.md: "The first GPU run")
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.gpu-check
fixtures="${K2_FIXTURES:-../shared/fixtures}"
fail() { echo "gpu-check: $*" >&2; exit 1; }
[ -f "$fixtures/tiny-k2/reference/logits.f32" ] || fail "no fixtures at $fixtures (set K2_FIXTURES)"
command -v nvcc >/dev/null 2>&1 || fail "nvcc not found: install Debian's nvidia-cuda-toolkit and clang-14 (.ci/run shows how)"
command -v dotnet >/dev/null 2>&1 || fail "dotnet not found: the .NET 10 SDK publishes k2"

echo "gpu-check: building libk2native (sm_80, sm_90, compute_90 PTX)"
cmake -S native -B native/build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_HOST_COMPILER=clang++-14 >/dev/null
cmake --build native/build -j 2 >/dev/null
rm -rf "$dir"
mkdir -p "$dir/fixtures"
cp native/build/libk2native.so native/build/k2info "$dir/"
elf="$(cuobjdump --list-elf "$dir/libk2native.so" | grep -o 'sm_[0-9]*' | sort -u | tr '\n' ' ')"
ptx="$(cuobjdump --list-ptx "$dir/libk2native.so" | grep -o 'sm_[0-9]*' | sort -u | tr '\n' ' ')"
[[ "$elf" == *sm_80* && "$elf" == *sm_90* && "$ptx" == *sm_90* ]] || fail "libk2native.so holds cubins for '$elf' and PTX for '$ptx'; sm_80, sm_90 and compute_90 PTX expected"

echo "gpu-check: publishing k2 (self-contained, single file)"
# Trimmed (framework assemblies only: TrimMode=partial keeps K2Native and K2Bench whole, and reflection-based JSON
# stays on) and without ICU (the GPU machine may have no libicu): 51 MiB -> about 20. The bare-PATH checks below run
# the trimmed k2 on every code path the GPU run takes, on the CPU backend.
dotnet publish src/K2Bench -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true \
  -p:DebugType=none -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
  -p:ILLinkTreatWarningsAsErrors=false -p:JsonSerializerIsReflectionEnabledByDefault=true -p:InvariantGlobalization=true \
  -o "$dir/k2" >/dev/null
# Every GPU check runs on the fixture: the bundled demo checkpoint (models/, several MB) would only eat into the
# device tool's 64 MiB, so it stays behind.
rm -rf "$dir/k2/models"
cp -r "$fixtures/tiny-k2" "$dir/fixtures/"
cp native/tests/gpu-run.sh "$dir/run.sh"

echo "gpu-check: testing the folder up to the GPU boundary"
# A PATH with a shell and nothing else (on Debian /usr/bin/dotnet is a link to the SDK, so /usr/bin will not do).
barebin="$(mktemp -d)"
trap 'rm -rf "$barebin"' EXIT
ln -s "$(command -v sh)" "$barebin/sh"
bare=(env -i "HOME=${HOME:-/tmp}" "PATH=$barebin" "K2NATIVE_LIBRARY=$PWD/$dir/libk2native.so")
"${bare[@]}" "$barebin/sh" -c 'command -v dotnet' >/dev/null && fail "dotnet is on the bare PATH; the check would not show that k2 runs without it"
"${bare[@]}" "$dir/k2/k2" --help >/dev/null 2>&1 || [ $? -eq 1 ] || fail "the published k2 does not start without the SDK"
"${bare[@]}" "$dir/k2/k2" tokenize --model "$dir/fixtures/tiny-k2" --text "gpu check" >/dev/null || fail "the published k2 cannot tokenize with the fixture"
fx="$dir/fixtures/tiny-k2"
"${bare[@]}" "$dir/k2/k2" logits --model "$fx" --backend cpu --tokens "$(cat "$fx/reference/logits_tokens.txt")" --out "$dir/.logits.f32" \
  --reference "$fx/reference/logits.f32" --tolerance 1e-2 >/dev/null || fail "the published k2's CPU logits on the fixture miss transformers'"
rm -f "$dir/.logits.f32"
"${bare[@]}" "$dir/k2/k2" generate --model "$fx" --tokens "1 2 3" --temperature 0 --max-tokens 4 --print-ids --int4-activations Float32 \
  >/dev/null || fail "the published k2 cannot generate greedily on the fixture"
set +e
info="$("${bare[@]}" "$dir/k2info" 2>&1)"; info_status=$?
compare="$("${bare[@]}" "$dir/k2/k2" compare-backends --backend cuda 2>&1)"; compare_status=$?
set -e
if nvidia-smi >/dev/null 2>&1; then
  echo "gpu-check: a GPU is here: run OUT=/tmp/gpu-check $dir/run.sh"
else
  [ "$info_status" -eq 2 ] && grep -q "no usable CUDA GPU" <<< "$info" || fail "k2info: exit $info_status, expected 2 with 'no usable CUDA GPU': $info"
  [ "$compare_status" -ne 0 ] && [ "$(wc -l <<< "$compare")" -eq 1 ] && grep -q -- "--backend cuda" <<< "$compare" \
    || fail "compare-backends --backend cuda: exit $compare_status with '$compare'; expected one line naming --backend cuda"
  echo "gpu-check: no GPU here: k2info exits 2 ($(tail -1 <<< "$info")); compare-backends says: $compare"
fi
size=$(du -sm "$dir" | cut -f1)
tracked=$(( $(git ls-files -z | xargs -0 cat 2>/dev/null | wc -c) / 1048576 + 1 ))
[ $((size + tracked)) -le 60 ] \
  || fail "$dir is $size MiB and the tracked files $tracked MiB: together they must stay within 60 of the device tool's 64 MiB"
echo "gpu-check: $dir is ready ($size MiB, with $tracked MiB of tracked files): carry it to the GPU machine and run OUT=/some/dir $dir/run.sh"
