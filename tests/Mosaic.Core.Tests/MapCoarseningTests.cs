using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;

namespace Mosaic.Core.Tests;

/// <summary>The coarse map for the coarsest pyramid levels: per cube and label, one Gaussian with the members' moments.</summary>
public class MapCoarseningTests
{
    private static float Logit(double opacity) => (float)Math.Log(opacity / (1 - opacity));

    /// <summary>A map of axis-aligned Gaussians given by centre, standard deviations, opacity and label.</summary>
    private static GaussianMap Map(params (Vector3d Centre, Vector3d Sigma, double Opacity, ushort Label)[] gaussians)
    {
        var map = new GaussianMap(gaussians.Length, labelCount: 4);
        for (int i = 0; i < gaussians.Length; i++)
        {
            var (c, s, o, l) = gaussians[i];
            (map.Positions[3 * i], map.Positions[3 * i + 1], map.Positions[3 * i + 2]) = ((float)c.X, (float)c.Y, (float)c.Z);
            (map.LogScales[3 * i], map.LogScales[3 * i + 1], map.LogScales[3 * i + 2]) = ((float)Math.Log(s.X), (float)Math.Log(s.Y), (float)Math.Log(s.Z));
            map.Rotations[4 * i] = 1;
            map.OpacityLogits[i] = Logit(o);
            map.Labels[i] = l;
        }
        return map;
    }

    private static Matrix3d CovarianceOf(GaussianMap map, int i)
    {
        var r = new Quaterniond(map.Rotations[4 * i], map.Rotations[4 * i + 1], map.Rotations[4 * i + 2], map.Rotations[4 * i + 3]).Normalized().ToMatrix();
        return r * Matrix3d.Diagonal(Math.Exp(2.0 * map.LogScales[3 * i]), Math.Exp(2.0 * map.LogScales[3 * i + 1]), Math.Exp(2.0 * map.LogScales[3 * i + 2])) * r.Transpose();
    }

    [Fact]
    public void Gaussians_of_one_label_in_one_cube_become_one_with_the_mixtures_mean_and_covariance()
    {
        // Two flat discs side by side on a wall, in the cube [0.60, 0.66) × [1.98, 2.04) × [3.00, 3.06), opacities 0.9 and 0.45 (weights 2 : 1).
        var map = Map(
            (new Vector3d(0.61, 2.02, 3.01), new Vector3d(0.01, 0.01, 0.001), 0.9, 2),
            (new Vector3d(0.64, 2.02, 3.01), new Vector3d(0.01, 0.01, 0.001), 0.45, 2));

        var coarse = map.Coarsened(0.06);

        Assert.Equal(1, coarse.Count);
        Assert.Equal(2, coarse.Labels[0]);
        Assert.Equal(4, coarse.LabelCount);
        // Mean: (2 · 0.61 + 1 · 0.64) / 3 = 0.62 along x.
        Assert.Equal(0.62, coarse.Positions[0], 5);
        Assert.Equal(2.02, coarse.Positions[1], 5);
        Assert.Equal(3.01, coarse.Positions[2], 5);
        // Covariance: the members' own 1e-4 plus the spread of their centres about the mean,
        // (2 · 0.01² + 1 · 0.02²) / 3 = 2e-4, along x; the other axes keep the members' variances.
        var sigma = CovarianceOf(coarse, 0);
        Assert.Equal(3e-4, sigma.M00, 8);
        Assert.Equal(1e-4, sigma.M11, 8);
        Assert.Equal(1e-6, sigma.M22, 9);
        Assert.Equal(0, sigma.M01, 9);
        // The larger opacity: two pieces of one surface are as opaque as the more opaque one.
        Assert.Equal(Logit(0.9), coarse.OpacityLogits[0], 5);
        Assert.Null(coarse.FindProblem());
    }

    [Fact]
    public void Labels_and_cubes_are_never_mixed_and_groups_keep_the_order_of_their_first_member()
    {
        var s = new Vector3d(0.005, 0.005, 0.005);
        var map = Map(
            (new Vector3d(0.01, 0.01, 0.01), s, 0.9, 3),
            (new Vector3d(0.02, 0.01, 0.01), s, 0.9, 1), // same cube, other label
            (new Vector3d(0.07, 0.01, 0.01), s, 0.9, 3), // next cube, first label
            (new Vector3d(0.03, 0.02, 0.01), s, 0.9, 3), // first cube, first label again
            (new Vector3d(-0.01, 0.01, 0.01), s, 0.9, 3)); // the cube below zero

        var coarse = map.Coarsened(0.06);

        Assert.Equal(4, coarse.Count);
        Assert.Equal(new ushort[] { 3, 1, 3, 3 }, coarse.Labels);
        Assert.Equal(0.02, coarse.Positions[0], 5); // (0.01 + 0.03) / 2
        Assert.Equal(0.02, coarse.Positions[3], 5);
        Assert.Equal(0.07, coarse.Positions[6], 5);
        Assert.Equal(-0.01, coarse.Positions[9], 5);
        Assert.Equal(coarse.Positions, map.Coarsened(0.06).Positions);
    }

    [Fact]
    public void Second_labels_are_left_out_and_each_place_keeps_its_first_label_with_all_its_weight()
    {
        var s = new Vector3d(0.005, 0.005, 0.005);
        var map = Map(
            (new Vector3d(0.01, 0.01, 0.01), s, 0.5, 3),
            (new Vector3d(0.07, 0.01, 0.01), s, 0.9, 1))
            .WithSecondLabels([2, Labels.Ignore], [0.6f, 1]);

        var coarse = map.Coarsened(0.06);

        Assert.Equal(new ushort[] { 3, 1 }, coarse.Labels);
        Assert.Null(coarse.SecondLabels);
        Assert.Equal(Logit(0.5), coarse.OpacityLogits[0], 5);
    }

    [Fact]
    public void A_single_member_comes_back_unchanged()
    {
        var map = Map((new Vector3d(0.5, -0.3, 1.2), new Vector3d(0.02, 0.004, 0.01), 0.7, 0));
        var coarse = map.Coarsened(0.1);

        Assert.Equal(map.Positions, coarse.Positions);
        var (a, b) = (CovarianceOf(map, 0), CovarianceOf(coarse, 0));
        foreach (var (x, y) in new[] { (a.M00, b.M00), (a.M11, b.M11), (a.M22, b.M22), (a.M01, b.M01), (a.M02, b.M02), (a.M12, b.M12) })
            Assert.Equal(x, y, 9);
        Assert.Equal(map.OpacityLogits[0], coarse.OpacityLogits[0], 5);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.05)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_voxel_that_is_not_a_positive_length_is_refused(double voxel)
    {
        var map = Map((new Vector3d(0, 0, 0), new Vector3d(0.01, 0.01, 0.01), 0.9, 0));
        Assert.Contains("coarsening voxel", Assert.Throws<ArgumentOutOfRangeException>(() => map.Coarsened(voxel)).Message);
    }
}
