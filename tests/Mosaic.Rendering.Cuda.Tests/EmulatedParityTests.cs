using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Rendering.Tests;

namespace Mosaic.Rendering.Cuda.Tests;

/// <summary>
/// The CUDA kernels and <see cref="CudaLabelRenderer"/> on the emulated device (the same kernel
/// sources compiled for the host) against the CPU backend.
/// </summary>
public class EmulatedParityTests
{
    private static CudaLabelRenderer Emulated(GaussianMap map, RenderSettings? settings = null) => new(new EmulatedDevice(), map, settings) { PoisonOutputs = true };

    [Fact]
    public void The_native_argument_block_has_the_layout_of_its_csharp_mirror()
    {
        ulong[] layout = EmulatedDevice.NativeLayout();
        Assert.Equal((ulong)System.Runtime.CompilerServices.Unsafe.SizeOf<KernelArgs>(), layout[0]);
        Assert.Equal(Offset(nameof(KernelArgs.CoverageThreshold)), layout[1]);
        Assert.Equal(Offset(nameof(KernelArgs.R)), layout[2]);
        Assert.Equal(Offset(nameof(KernelArgs.Fx)), layout[3]);
        Assert.Equal(Offset(nameof(KernelArgs.KEpsilon)), layout[4]);
        Assert.Equal(Offset(nameof(KernelArgs.Count)), layout[5]);
        Assert.Equal(Offset(nameof(KernelArgs.Chunks)), layout[6]);
        Assert.Equal(Offset(nameof(KernelArgs.UncoveredShifts)), layout[7]);
        Assert.Equal(Offset(nameof(KernelArgs.TileGroups)), layout[8]);
        Assert.Equal(Offset(nameof(KernelArgs.ReduceWidth)), layout[9]);

        static ulong Offset(string field) => (ulong)System.Runtime.InteropServices.Marshal.OffsetOf<KernelArgs>(field);
    }

    [Theory]
    [InlineData(1280, 16)]
    [InlineData(640, 16)]
    [InlineData(320, 8)]
    [InlineData(160, 4)]
    [InlineData(80, 4)]
    [InlineData(7, 4)]
    public void Default_tiles_halve_with_each_pyramid_level_down_to_four_pixels(int width, int tileSize) =>
        Assert.Equal(tileSize, CudaLabelRenderer.DefaultTileSize(width));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_scenes_render_and_evaluate_as_on_the_cpu(int seed)
    {
        foreach (var (map, pose, camera, query) in ParityHarness.RandomCases(seed))
        {
            using var cuda = Emulated(map);
            var cpu = new CpuLabelRenderer<float>(map);
            ParityHarness.Matches(cuda, cpu, pose, camera, query);
        }
    }

    [Fact]
    public void Without_early_stop_and_with_tiny_tiles_the_results_still_match()
    {
        var settings = new RenderSettings { MinTransmittance = 0, TileSize = 4 };
        var (map, pose, _, query) = ParityHarness.RandomCases(9).First();
        using var cuda = Emulated(map, settings);
        ParityHarness.Matches(cuda, new CpuLabelRenderer<float>(map, settings), pose, TestScenes.Camera, query);
    }

    [Fact]
    public void Results_do_not_depend_on_poisoned_memory_or_on_the_run()
    {
        var (map, pose, _, query) = ParityHarness.RandomCases(5).First();
        using var clean = new CudaLabelRenderer(new EmulatedDevice(), map, null);
        using var poisoned = Emulated(map);
        Assert.Empty(BackendParity.Repeatability(clean, pose, TestScenes.Camera, query, runs: 2));
        var first = clean.Evaluate(pose, TestScenes.Camera, query, withGradient: true);
        var poisonedResult = poisoned.Evaluate(pose, TestScenes.Camera, query, withGradient: true);
        Assert.Equal(first.Loss, poisonedResult.Loss);
        Assert.Equal(first.Gradient, poisonedResult.Gradient);
        Assert.Equal(first.NormalMatrix, poisonedResult.NormalMatrix);
    }

    [Fact]
    public void A_pose_that_sees_nothing_gives_an_empty_image_and_no_coverage()
    {
        var (map, _, _, query) = ParityHarness.RandomCases(4).First();
        using var cuda = Emulated(map);
        var away = Core.Geometry.Se3.Exp(new Core.Geometry.Tangent(new Core.Geometry.Vector3d(0, 0, 50), new Core.Geometry.Vector3d(0, Math.PI, 0)));
        var image = cuda.Render(away, TestScenes.Camera);
        Assert.All(image.Alpha, a => Assert.Equal(0f, a));
        Assert.All(image.Depth, d => Assert.True(float.IsNaN(d)));
        var evaluation = cuda.Evaluate(away, TestScenes.Camera, query, withGradient: true);
        Assert.Equal(0, evaluation.VisibleGaussians);
        Assert.Equal(0, evaluation.Coverage);
        Assert.Equal(new double[6], evaluation.Gradient);
    }

    [Fact]
    public void A_query_of_the_wrong_size_or_label_count_is_refused()
    {
        var (map, pose, _, query) = ParityHarness.RandomCases(6).First();
        using var cuda = Emulated(map);
        var wrongLabels = LabelDistributionImage.FromLabels(new Image<ushort>(query.Width, query.Height), map.LabelCount + 1);
        Assert.Throws<ArgumentException>(() => cuda.Evaluate(pose, TestScenes.Camera, wrongLabels, withGradient: false));
        Assert.Throws<ArgumentException>(() => cuda.Evaluate(pose, TestScenes.Camera, query.Downsample(2), withGradient: false));
    }
}
