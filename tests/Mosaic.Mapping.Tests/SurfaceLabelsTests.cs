using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Core.Synthetic;
using Mosaic.Localization.Depth;
using Mosaic.Rendering;

namespace Mosaic.Mapping.Tests;

/// <summary>
/// The map's own labels at measured surfaces (<see cref="SurfaceLabels"/>), the nearest-centre search
/// under them, and the best agreement they give (<see cref="BestPossibleAgreement"/>).
/// </summary>
public class SurfaceLabelsTests
{
    private static readonly Lazy<GaussianMap> Room = new(() => SyntheticRoom.Generate(60_000, 8, seed: 2));

    [Fact]
    public void The_nearest_centre_is_the_one_a_search_over_every_centre_finds_within_the_radius()
    {
        var map = Room.Value;
        var grid = new CentreGrid(map, radius: 0.05);
        var rng = new Random(3);
        int found = 0;
        for (int trial = 0; trial < 400; trial++)
        {
            // Points near the map's surfaces (a centre moved by up to 8 cm), so that some have a centre within 5 cm and some do not.
            int anchor = rng.Next(map.Count);
            var q = grid.Centre(anchor) + new Vector3d(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5, rng.NextDouble() - 0.5) * 0.16;
            int expected = -1;
            double best = 0.05 * 0.05;
            for (int i = 0; i < map.Count; i++)
            {
                double d = (grid.Centre(i) - q).SquaredNorm;
                if (d < best)
                    (best, expected) = (d, i);
            }
            Assert.Equal(expected, grid.Nearest(q));
            found += expected >= 0 ? 1 : 0;
        }
        Assert.InRange(found, 100, 399); // both outcomes were exercised
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public void At_the_true_pose_the_labels_at_the_measured_surfaces_are_the_rendered_ones_and_a_wrong_pose_loses_them(int seed)
    {
        var map = Room.Value;
        var camera = SyntheticRoom.Camera.AtLevel(2);
        var truth = SyntheticRoom.RandomCameraPose(new Random(seed));
        var rendered = new CpuLabelRenderer<float>(map).Render(truth.Inverse(), camera);
        var labels = rendered.HardLabels();
        var grid = new CentreGrid(map, LabelAgreement.SurfaceRadius);

        // The render's own depth stands in for a perfect depth sensor.
        BestPossibleAgreement Compare(Se3 posedAt)
        {
            var tally = new LabelAgreement(map.LabelCount);
            tally.Add(labels, labels, SurfaceLabels.Lookup(grid, map.Labels, rendered.Depth, camera, posedAt));
            return tally.Result().BestPossible!;
        }
        var atTruth = Compare(truth);
        var offTruth = Compare(truth * Se3.Exp(new Tangent(new Vector3d(0.15, 0, 0), new Vector3d(0, 0.05, 0))));

        // Only where the render blends two labels at a patch edge may they differ.
        Assert.True(atTruth.Share > 0.95 && atTruth.Agreement > 0.95, $"{atTruth}");
        Assert.Equal(1.0, atTruth.SegmenterAgreement); // the query here is the render itself
        Assert.True(offTruth.Agreement < atTruth.Agreement - 0.1, $"at the truth {atTruth.Agreement:P1}, 15 cm / 3 deg off {offTruth.Agreement:P1}");
    }

    [Fact]
    public void Pixels_without_a_reading_or_without_a_surface_nearby_get_no_label()
    {
        var map = Room.Value;
        var camera = SyntheticRoom.Camera.AtLevel(3);
        var truth = SyntheticRoom.RandomCameraPose(new Random(2));
        var depth = (float[])new CpuLabelRenderer<float>(map).Render(truth.Inverse(), camera).Depth.Clone();
        depth[0] = float.NaN;
        depth[1] = 0;
        depth[2] = 0.05f; // 5 cm before the lens: no surface there

        var surface = SurfaceLabels.Lookup(new CentreGrid(map, LabelAgreement.SurfaceRadius), map.Labels, depth, camera, truth);

        Assert.Equal([Labels.Ignore, Labels.Ignore, Labels.Ignore], surface.Data[..3]);
        Assert.Contains(surface.Data, l => l != Labels.Ignore);
    }

    [Fact]
    public void The_best_agreement_is_counted_on_the_compared_pixels_that_have_a_surface_label()
    {
        const ushort I = Labels.Ignore;
        var tally = new LabelAgreement(4);
        Image<ushort> Row(params ushort[] labels) => new(labels.Length, 1, labels);

        // Compared (both labelled): pixels 0-3; of them 0-2 have a surface label.
        tally.Add(query: Row(1, 1, 2, 3, I, 1), rendered: Row(0, 1, 1, 3, 2, I), surface: Row(0, 2, 1, I, 2, 1), stamp: 7);
        // A second frame the map does not cover: it counts for coverage only.
        tally.Add(query: Row(0, 1, 2, 3, 0, 1), rendered: Row(I, I, I, I, I, I), surface: Row(0, 1, 2, 3, 0, 1), stamp: 9);
        var result = tally.Result();

        Assert.Equal(2 / 4.0, result.Agreement);
        Assert.Equal(5 / 12.0, result.Coverage);
        Assert.Equal(new BestPossibleAgreement(Share: 3 / 4.0, Agreement: 2 / 3.0, SegmenterAgreement: 1 / 3.0), result.BestPossible);
        Assert.Equal(new FrameAgreement(7, Agreement: 2 / 4.0, Coverage: 5 / 6.0, BestPossible: 2 / 3.0, SegmenterOnSurface: 1 / 3.0), result.PerFrame[0]);
        Assert.Equal(new FrameAgreement(9, double.NaN, Coverage: 0, double.NaN, double.NaN), result.PerFrame[1]);
    }

    [Fact]
    public void Without_depth_there_is_no_best_agreement()
    {
        var tally = new LabelAgreement(2);
        tally.Add(new Image<ushort>(2, 1, [0, 1]), new Image<ushort>(2, 1, [0, 0]));

        Assert.Null(tally.Result().BestPossible);
    }
}
