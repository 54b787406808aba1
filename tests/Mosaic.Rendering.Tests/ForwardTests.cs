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

        // The float renderer computes α eight splats at a time where a tile has that many: make sure it does here.
        var projection = new GaussianProjection<float>();
        projection.Project(new SplatScene<float>(map), pose, TestScenes.Camera, settings, CpuLabelRenderer<float>.DefaultTileSize, withJacobian: false);
        var bins = new TileBins();
        bins.Build(projection);
        Assert.True(bins.MaxEntriesPerTile >= 16, $"longest tile list {bins.MaxEntriesPerTile}");
    }

    [Theory]
    [InlineData(1, 0.5)]
    [InlineData(2, 0.5)]
    [InlineData(3, 0.7)]
    [InlineData(4, 0.9)]
    public void Hard_label_render_is_the_hard_labels_of_the_full_render(int seed, double minAlpha)
    {
        // Many Gaussians of few labels, so that pixels see several labels and ties at the coverage edge occur.
        var map = TestScenes.RandomScene(seed, count: 300, labelCount: 3);
        var pose = TestScenes.RandomPose(new Random(seed));
        var renderer = new CpuLabelRenderer<float>(map);

        var expected = renderer.Render(pose, TestScenes.Camera).HardLabels(minAlpha);
        var hard = renderer.RenderHardLabels(pose, TestScenes.Camera, minAlpha);

        Assert.Equal(expected.Data, hard.Data);
        Assert.Contains(hard.Data, l => l == Labels.Ignore);
        Assert.True(hard.Data.Where(l => l != Labels.Ignore).Distinct().Count() > 1, "the view shows more than one label");
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

        var charged = renderer.Evaluate(lookingAway, TestScenes.Camera, query, withGradient: false, uncoveredLoss: [0.7, 0.1, 0.2, 0.3, 0.4]);
        Assert.Equal(0.7, charged.Objective, 5); // every query pixel has label 0
        Assert.Equal(Math.Log(5), charged.Loss, 5);
        Assert.True(double.IsNaN(charged.CoveredLoss), "no pixel is covered");
        Assert.All(charged.CoveredWeightByLabel, w => Assert.Equal(0, w));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void An_uncovered_cost_that_is_not_a_finite_non_negative_number_is_refused(double uncoveredLoss)
    {
        var map = TestScenes.RandomScene(4, labelCount: 5);
        var query = LabelDistributionImage.FromLabels(new Image<ushort>(TestScenes.Camera.Width, TestScenes.Camera.Height), 5);
        var renderer = new CpuLabelRenderer<float>(map);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            renderer.Evaluate(Se3.Identity, TestScenes.Camera, query, withGradient: false, [1, 1, uncoveredLoss, 1, 1]));
        Assert.Contains("uncovered loss", error.Message);
        Assert.Contains("label 2", error.Message);
        Assert.Contains("3 uncovered costs for 5 labels", Assert.Throws<ArgumentException>(() =>
            renderer.Evaluate(Se3.Identity, TestScenes.Camera, query, withGradient: false, [1, 1, 1])).Message);
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
        Assert.Equal(labelled.Average(), evaluation.Loss, 8);
        Assert.Equal(evaluation.Loss, evaluation.Objective);
    }

    [Fact]
    public void Objective_and_covered_loss_follow_from_the_reference_pixel_losses()
    {
        var map = TestScenes.RandomScene(12);
        var pose = TestScenes.RandomPose(new Random(12));
        var query = TestScenes.Query(map, TestScenes.RandomPose(new Random(13)), 14);
        var settings = new RenderSettings();
        var uncovered = Enumerable.Range(0, map.LabelCount).Select(k => 0.3 + 0.2 * k).ToArray();
        var coarse = query.Downsample(2);
        var camera = TestScenes.Camera.AtLevel(1);

        foreach (var (q, cam) in new[] { (query, TestScenes.Camera), (coarse, camera) })
        {
            var evaluation = new CpuLabelRenderer<double>(map, settings).Evaluate(pose, cam, q, withGradient: false, uncovered);
            var image = ReferenceRenderer.Render(map, pose, cam, settings);
            var losses = ReferenceRenderer.PixelLosses(image, q, settings.LossEpsilon);
            var labelled = Enumerable.Range(0, losses.Length).Where(p => !double.IsNaN(losses[p])).ToArray();
            var covered = labelled.Where(p => image.Alpha[p] >= settings.CoverageThreshold).ToArray();
            Assert.InRange(covered.Length, 1, labelled.Length - 1);

            double logK = Math.Log(map.LabelCount);
            double Charge(int p) => Enumerable.Range(0, q.LabelsAt(p).Length).Sum(s => q.WeightsAt(p)[s] * (uncovered[q.LabelsAt(p)[s]] - logK));
            // Absolute tolerances, not rounding to decimal places, which fails two values 1e-9 apart that straddle a rounding boundary.
            Assert.Equal(labelled.Average(p => losses[p] + Charge(p) * (1 - image.Alpha[p])), evaluation.Objective, 5e-9);
            Assert.Equal(labelled.Average(p => losses[p]), evaluation.Loss, 5e-9);
            Assert.Equal(covered.Average(p => losses[p]), evaluation.CoveredLoss, 5e-9);
            for (int k = 0; k < map.LabelCount; k++)
            {
                double Weight(int p) => Enumerable.Range(0, q.LabelsAt(p).Length).Where(s => q.LabelsAt(p)[s] == k).Sum(s => (double)q.WeightsAt(p)[s]);
                double weight = covered.Sum(Weight);
                Assert.Equal(weight, evaluation.CoveredWeightByLabel[k], 5);
                if (weight > 0)
                    Assert.Equal(covered.Sum(p => Weight(p) * losses[p]) / weight, evaluation.CoveredLossByLabel[k], 5);
                else
                    Assert.True(double.IsNaN(evaluation.CoveredLossByLabel[k]));
            }
        }
    }
}
