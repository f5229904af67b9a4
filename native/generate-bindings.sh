#!/usr/bin/env bash
# Regenerates the C# P/Invoke bindings (src/K2Native/Backends/Cuda/Native/Generated) from native/include/k2native.h with
# ClangSharpPInvokeGenerator 16 (options in native/bindings.rsp). The tool is not on the NuGet feed this project
# uses: install or build it yourself (docs/cuda.md says how) and put it on PATH, or point CLANGSHARP at it.
# Run from anywhere; commit the regenerated files together with the header change.
set -euo pipefail
cd "$(dirname "$0")/.."
tool="${CLANGSHARP:-ClangSharpPInvokeGenerator}"
if ! command -v "$tool" >/dev/null 2>&1; then
  echo "generate-bindings: '$tool' not found; install ClangSharpPInvokeGenerator 16 or set CLANGSHARP=/path/to/it" >&2
  exit 1
fi
rm -rf src/K2Native/Backends/Cuda/Native/Generated
"$tool" @native/bindings.rsp
echo "generate-bindings: wrote $(ls src/K2Native/Backends/Cuda/Native/Generated | wc -l) files to src/K2Native/Backends/Cuda/Native/Generated"
