using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;

namespace Mosaic.Rendering.Tests;

/// <summary>
/// The analytic pose gradient and normal matrix (the Fisher information) against central finite differences in float64.
/// Compositing runs to the end (MinTransmittance = 0) because the early stop is a deliberate
/// discontinuity of at most 1e-4 in A that finite differences would pick up.
/// </summary>
public class GradientTests
{
    private static readonly RenderSettings Exact = new() { MinTransmittance = 0 };
    private const double Step = 1e-6;

    private static Se3 Perturb(Se3 pose, int k, double h)
    {
        var xi = new double[6];
        xi[k] = h;
        return Se3.Exp(Tangent.FromArray(xi)) * pose;
    }

    [Theory]
    [InlineData(21, null, true)]
    [InlineData(22, null, true)]
    [InlineData(23, null, false)]
    [InlineData(24, null, true)]
    [InlineData(25, null, false)]
    [InlineData(21, 0.5, true)]
    [InlineData(24, 2.0, false)]
    public void Pose_gradient_of_the_objective_matches_central_differences(int seed, double? lowestUncoveredLoss, bool secondLabels)
    {
        var rng = new Random(seed);
        var map = TestScenes.RandomScene(seed, count: 150, labelCount: 5, secondLabels: secondLabels);
        double[]? uncoveredLoss = lowestUncoveredLoss is { } u ? [u, u + 0.3, u + 0.1, u + 0.7, u + 0.2] : null;
        var pose = TestScenes.RandomPose(rng);
        var query = TestScenes.Query(map, TestScenes.RandomPose(rng), seed);
        var renderer = new CpuLabelRenderer<double>(map, Exact);

        var analytic = renderer.Evaluate(pose, TestScenes.Camera, query, withGradient: true, uncoveredLoss).Gradient!;
        double scale = analytic.Max(Math.Abs);
        Assert.True(scale > 1e-3, "the scene must produce a gradient");
        for (int k = 0; k < 6; k++)
        {
            double plus = renderer.Evaluate(Perturb(pose, k, Step), TestScenes.Camera, query, false, uncoveredLoss).Objective;
            double minus = renderer.Evaluate(Perturb(pose, k, -Step), TestScenes.Camera, query, false, uncoveredLoss).Objective;
            double numeric = (plus - minus) / (2 * Step);
            if (Math.Abs(numeric) < 1e-3 * scale)
            {
                Assert.True(Math.Abs(analytic[k] - numeric) < 1e-5 * scale, $"component {k}: analytic {analytic[k]:G8}, numeric {numeric:G8}");
                continue;
            }
            double relative = Math.Abs(analytic[k] - numeric) / Math.Abs(numeric);
            Assert.True(relative < 1e-3, $"component {k}: analytic {analytic[k]:G8}, numeric {numeric:G8}, relative error {relative:G3}");
        }
    }

    [Theory]
    [InlineData(41, false, false)]
    [InlineData(42, true, false)]
    [InlineData(43, true, true)]
    public void An_evaluation_recharged_with_other_uncovered_costs_is_the_one_evaluated_with_them(int seed, bool secondLabels, bool histogramQuery)
    {
        var rng = new Random(seed);
        var map = TestScenes.RandomScene(seed, count: 150, labelCount: 5, secondLabels: secondLabels);
        var pose = TestScenes.RandomPose(rng);
        var query = TestScenes.Query(map, TestScenes.RandomPose(rng), seed);
        var camera = TestScenes.Camera;
        if (histogramQuery)
            (query, camera) = (query.Downsample(2), camera.AtLevel(1));
        var renderer = new CpuLabelRenderer<double>(map, Exact);
        double[] first = [0.5, 0.8, 0.6, 1.2, 0.7], second = [1.4, 0.2, 0.9, 0.3, 1.1];

        var plain = renderer.Evaluate(pose, camera, query, withGradient: true);
        double uncovered = plain.UncoveredWeightByLabel!.Sum() / plain.ValidPixels;
        Assert.True(uncovered > 0.02, $"mean 1 − A {uncovered:F3}: the uncovered costs must matter");
        foreach (var costs in new[] { first, second, null })
        {
            var recharged = plain.Recharged(costs);
            var evaluated = renderer.Evaluate(pose, camera, query, withGradient: true, costs);
            Assert.Equal(evaluated.Objective, recharged.Objective, 12);
            for (int k = 0; k < 6; k++)
                Assert.Equal(evaluated.Gradient![k], recharged.Gradient![k], 10);
            Assert.Equal(costs, recharged.UncoveredLoss);
            // The costs enter neither the render nor the loss nor the normal matrix.
            Assert.Equal(plain.Loss, recharged.Loss);
            Assert.Equal(plain.NormalMatrix, recharged.NormalMatrix);
            Assert.Equal(plain.CoveredLossByLabel, recharged.CoveredLossByLabel);
            // An evaluation with costs does not sum the terms (a refinement never recharges one), so it cannot be recharged.
            Assert.Equal(costs is null, evaluated.CanRecharge);
        }
        Assert.NotEqual(plain.Objective, plain.Recharged(first).Objective);
        var lossOnly = renderer.Evaluate(pose, camera, query, withGradient: false);
        Assert.Equal(renderer.Evaluate(pose, camera, query, withGradient: false, first).Objective, lossOnly.Recharged(first).Objective, 12);
    }

