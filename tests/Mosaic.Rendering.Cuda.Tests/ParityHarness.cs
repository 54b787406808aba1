using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Rendering.Tests;

namespace Mosaic.Rendering.Cuda.Tests;

/// <summary>
/// The CUDA backend against the CPU backend (both float32) on the same map, pose and query: forward
/// images, loss, coverage, gradient and normal matrix. Run on the emulated device everywhere and on
/// a real GPU where there is one. Tolerances are float32's: the two backends sum in different orders.
/// </summary>
internal static class ParityHarness
{
    public static void RenderMatches(ILabelRenderer cuda, ILabelRenderer cpu, Se3 pose, PinholeCamera camera)
    {
        var expected = cpu.Render(pose, camera);
        var actual = cuda.Render(pose, camera);
        Assert.Equal(expected.LabelWeights.Length, actual.LabelWeights.Length);
        AssertClose(expected.LabelWeights, actual.LabelWeights, 2e-4, "A_k");
        AssertClose(expected.Alpha, actual.Alpha, 2e-4, "A");
        for (int p = 0; p < expected.Depth.Length; p++)
        {
            Assert.Equal(float.IsNaN(expected.Depth[p]), float.IsNaN(actual.Depth[p]));
            if (!float.IsNaN(expected.Depth[p]) && expected.Alpha[p] > 1e-3)
                Assert.True(Math.Abs(expected.Depth[p] - actual.Depth[p]) <= 1e-3 * (1 + expected.Depth[p]), $"depth at pixel {p}: {expected.Depth[p]} vs {actual.Depth[p]}");
        }
    }

    public static void EvaluationMatches(ILabelRenderer cuda, ILabelRenderer cpu, Se3 pose, PinholeCamera camera, LabelDistributionImage query)
    {
        var expected = cpu.Evaluate(pose, camera, query, withGradient: true);
        var actual = cuda.Evaluate(pose, camera, query, withGradient: true);
        Assert.Equal(expected.ValidPixels, actual.ValidPixels);
        Assert.Equal(expected.VisibleGaussians, actual.VisibleGaussians);
        Assert.True(Math.Abs(expected.Loss - actual.Loss) <= 1e-4 * (1 + Math.Abs(expected.Loss)), $"loss {expected.Loss} vs {actual.Loss}");
        Assert.True(Math.Abs(expected.Coverage - actual.Coverage) <= 2.0 / Math.Max(1, expected.ValidPixels), $"coverage {expected.Coverage} vs {actual.Coverage}");
        AssertVectorClose(expected.Gradient!, actual.Gradient!, 2e-3, "gradient");
        AssertVectorClose(expected.NormalMatrix!, actual.NormalMatrix!, 4e-3, "normal matrix");

        var withoutGradient = cuda.Evaluate(pose, camera, query, withGradient: false);
        Assert.Equal(actual.Loss, withoutGradient.Loss);
        Assert.Null(withoutGradient.Gradient);
    }

    /// <summary>Elementwise |a - b| ≤ tolerance (values are weights in [0, 1]).</summary>
    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"{what}[{i}] is NaN (unwritten?)");
            double error = Math.Abs(expected[i] - actual[i]);
            if (error > worst)
                (worst, at) = (error, i);
        }
        Assert.True(worst <= tolerance, $"{what}[{at}]: {expected[Math.Max(at, 0)]} vs {actual[Math.Max(at, 0)]}");
    }

    /// <summary>‖a − b‖ ≤ tolerance · ‖a‖ (plus a floor for vectors that are almost zero).</summary>
    private static void AssertVectorClose(double[] expected, double[] actual, double tolerance, string what)
    {
        double difference = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(double.IsFinite(actual[i]), $"{what}[{i}] = {actual[i]}");
            difference += (expected[i] - actual[i]) * (expected[i] - actual[i]);
            norm += expected[i] * expected[i];
        }
        Assert.True(Math.Sqrt(difference) <= tolerance * Math.Sqrt(norm) + 1e-9,
            $"{what}: relative difference {Math.Sqrt(difference / Math.Max(norm, 1e-300)):G3}\n expected {string.Join(", ", expected.Select(v => v.ToString("G5")))}\n actual   {string.Join(", ", actual.Select(v => v.ToString("G5")))}");
    }

    /// <summary>Random scenes of the CPU backend's tests with their random poses and queries.</summary>
    public static IEnumerable<(GaussianMap Map, Se3 Pose, PinholeCamera Camera, LabelDistributionImage Query)> RandomCases(int seed)
    {
        var rng = new Random(seed);
        var map = TestScenes.RandomScene(seed, count: 200, labelCount: 5);
        var pose = TestScenes.RandomPose(rng);
        var query = TestScenes.Query(map, TestScenes.RandomPose(rng), seed + 1);
        yield return (map, pose, TestScenes.Camera, query);
        // A coarser pyramid level: several labels per pixel.
        yield return (map, pose, TestScenes.Camera.AtLevel(1), query.Downsample(2));
    }
}
