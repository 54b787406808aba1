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
}
