#!/usr/bin/env bash
# The CUDA backend's checks and benchmarks on a machine with an NVIDIA GPU but no .NET SDK.
#
#   scripts/cuda-check.sh pack          # here, with the SDK: writes artifacts/cuda-check/ (about 46 MB):
#                                       #   app/ (mosaic, framework-dependent), dotnet-runtime.tar.xz (this
#                                       #   machine's .NET runtime), lib/ (zstd, lz4, turbojpeg), map/ (the demo
#                                       #   map of the bundled sample), tests/ (Mosaic.Rendering.Cuda.Tests) and
#                                       #   xunit/ (xUnit's console runner, which needs no SDK)
#   scripts/cuda-check.sh run [OUT [GROUP]]  # there, from the repository root with artifacts/cuda-check/ beside it:
#                                       #   unpacks the runtime to /tmp; compiles the kernels with nvcc for their
#                                       #   resource report (when nvcc is there); runs `mosaic cuda check` (parity
#                                       #   with the CPU backend) and the CUDA test project, GpuParityTests
#                                       #   included, through xUnit; `mosaic bench render` on CUDA (with a per-kernel
#                                       #   profile) and on the CPU, and compute-sanitizer's memcheck (when there);
#                                       #   then the real demo with CUDA and its evaluation on the CPU;
#                                       #   one log, OUT/cuda-check.log. GROUP (check, bench or demo) runs one part.
#
# The GPU machine needs the NVIDIA driver (libcuda.so.1) and NVRTC (a CUDA toolkit, or the nvidia-cuda-nvrtc
# Python wheel; set MOSAIC_NVRTC=/path/to/libnvrtc.so.12 when it is somewhere unusual).
set -euo pipefail
cd "$(dirname "$0")/.."
pack=artifacts/cuda-check

