using Mosaic.Rendering.Tests;

namespace Mosaic.Rendering.Cuda.Tests;

/// <summary><c>compute.backend</c>: auto falls back to the CPU with the reason, cuda refuses to, cpu never tries.</summary>
public class BackendSelectionTests
{
    private static readonly CudaOptions NoDriver = new() { DriverLibrary = "/nonexistent/libcuda.so.1" };

    [Theory]
    [InlineData("auto", ComputeBackend.Auto)]
    [InlineData("CPU", ComputeBackend.Cpu)]
    [InlineData(" cuda ", ComputeBackend.Cuda)]
    [InlineData("gpu", null)]
    public void Backend_names_parse_case_insensitively(string text, ComputeBackend? expected) => Assert.Equal(expected, ComputeBackends.Parse(text));

    [Fact]
    public void Auto_without_a_driver_falls_back_to_the_cpu_and_says_why()
    {
        var map = TestScenes.RandomScene(1);
        var chosen = ComputeBackends.Create(map, ComputeBackend.Auto, cuda: NoDriver);
        Assert.IsType<CpuLabelRenderer<float>>(chosen.Renderer);
        Assert.Equal("cpu", chosen.Description);
        Assert.Contains("no CUDA driver", chosen.FallbackReason);
        Assert.Contains("/nonexistent/libcuda.so.1", chosen.FallbackReason);
    }

    [Fact]
    public void Cuda_without_a_driver_is_an_error_naming_the_library()
    {
        var map = TestScenes.RandomScene(1);
        var error = Assert.Throws<CudaException>(() => ComputeBackends.Create(map, ComputeBackend.Cuda, cuda: NoDriver));
        Assert.Contains("/nonexistent/libcuda.so.1", error.Message);
    }

    [Fact]
    public void Cpu_does_not_look_for_cuda()
    {
        var chosen = ComputeBackends.Create(TestScenes.RandomScene(1), ComputeBackend.Cpu, cuda: NoDriver);
        Assert.IsType<CpuLabelRenderer<float>>(chosen.Renderer);
        Assert.Null(chosen.FallbackReason);
    }
}
