using Mosaic.Rendering.Tests;

namespace Mosaic.Rendering.Cuda.Tests;

/// <summary>The renderers <c>compute.backend</c> chooses, without a GPU.</summary>
public class ComputeBackendTests
{
    [Fact]
    public void The_cpu_backend_gets_no_coarse_renderer_from_the_backends_since_its_localizer_makes_its_own()
    {
        var map = TestScenes.RandomScene(1);
        var cpu = ComputeBackends.Create(map, ComputeBackend.Cpu);

        Assert.Null(ComputeBackends.CreateCoarse(cpu, map, 0.04, device: 0));
    }
}
