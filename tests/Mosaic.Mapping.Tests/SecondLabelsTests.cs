using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Rendering;

namespace Mosaic.Mapping.Tests;

public class SecondLabelsTests
{
    private static readonly PinholeCamera Camera = new(80, 60, 60, 60, 39.5, 29.5);

    /// <summary>
    /// Gaussian 0 on the optical axis at 2 m (label 0), Gaussian 1 behind it at 3 m (label 2), both
    /// large enough that the pixels at the centre see them at nearly full strength.
    /// </summary>
    private static GaussianMap TwoGaussians()
    {
        var map = new GaussianMap(2, 3);
        for (int i = 0; i < 2; i++)
        {
            map.Positions[3 * i + 2] = 2 + i;
            for (int a = 0; a < 3; a++)
                map.LogScales[3 * i + a] = (float)Math.Log(0.4);
            map.Rotations[4 * i] = 1;
            map.OpacityLogits[i] = (float)Math.Log(0.9 / 0.1);
        }
        map.Labels[1] = 2;
        return map;
    }

    [Fact]
    public void A_gaussian_with_a_strong_runner_up_gives_both_labels_its_weight_in_their_ratio_and_lets_the_same_light_through()
    {
        var map = TwoGaussians();
        float[] distributions = [0.5f, 0.4f, 0.1f, 0, 0, 1];

        var (split, added) = SecondLabels.Add(map, distributions, minShare: 0.3);

        Assert.Equal(1, added);
        Assert.Equal(1, split.SecondLabelCount);
        Assert.Equal(new ushort[] { 1, Labels.Ignore }, split.SecondLabels);
        Assert.Equal(5.0 / 9, split.FirstLabelShares![0], 1e-6);
        Assert.Equal(1, split.FirstLabelShares[1]);
        var one = new CpuLabelRenderer<float>(map).Render(Se3.Identity, Camera);
        var two = new CpuLabelRenderer<float>(split).Render(Se3.Identity, Camera);
        int centre = Array.IndexOf(one.Alpha, one.Alpha.Max());
        var before = one.LabelWeights.AsSpan(centre * 3, 3);
        var after = two.LabelWeights.AsSpan(centre * 3, 3);
        // Shares of the top two: 0.5 / 0.9 and 0.4 / 0.9 of the front Gaussian's weight; the one behind
        // it and the pixel's A as before, at every pixel.
        Assert.Equal(before[0] * 5 / 9, after[0], 1e-6);
        Assert.Equal(before[0] * 4 / 9, after[1], 1e-6);
        Assert.Equal(before[2], after[2], 1e-6);
        Assert.Equal(one.Alpha, two.Alpha);
    }

    [Fact]
    public void Gaussians_whose_runner_up_holds_too_little_of_the_top_two_keep_one_label()
    {
        var map = TwoGaussians();
        // Gaussian 0's runner-up holds 0.25 of the top two; Gaussian 1 has none.
        float[] distributions = [0.6f, 0.2f, 0.2f, 0, 0, 1];

        var (same, added) = SecondLabels.Add(map, distributions, minShare: 0.3);

        Assert.Equal(0, added);
        Assert.Same(map, same);
        Assert.Null(same.SecondLabels);
    }

    [Fact]
    public void Each_gaussian_keeps_its_place_and_gets_its_own_runner_up_and_share()
    {
        var map = new GaussianMap(3, 2);
        for (int i = 0; i < 3; i++)
        {
            map.Positions[3 * i] = i;
            map.Rotations[4 * i] = 1;
        }
        map.Labels[1] = 1;
        float[] distributions = [0.6f, 0.4f, 0.2f, 0.8f, 0.55f, 0.45f];

        var (split, added) = SecondLabels.Add(map, distributions, minShare: 0.3);

        Assert.Equal(2, added);
        Assert.Equal(3, split.Count);
        Assert.Same(map.Positions, split.Positions);
        Assert.Equal(new ushort[] { 0, 1, 0 }, split.Labels);
        Assert.Equal(new ushort[] { 1, Labels.Ignore, 1 }, split.SecondLabels);
        Assert.Equal(0.6, split.FirstLabelShares![0], 6);
        Assert.Equal(1, split.FirstLabelShares[1]);
        Assert.Equal(0.55, split.FirstLabelShares[2], 6);
        Assert.Null(split.FindProblem());
    }

    [Fact]
    public void A_label_that_is_not_the_most_likely_is_refused()
    {
        var map = TwoGaussians();
        float[] distributions = [0.3f, 0.6f, 0.1f, 0, 0, 1];

        var error = Assert.Throws<ArgumentException>(() => SecondLabels.Add(map, distributions, minShare: 0.3));

        Assert.Contains("label 1 is more likely", error.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(double.NaN)]
    public void The_share_must_lie_between_none_and_half(double share)
    {
        var map = TwoGaussians();

        Assert.Throws<ArgumentOutOfRangeException>(() => SecondLabels.Add(map, new float[6], share));
    }
}