    [Fact]
    public void An_evaluation_without_the_per_label_uncovered_terms_cannot_be_recharged()
    {
        // As a backend that does not sum them reports it (the CUDA kernels).
        var evaluation = new LossEvaluation(1.2, 1.2, [1.2, 1.2], [3, 4], 0.5, 14, 10, new double[6], new double[36]);
        Assert.False(evaluation.CanRecharge);
        Assert.Contains("another evaluation", Assert.Throws<InvalidOperationException>(() => evaluation.Recharged([0.5, 0.5])).Message);
    }

    [Theory]
    [InlineData(31, false)]
    [InlineData(32, false)]
    [InlineData(33, true)]
    public void Normal_matrix_is_the_mean_Fisher_information_of_finite_difference_label_distributions(int seed, bool histogramQuery)
    {
        var rng = new Random(seed);
        var map = TestScenes.RandomScene(seed, count: 100, labelCount: 4);
        var pose = TestScenes.RandomPose(rng);
        var query = TestScenes.Query(map, TestScenes.RandomPose(rng), seed);
        var camera = TestScenes.Camera;
        if (histogramQuery)
            (query, camera) = (query.Downsample(2), camera.AtLevel(1));
        var analytic = new CpuLabelRenderer<double>(map, Exact).Evaluate(pose, camera, query, withGradient: true).NormalMatrix!;

        // F = (1/N) Σ_p Σ_k P_k ∇log P_k ∇log P_kᵀ over the labelled pixels, P_k = (A_k + ε)/(A + Kε):
        // it does not depend on the query's labels, only on which pixels carry one.
        int n = camera.Width * camera.Height, labels = map.LabelCount;
        double epsilon = Exact.LossEpsilon;
        double[] Probabilities(ReferenceRenderer.Image image)
        {
            var result = new double[n * labels];
            for (int p = 0; p < n; p++)
                for (int k = 0; k < labels; k++)
                    result[p * labels + k] = (image.LabelWeights[p * labels + k] + epsilon) / (image.Alpha[p] + labels * epsilon);
            return result;
        }
        var atPose = Probabilities(ReferenceRenderer.Render(map, pose, camera, Exact));
        var logGradients = new double[n * labels, 6];
        for (int j = 0; j < 6; j++)
        {
            var plus = Probabilities(ReferenceRenderer.Render(map, Perturb(pose, j, Step), camera, Exact));
            var minus = Probabilities(ReferenceRenderer.Render(map, Perturb(pose, j, -Step), camera, Exact));
            for (int e = 0; e < n * labels; e++)
                logGradients[e, j] = (Math.Log(plus[e]) - Math.Log(minus[e])) / (2 * Step);
        }
        var numeric = new double[36];
        for (int p = 0; p < n; p++)
        {
            if (query.LabelsAt(p).IsEmpty)
                continue;
            for (int k = 0; k < labels; k++)
            {
                int e = p * labels + k;
                for (int r = 0; r < 6; r++)
                    for (int c = 0; c < 6; c++)
                        numeric[6 * r + c] += atPose[e] * logGradients[e, r] * logGradients[e, c] / query.ValidPixelCount;
            }
        }

        double scale = numeric.Max(Math.Abs);
        Assert.True(scale > 1e-3, "the scene must produce curvature");
        for (int i = 0; i < 36; i++)
            Assert.True(Math.Abs(analytic[i] - numeric[i]) < 1e-3 * scale, $"element ({i / 6},{i % 6}): analytic {analytic[i]:G8}, numeric {numeric[i]:G8}");
    }

