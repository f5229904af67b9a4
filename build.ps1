# Thin wrapper over cmake and dotnet, so the same steps run on Windows and Linux (pwsh).
# Usage: ./build.ps1 [-Configuration Release] [-Test] [-Native]
param(
    [string]$Configuration = "Release",
    [switch]$Test,
    [switch]$Native
)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot

if ($Native) {
    cmake -S native -B native/build -DCMAKE_BUILD_TYPE=$Configuration
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    cmake --build native/build --config $Configuration
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

dotnet build K2Native.sln -c $Configuration
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }

if ($Test) {
    dotnet test K2Native.sln -c $Configuration --no-build
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}
