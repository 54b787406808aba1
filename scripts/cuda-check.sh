#!/usr/bin/env bash
# The CUDA backend's checks and benchmarks on a machine with an NVIDIA GPU but no .NET SDK.
#
#   scripts/cuda-check.sh pack          # here, with the SDK: writes artifacts/cuda-check/ (about 55 MB):
#                                       #   app/ (mosaic, framework-dependent), dotnet-runtime.tar.xz (this
#                                       #   machine's .NET runtime), map/ (the demo map of the bundled sample)
#   scripts/cuda-check.sh run [OUT]     # there, from the repository root with artifacts/cuda-check/ beside it:
#                                       #   unpacks the runtime to /tmp, runs `mosaic cuda check` (parity with the
#                                       #   CPU backend) and `mosaic bench render` on CUDA and on the CPU; logs in OUT
#
# The GPU machine needs the NVIDIA driver (libcuda.so.1) and NVRTC (a CUDA toolkit, or the nvidia-cuda-nvrtc
# Python wheel; set MOSAIC_NVRTC=/path/to/libnvrtc.so.12 when it is somewhere unusual).
set -euo pipefail
cd "$(dirname "$0")/.."
pack=artifacts/cuda-check

case "${1:-}" in
  pack)
    rm -rf "$pack" && mkdir -p "$pack"
    dotnet publish src/Mosaic.Cli -c Release -o "$pack/app" --nologo -v quiet
    dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
    runtime="$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/10.* | sort -V | tail -1)"
    tar -C "$dotnet_root" -cJf "$pack/dotnet-runtime.tar.xz" dotnet host "shared/Microsoft.NETCore.App/$(basename "$runtime")"
    dotnet "$pack/app/mosaic.dll" map build --bag tests/data/redkitchen-sample --tum tests/data/redkitchen-sample.tum \
      --body-frame "" --end 9.99 --params config/mapping.yaml --out "$pack/map"
    du -sh "$pack"
    ;;
  run)
    out="${2:-cuda-check-out}"
    mkdir -p "$out" /tmp/mosaic-dotnet
    tar -C /tmp/mosaic-dotnet -xJf "$pack/dotnet-runtime.tar.xz"
    export DOTNET_ROOT=/tmp/mosaic-dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 MOSAIC_CUDA_CACHE="$out/module-cache"
    mosaic() { /tmp/mosaic-dotnet/dotnet "$pack/app/mosaic.dll" "$@"; }
    (nvidia-smi || true) 2>&1 | tee "$out/nvidia-smi.txt"
    status=0
    mosaic cuda check --map "$pack/map" 2>&1 | tee "$out/cuda-check.txt" || status=$?
    mosaic bench render --backend cuda --gaussians 100000,500000,1000000 --repeats 20 2>&1 | tee "$out/bench-render-cuda.txt" || status=$?
    mosaic bench render --backend cpu --gaussians 100000 --repeats 3 2>&1 | tee "$out/bench-render-cpu.txt" || status=$?
    exit $status
    ;;
  *)
    echo "usage: $0 pack | run [OUT]" >&2
    exit 2
    ;;
esac
