using Mosaic.Core.Maps;
using Mosaic.Rendering.Tests;

namespace Mosaic.Rendering.Cuda.Tests;

/// <summary>A test that needs a usable CUDA GPU; elsewhere it is skipped and says why.</summary>
public sealed class GpuFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        try
        {
            CudaDevice.Open(new CudaOptions()).Dispose();
            return null;
        }
        catch (CudaException e)
        {
            return e.Message;
        }
    });

    public GpuFactAttribute()
    {
        if (Unavailable.Value is { } reason)
            Skip = $"needs a CUDA GPU: {reason}";
    }
}

/// <summary>
/// The real CUDA backend against the CPU backend: the same checks as on the emulated device, plus
/// poisoned outputs and repeated runs, which on a GPU catch unwritten memory and races.
/// scripts/cuda-check.sh runs these on a GPU machine through xUnit's console runner.
/// </summary>
[Collection(nameof(RealMap))]
public class GpuParityTests(RealMap real)
{
    [GpuFact]
    public void Random_scenes_match_the_cpu_on_the_gpu()
    {
        for (int seed = 1; seed <= 5; seed++)
        {
            foreach (var (map, pose, camera, query) in ParityHarness.RandomCases(seed))
            {
                using var cuda = CudaLabelRenderer.Create(map);
                cuda.PoisonOutputs = true;
                var cpu = new CpuLabelRenderer<float>(map);
                ParityHarness.Matches(cuda, cpu, pose, camera, query);
            }
        }
    }

    [GpuFact]
    public void A_real_map_matches_the_cpu_on_the_gpu_and_repeats_bit_for_bit()
    {
        var map = real.Map.Gaussians;
        using var cuda = CudaLabelRenderer.Create(map);
        cuda.PoisonOutputs = true;
        var cpu = new CpuLabelRenderer<float>(map);
        var pose = real.Map.Keyframes!.Keyframes[3].MapFromCamera.Inverse();
        var query = real.QueryAt(3);
        ParityHarness.Matches(cuda, cpu, pose, real.Camera, query);
        Assert.Empty(BackendParity.Repeatability(cuda, pose, real.Camera, query, runs: 10));
    }

    [GpuFact]
    public void The_coarse_copy_of_a_real_map_is_rendered_on_the_gpu_with_the_cpus_loss()
    {
        var map = real.Map.Gaussians;
        var chosen = ComputeBackends.Create(map, ComputeBackend.Cuda);
        using var full = (CudaLabelRenderer)chosen.Renderer;
        using var coarse = ComputeBackends.CreateCoarse(chosen, map, 0.04, device: 0);
        var camera = real.Camera.AtLevel(2);
        var pose = real.Map.Keyframes!.Keyframes[3].MapFromCamera.Inverse();
        var query = real.QueryAt(3).Downsample(4);

        Assert.NotNull(coarse);
        var onGpu = coarse.Evaluate(pose, camera, query, withGradient: false);
        var onCpu = new CpuLabelRenderer<float>(map.Coarsened(0.04)).Evaluate(pose, camera, query, withGradient: false);
        Assert.Equal(onCpu.VisibleGaussians, onGpu.VisibleGaussians);
        Assert.True(onGpu.VisibleGaussians < full.Evaluate(pose, camera, query, withGradient: false).VisibleGaussians / 2, "the coarse copy has far fewer Gaussians");
        Assert.True(Math.Abs(onGpu.Loss - onCpu.Loss) <= BackendParity.LossTolerance * (1 + onCpu.Loss), $"loss {onGpu.Loss} on the GPU, {onCpu.Loss} on the CPU");
        // Not the label weights or the gradient: in this view two of the coarse copy's Gaussians, of two
        // labels, lie 45 nm apart in depth, and rounding decides their order. Float and double on the CPU
        // differ there as much as the GPU: the same A and depth, weight moved between the two labels
        // (docs/cuda.md).
    }
}