case "${1:-}" in
  pack)
    rm -rf "$pack" && mkdir -p "$pack"
    dotnet publish src/Mosaic.Cli -c Release -r linux-x64 --self-contained false -p:UseAppHost=false -o "$pack/app" --nologo -v quiet
    dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
    runtime="$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/10.* | sort -V | tail -1)"
    tar -C "$dotnet_root" -cJf "$pack/dotnet-runtime.tar.xz" dotnet host "shared/Microsoft.NETCore.App/$(basename "$runtime")"
    # The codecs the bag reader loads at run time (README "Two commands"), which a GPU image may lack.
    mkdir -p "$pack/lib"
    for lib in libzstd.so.1 liblz4.so.1 libturbojpeg.so.0; do
      cp -L "$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ { print $NF; exit }')" "$pack/lib/$lib"
    done
    # The CUDA tests with xUnit's console runner (a netcoreapp2.0 build: run with DOTNET_ROLL_FORWARD=Major).
    tests_out=tests/Mosaic.Rendering.Cuda.Tests/bin/Release/net10.0
    dotnet build tests/Mosaic.Rendering.Cuda.Tests -c Release --nologo -v quiet
    mkdir -p "$pack/tests/runtimes"
    cp "$tests_out"/*.dll "$tests_out"/*.json "$tests_out"/*.so "$pack/tests/"
    cp -r "$tests_out/runtimes/linux-x64" "$pack/tests/runtimes/"
    packages="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')"
    cp -r "$(ls -d "$packages"xunit.runner.console/*/tools/netcoreapp2.0 | sort -V | tail -1)" "$pack/xunit"
    dotnet "$pack/app/mosaic.dll" map build --bag tests/data/redkitchen-sample --tum tests/data/redkitchen-sample.tum \
      --body-frame "" --end 9.99 --params config/mapping.yaml --out "$pack/map"
    du -sh "$pack"
    ;;
  run)
    out="${2:-cuda-check-out}"
    mkdir -p "$out" /tmp/mosaic-dotnet
    tar -C /tmp/mosaic-dotnet -xJf "$pack/dotnet-runtime.tar.xz"
    export DOTNET_ROOT=/tmp/mosaic-dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 MOSAIC_CUDA_CACHE=/tmp/mosaic-module-cache
    export PATH="$PATH:/usr/local/cuda/bin"
    dotnet=/tmp/mosaic-dotnet/dotnet
    mosaic=(env LD_LIBRARY_PATH="$PWD/$pack/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$dotnet" "$pack/app/mosaic.dll")
    log="$out/cuda-check.log"
    status=0
    # Each step is bounded so that a hang in one still leaves the others' results.
    step() { local limit=$1; shift; echo "== $*" | tee -a "$log"; timeout "$limit" "$@" 2>&1 | tee -a "$log" || status=1; }
    group="${3:-all}"   # all, or one of: check, bench, demo
    want() { [[ $group == all || $group == "$1" ]]; }
    step 20 nvidia-smi
    if want check; then
      if command -v nvcc >/dev/null; then
        # The kernels' registers, stack and spills per kernel, from the same translation unit NVRTC compiles.
        for f in prelude_nvrtc.cuh mosaic_kernels.cuh project.cu bin.cu raster.cu reduce.cu; do
          printf '#line 1 "%s"\n' "$f"; cat "src/Mosaic.Rendering.Cuda/kernels/$f"
        done >/tmp/mosaic_kernels.cu
        step 120 nvcc -arch=sm_90 -std=c++17 -cubin -Xptxas -v -o /tmp/mosaic_kernels.cubin /tmp/mosaic_kernels.cu
      fi
      step 240 "${mosaic[@]}" cuda check --map "$pack/map"
      # The test project: the emulated device's tests and GpuParityTests on this GPU.
      step 300 env DOTNET_ROLL_FORWARD=Major LD_LIBRARY_PATH="$PWD/$pack/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        "$dotnet" "$pack/xunit/xunit.console.dll" "$pack/tests/Mosaic.Rendering.Cuda.Tests.dll" -verbose -nocolor
    fi
    if want bench; then
      step 240 "${mosaic[@]}" bench render --backend cuda --gaussians 100000,500000,1000000 --repeats 20 --profile
      # Views that see more of the room: pose 1 sees 1.6 % of the 1M Gaussians, poses 4 and 8 10-12 %.
      step 120 "${mosaic[@]}" bench render --backend cuda --gaussians 1000000 --pose-seed 4 --repeats 20 --profile
      step 120 "${mosaic[@]}" bench render --backend cuda --gaussians 1000000 --pose-seed 8 --repeats 20 --profile
      step 120 "${mosaic[@]}" bench render --backend cuda --map "$pack/map" --levels 0,1,2,3 --repeats 20 --profile
      # Again, for the spread between two runs of the same thing; and with 16-pixel tiles at every level.
      step 120 "${mosaic[@]}" bench render --backend cuda --map "$pack/map" --repeats 20
      step 120 "${mosaic[@]}" bench render --backend cuda --map "$pack/map" --repeats 20 --tile-size 16
      step 240 "${mosaic[@]}" bench render --backend cpu --gaussians 100000,1000000 --repeats 3
      step 120 "${mosaic[@]}" bench render --backend cpu --gaussians 1000000 --pose-seed 8 --repeats 3
      step 120 "${mosaic[@]}" bench render --backend cpu --map "$pack/map" --repeats 3
    fi
    if want demo; then
      # The real demo with compute.backend auto (CUDA here), then its evaluation again on the CPU backend.
      step 300 "${mosaic[@]}" demo --out /tmp/mosaic-demo
      sed 's/^\( *backend:\) auto/\1 cpu /' config/mosaic.yaml >/tmp/mosaic-cpu.yaml
      step 300 "${mosaic[@]}" eval --map /tmp/mosaic-demo/map --bag tests/data/redkitchen-sample --gt tests/data/redkitchen-sample.tum \
        --start 10 --step 3 --params /tmp/mosaic-cpu.yaml --out /tmp/mosaic-demo/eval-cpu
      cp /tmp/mosaic-demo/eval/metrics.json "$out/demo-cuda-metrics.json" || status=1
      cp /tmp/mosaic-demo/eval-rgbd/metrics.json "$out/demo-cuda-rgbd-metrics.json" || status=1
      cp /tmp/mosaic-demo/eval-cpu/metrics.json "$out/demo-cpu-metrics.json" || status=1
    fi
    if want check && command -v compute-sanitizer >/dev/null; then
      # Out-of-bounds and misaligned device accesses; the synthetic cases only, to bound the time.
      step 180 compute-sanitizer --tool memcheck --print-limit 20 "$dotnet" "$pack/app/mosaic.dll" cuda check
    fi
    exit $status
    ;;
  *)
    echo "usage: $0 pack | run [OUT]" >&2
    exit 2
    ;;
esac
