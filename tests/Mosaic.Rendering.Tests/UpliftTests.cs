using Mosaic.Core.Imaging;

namespace Mosaic.Rendering.Tests;

/// <summary>LUDVIG uplifting and feature rendering, checked against the per-pixel float64 reference.</summary>
public class UpliftTests
{
    private static Image<ushort> RandomLabels(int seed, int labelCount)
    {
        var rng = new Random(seed);
        var labels = new Image<ushort>(TestScenes.Camera.Width, TestScenes.Camera.Height);
        for (int p = 0; p < labels.Data.Length; p++)
            labels.Data[p] = rng.Next(10) == 0 ? Labels.Ignore : (ushort)rng.Next(labelCount);
        return labels;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Label_sums_are_the_rendering_weights_of_each_labelled_pixel(int seed)
    {
        var map = TestScenes.RandomScene(seed, count: 150, labelCount: 6);
        var pose = TestScenes.RandomPose(new Random(seed));
        var labels = RandomLabels(seed, 6);
        var settings = new RenderSettings();

        var sums = new float[map.Count * 6];
        new CpuLabelRenderer<float>(map, settings).UpliftLabels(pose, TestScenes.Camera, labels, sums);

        var expected = new double[map.Count * 6];
        var contributions = ReferenceRenderer.PixelWeights(map, pose, TestScenes.Camera, settings);
        for (int p = 0; p < contributions.Length; p++)
        {
            if (labels.Data[p] == Labels.Ignore)
                continue;
            foreach (var c in contributions[p])
                expected[c.Gaussian * 6 + labels.Data[p]] += c.Weight;
        }
        Assert.Contains(expected, e => e > 1);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(sums[i] - expected[i]) < 1e-3 * Math.Max(1, expected[i]), $"sum {i}: {sums[i]} vs {expected[i]}");
    }

    [Fact]
    public void Feature_uplifting_averages_pixel_features_by_weight_and_rendering_them_back_composites()
    {
        var map = TestScenes.RandomScene(4, count: 150);
        var pose = TestScenes.RandomPose(new Random(4));
        var settings = new RenderSettings();
        var camera = TestScenes.Camera;
        var rng = new Random(5);
        var features = new float[camera.Width * camera.Height * 2];
        for (int i = 0; i < features.Length; i++)
            features[i] = (float)rng.NextDouble();
        features[0] = float.NaN; // pixel 0 has no features

        var renderer = new CpuLabelRenderer<float>(map, settings);
        var featureSums = new float[map.Count * 2];
        var weightSums = new float[map.Count];
        renderer.UpliftFeatures(pose, camera, features, 2, featureSums, weightSums);

        var contributions = ReferenceRenderer.PixelWeights(map, pose, camera, settings);
        var expectedWeights = new double[map.Count];
        var expectedSums = new double[map.Count * 2];
        for (int p = 1; p < contributions.Length; p++)
        {
            foreach (var c in contributions[p])
            {
                expectedWeights[c.Gaussian] += c.Weight;
                for (int d = 0; d < 2; d++)
                    expectedSums[c.Gaussian * 2 + d] += c.Weight * features[p * 2 + d];
            }
        }
        for (int i = 0; i < map.Count; i++)
        {
            Assert.True(Math.Abs(weightSums[i] - expectedWeights[i]) < 1e-3 * Math.Max(1, expectedWeights[i]));
            for (int d = 0; d < 2; d++)
                Assert.True(Math.Abs(featureSums[2 * i + d] - expectedSums[2 * i + d]) < 1e-3 * Math.Max(1, expectedSums[2 * i + d]));
        }

        // Rendering per-Gaussian features back: Σ w_i f_i / A, against the reference weights.
        var perGaussian = new float[map.Count * 2];
        for (int i = 0; i < perGaussian.Length; i++)
            perGaussian[i] = (float)rng.NextDouble();
        var image = renderer.RenderFeatures(pose, camera, perGaussian, 2, minAlpha: 0.5);
        int checkedPixels = 0;
        for (int p = 0; p < contributions.Length; p++)
        {
            double a = contributions[p].Sum(c => c.Weight);
            if (Math.Abs(a - 0.5) < 1e-3)
                continue; // on the threshold float and double may disagree
            if (a < 0.5)
            {
                Assert.True(float.IsNaN(image[2 * p]));
                continue;
            }
            for (int d = 0; d < 2; d++)
            {
                double expected = contributions[p].Sum(c => c.Weight * perGaussian[c.Gaussian * 2 + d]) / a;
                Assert.True(Math.Abs(image[2 * p + d] - expected) < 1e-4, $"pixel {p}: {image[2 * p + d]} vs {expected}");
            }
            checkedPixels++;
        }
        Assert.True(checkedPixels > 50);
    }
}