    [Fact]
    public void Histogram_queries_of_a_coarse_pyramid_level_have_exact_gradients_too()
    {
        var rng = new Random(41);
        var map = TestScenes.RandomScene(41, count: 150, labelCount: 5);
        var pose = TestScenes.RandomPose(rng);
        var full = TestScenes.Query(map, TestScenes.RandomPose(rng), 42);
        var coarse = full.Downsample(2);
        var camera = TestScenes.Camera.AtLevel(1);
        var renderer = new CpuLabelRenderer<double>(map, Exact);
        Assert.Contains(Enumerable.Range(0, coarse.Width * coarse.Height), p => coarse.LabelsAt(p).Length > 1);

        foreach (double[]? uncovered in new[] { null, new[] { 0.4, 1.2, 0.8, 0.1, 1.5 } })
        {
            var analytic = renderer.Evaluate(pose, camera, coarse, withGradient: true, uncovered).Gradient!;
            double scale = analytic.Max(Math.Abs);
            for (int k = 0; k < 6; k++)
            {
                double numeric = (renderer.Evaluate(Perturb(pose, k, Step), camera, coarse, false, uncovered).Objective
                    - renderer.Evaluate(Perturb(pose, k, -Step), camera, coarse, false, uncovered).Objective) / (2 * Step);
                Assert.True(Math.Abs(analytic[k] - numeric) < 1e-3 * Math.Max(Math.Abs(numeric), 1e-2 * scale),
                    $"component {k} (uncovered costs {(uncovered is null ? "log K" : "per label")}): analytic {analytic[k]:G8}, numeric {numeric:G8}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(16)]
    public void Loss_gradient_and_normal_matrix_do_not_depend_on_the_tile_size(int tileSize)
    {
        var rng = new Random(31);
        var map = TestScenes.RandomScene(31, count: 150, labelCount: 5);
        var pose = TestScenes.RandomPose(rng);
        var query = TestScenes.Query(map, TestScenes.RandomPose(rng), 31);

        var byDefault = new CpuLabelRenderer<double>(map).Evaluate(pose, TestScenes.Camera, query, withGradient: true);
        var tiled = new CpuLabelRenderer<double>(map, new RenderSettings { TileSize = tileSize }).Evaluate(pose, TestScenes.Camera, query, withGradient: true);

        Assert.True(byDefault.Coverage > 0.1, "the scene must be in view");
        Assert.Equal(byDefault.Coverage, tiled.Coverage);
        // Only the order of the per-tile sums differs.
        static void Close(double expected, double actual, string what) =>
            Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{what}: {actual} vs {expected}");
        Close(byDefault.Loss, tiled.Loss, "loss");
        for (int k = 0; k < 6; k++)
            Close(byDefault.Gradient![k], tiled.Gradient![k], $"gradient {k}");
        for (int k = 0; k < 36; k++)
            Close(byDefault.NormalMatrix![k], tiled.NormalMatrix![k], $"normal matrix {k}");
    }

    /// <summary>
    /// The float path reads each Jacobian row as eight values; for the map's last Gaussian that reaches
    /// past its 30 values, which the projection's padding must cover. One Gaussian in view is that case.
    /// </summary>
    [Fact]
    public void Float_gradient_of_a_single_gaussian_agrees_with_the_float64_gradient()
    {
        var map = new GaussianMap(1, 2);
        map.Positions[0] = 0.05f;
        map.Positions[2] = 1.0f;
        for (int a = 0; a < 3; a++)
            map.LogScales[a] = MathF.Log(0.1f);
        map.Rotations[0] = 1;
        map.OpacityLogits[0] = 1;
        var query = LabelDistributionImage.FromLabels(new Image<ushort>(TestScenes.Camera.Width, TestScenes.Camera.Height), 2);

        var single = new CpuLabelRenderer<float>(map).Evaluate(Se3.Identity, TestScenes.Camera, query, true);
        var full = new CpuLabelRenderer<double>(map).Evaluate(Se3.Identity, TestScenes.Camera, query, true);

        double scale = full.Gradient!.Max(Math.Abs);
        Assert.True(scale > 0, "the Gaussian should pull on the pose");
        for (int k = 0; k < 6; k++)
            Assert.True(Math.Abs(single.Gradient![k] - full.Gradient![k]) < 1e-3 * scale, $"component {k}: {single.Gradient[k]} vs {full.Gradient[k]}");
    }

    [Fact]
    public void Float_gradient_agrees_with_the_float64_gradient()
    {
        var rng = new Random(51);
        var map = TestScenes.RandomScene(51);
        var pose = TestScenes.RandomPose(rng);
        var query = TestScenes.Query(map, TestScenes.RandomPose(rng), 52);
        var single = new CpuLabelRenderer<float>(map).Evaluate(pose, TestScenes.Camera, query, true);
        var full = new CpuLabelRenderer<double>(map).Evaluate(pose, TestScenes.Camera, query, true);
        double scale = full.Gradient!.Max(Math.Abs);
        Assert.Equal(full.Loss, single.Loss, 4);
        for (int k = 0; k < 6; k++)
            Assert.True(Math.Abs(single.Gradient![k] - full.Gradient![k]) < 1e-3 * scale, $"component {k}");
    }
}
