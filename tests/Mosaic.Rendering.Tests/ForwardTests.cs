using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;

namespace Mosaic.Rendering.Tests;

public class ForwardTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Tiled_float_renderer_matches_the_per_pixel_float64_reference(int seed)
    {
        var map = TestScenes.RandomScene(seed, count: 150, labelCount: 6);
        var pose = TestScenes.RandomPose(new Random(seed));
        var settings = new RenderSettings();

        var fast = new CpuLabelRenderer<float>(map, settings).Render(pose, TestScenes.Camera);
        var slow = ReferenceRenderer.Render(map, pose, TestScenes.Camera, settings);

        for (int i = 0; i < slow.LabelWeights.Length; i++)
            Assert.True(Math.Abs(fast.LabelWeights[i] - slow.LabelWeights[i]) < 1e-4, $"A_k element {i}: {fast.LabelWeights[i]} vs {slow.LabelWeights[i]}");
        for (int p = 0; p < slow.Alpha.Length; p++)
        {
            Assert.True(Math.Abs(fast.Alpha[p] - slow.Alpha[p]) < 1e-4, $"A at pixel {p}: {fast.Alpha[p]} vs {slow.Alpha[p]}");
            if (slow.Alpha[p] > 1e-2)
                Assert.True(Math.Abs(fast.Depth[p] - slow.Depth[p]) < 1e-4 * Math.Max(1, slow.Depth[p]), $"depth at pixel {p}");
        }
        Assert.Contains(slow.Alpha, a => a > 0.5); // the scene is actually seen
    }

    [Fact]
    public void Tile_size_does_not_change_the_image()
    {
        var map = TestScenes.RandomScene(7);
        var pose = TestScenes.RandomPose(new Random(7));
        var a = new CpuLabelRenderer<double>(map, new RenderSettings { TileSize = 16 }).Render(pose, TestScenes.Camera);
        var b = new CpuLabelRenderer<double>(map, new RenderSettings { TileSize = 5 }).Render(pose, TestScenes.Camera);
        for (int i = 0; i < a.LabelWeights.Length; i++)
            Assert.Equal(a.LabelWeights[i], b.LabelWeights[i], 6);
    }

    [Fact]
    public void Empty_view_renders_nothing_and_every_labelled_pixel_costs_log_K()
    {
        var map = TestScenes.RandomScene(3, labelCount: 5);
        var lookingAway = Se3.Exp(new Tangent(Vector3d.Zero, new Vector3d(0, Math.PI, 0)));
        var renderer = new CpuLabelRenderer<float>(map);
        var image = renderer.Render(lookingAway, TestScenes.Camera);
        Assert.All(image.Alpha, a => Assert.Equal(0f, a));
        Assert.All(image.HardLabels().Data, l => Assert.Equal(Labels.Ignore, l));

        var query = LabelDistributionImage.FromLabels(new Image<ushort>(TestScenes.Camera.Width, TestScenes.Camera.Height), 5);
        var loss = renderer.Evaluate(lookingAway, TestScenes.Camera, query, withGradient: true);
        Assert.Equal(Math.Log(5), loss.Loss, 5);
        Assert.Equal(0, loss.Coverage);
        Assert.All(loss.Gradient!, g => Assert.Equal(0, g));
    }

    [Fact]
    public void Loss_equals_the_loss_of_the_reference_images()
    {
        var map = TestScenes.RandomScene(11);
        var pose = TestScenes.RandomPose(new Random(11));
        var query = TestScenes.Query(map, TestScenes.RandomPose(new Random(12)), 13);
        var settings = new RenderSettings();

        var evaluation = new CpuLabelRenderer<double>(map, settings).Evaluate(pose, TestScenes.Camera, query, withGradient: false);
        var reference = ReferenceRenderer.PixelLosses(ReferenceRenderer.Render(map, pose, TestScenes.Camera, settings), query, settings.LossEpsilon);
        var labelled = reference.Where(l => !double.IsNaN(l)).ToArray();

        Assert.Equal(labelled.Length, evaluation.ValidPixels);
        Assert.Equal(labelled.Average(), evaluation.Loss, 9);
    }
}
