using Mosaic.Core.Maps;

namespace Mosaic.Core.Tests;

/// <summary>The localizer's sharpened copy of a map (<see cref="GaussianMap.Sharpened"/>).</summary>
public class GaussianMapTests
{
    private static GaussianMap TwoGaussians()
    {
        var map = new GaussianMap(2, labelCount: 4);
        float[] sigmas = [0.01f, 0.02f, 0.04f, 0.1f, 0.05f, 0.2f];
        for (int i = 0; i < sigmas.Length; i++)
            map.LogScales[i] = MathF.Log(sigmas[i]);
        (map.Positions[0], map.Positions[4]) = (1, 2);
        map.Rotations[0] = map.Rotations[4] = 1;
        (map.Labels[0], map.Labels[1]) = (1, 3);
        return map.WithSecondLabels([2, 0], [0.6f, 0.8f]);
    }

    [Fact]
    public void A_sharpened_copy_narrows_every_axis_by_the_factor_and_keeps_everything_else()
    {
        var map = TwoGaussians();

        var sharp = map.Sharpened(0.5);

        for (int i = 0; i < map.LogScales.Length; i++)
            Assert.Equal(0.5 * Math.Exp(map.LogScales[i]), Math.Exp(sharp.LogScales[i]), 6);
        Assert.Same(map.Positions, sharp.Positions);
        Assert.Same(map.Rotations, sharp.Rotations);
        Assert.Same(map.OpacityLogits, sharp.OpacityLogits);
        Assert.Same(map.Labels, sharp.Labels);
        Assert.Same(map.SecondLabels, sharp.SecondLabels);
        Assert.Same(map.FirstLabelShares, sharp.FirstLabelShares);
        Assert.Equal(map.LabelCount, sharp.LabelCount);
        // The original is left as it was.
        Assert.Equal(MathF.Log(0.01f), map.LogScales[0]);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_factor_that_is_not_a_positive_number_is_refused(double factor) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TwoGaussians().Sharpened(factor));
}
