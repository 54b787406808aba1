using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;

namespace Mosaic.Rendering.Cuda;

/// <summary>How far one backend's results are from the reference backend's at one pose and query.</summary>
/// <param name="AlphaError">Largest |ΔA| over all pixels (A lies in [0, 1]).</param>
/// <param name="LabelWeightError">Largest |ΔA_k| over all pixels and labels.</param>
/// <param name="LabelWeightPixelShare">Share of pixels where some |ΔA_k| exceeds <see cref="BackendParity.WeightTolerance"/>.</param>
/// <param name="DepthError">Largest |Δdepth| / (1 + depth) where the reference's A exceeds 1e-3.</param>
/// <param name="LossError">Largest |Δ| / (1 + |value|) of the loss, the objective and the covered pixels' loss (overall and per label).</param>
/// <param name="GradientError">‖Δgradient‖ / ‖gradient‖.</param>
/// <param name="NormalError">‖Δnormal matrix‖ / ‖normal matrix‖.</param>
/// <param name="Problems">What is outside the tolerances of <see cref="BackendParity"/>; empty when the backends agree.</param>
public sealed record ParityResult(double AlphaError, double LabelWeightError, double LabelWeightPixelShare, double DepthError, double LossError, double GradientError, double NormalError, IReadOnlyList<string> Problems);

/// <summary>
/// Compares a compute backend with the CPU backend (both float32) on the same map, pose and query:
/// forward images, loss, coverage, gradient and normal matrix. The tolerances are float32's: the
/// backends sum in different orders. Used by the tests (emulated device, GPU) and <c>mosaic cuda check</c>.
/// </summary>
public static class BackendParity
{
    /// <summary>Largest weight difference accepted.</summary>
    public const double WeightTolerance = 2e-4;

    /// <summary>
    /// Share of pixels whose A_k may differ by more than <see cref="WeightTolerance"/>. Compositing is
    /// sorted by depth, and two overlapping Gaussians whose depths differ by about float32 rounding can
    /// come out in either order when the backends round differently (a GPU fuses multiply-adds): the
    /// pixels they share then split their weight differently between the two labels. A, the sum over
    /// labels, does not depend on the order and is held to the tolerance everywhere.
    /// </summary>
    public const double OrderTiePixelShare = 1e-3;

    /// <summary>Largest relative depth difference accepted.</summary>
    public const double DepthTolerance = 1e-3;

    /// <summary>Largest relative loss difference accepted.</summary>
    public const double LossTolerance = 1e-4;

    /// <summary>Largest relative gradient difference accepted.</summary>
    public const double GradientTolerance = 2e-3;

    /// <summary>Largest relative normal-matrix difference accepted.</summary>
    public const double NormalTolerance = 4e-3;

    /// <summary>
    /// The uncovered cost (nats) of label k the comparisons evaluate with: 0.5 + 0.1 k, below log K and
    /// different per label, so that the term the objective adds to the loss, and its gradient, are
    /// compared too.
    /// </summary>
    public static double[] UncoveredLoss(int labelCount) => Enumerable.Range(0, labelCount).Select(k => Math.Min(0.5 + 0.1 * k, Math.Log(labelCount))).ToArray();

    /// <summary>Renders and evaluates (with gradient) on both backends and measures the differences.</summary>
    public static ParityResult Compare(ILabelRenderer candidate, ILabelRenderer reference, Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, bool withRender = true)
    {
        var problems = new List<string>();
        double alphaError = 0, labelWeightError = 0, labelWeightPixelShare = 0, depthError = 0;
        if (withRender)
        {
            var expected = reference.Render(camFromMap, camera);
            var actual = candidate.Render(camFromMap, camera);
            alphaError = MaxDifference(expected.Alpha, actual.Alpha, "A", problems);
            (labelWeightError, labelWeightPixelShare) = LabelWeightDifferences(expected, actual, problems);
            for (int p = 0; p < expected.Depth.Length; p++)
            {
                if (float.IsNaN(expected.Depth[p]) != float.IsNaN(actual.Depth[p]))
                {
                    problems.Add($"depth at pixel {p}: {expected.Depth[p]} vs {actual.Depth[p]}");
                    break;
                }
                if (!float.IsNaN(expected.Depth[p]) && expected.Alpha[p] > 1e-3)
                    depthError = Math.Max(depthError, Math.Abs(expected.Depth[p] - actual.Depth[p]) / (1 + expected.Depth[p]));
            }
            Check(alphaError <= WeightTolerance, $"A differs by up to {alphaError:G3} (tolerance {WeightTolerance:G3})", problems);
            Check(labelWeightPixelShare <= OrderTiePixelShare,
                $"A_k differ by more than {WeightTolerance:G3} at {labelWeightPixelShare:P3} of pixels (up to {labelWeightError:G3}; at most {OrderTiePixelShare:P2} may, for depth ties)", problems);
            Check(depthError <= DepthTolerance, $"depth differs by up to {depthError:G3} relative (tolerance {DepthTolerance:G3})", problems);
        }

        var uncovered = UncoveredLoss(query.LabelCount);
        var e = reference.Evaluate(camFromMap, camera, query, withGradient: true, uncovered);
        var a = candidate.Evaluate(camFromMap, camera, query, withGradient: true, uncovered);
        Check(e.ValidPixels == a.ValidPixels, $"valid pixels {a.ValidPixels}, expected {e.ValidPixels}", problems);
        Check(e.VisibleGaussians == a.VisibleGaussians, $"visible Gaussians {a.VisibleGaussians}, expected {e.VisibleGaussians}", problems);
        double lossError = 0;
        var compared = new List<(string Name, double Expected, double Actual)> { ("loss", e.Loss, a.Loss), ("objective", e.Objective, a.Objective), ("covered loss", e.CoveredLoss, a.CoveredLoss) };
        // Per label, its share of the covered pixels' summed loss and weight (per valid pixel), not its
        // mean: a label seen on a few pixels has a mean that a handful of depth-tie pixels can move
        // by more than the tolerance (measured on the H200: 2.1e-4 for a rare label of the demo map),
        // while its share, which is what the refiner's uncovered costs weigh it by, moves little.
        double pixels = Math.Max(1, e.ValidPixels);
        for (int k = 0; k < query.LabelCount; k++)
        {
            compared.Add(($"covered loss of label {k} (weight {e.CoveredWeightByLabel[k]:G4}) per valid pixel",
                LabelLossShare(e, k) / pixels, LabelLossShare(a, k) / pixels));
            compared.Add(($"covered weight of label {k}", e.CoveredWeightByLabel[k] / pixels, a.CoveredWeightByLabel[k] / pixels));
        }
        foreach (var (name, expected, actual) in compared)
        {
            double error = double.IsNaN(expected) && double.IsNaN(actual) ? 0 : Math.Abs(expected - actual) / (1 + Math.Abs(expected));
            Check(error <= LossTolerance, $"{name} {actual:G8}, expected {expected:G8}", problems);
            lossError = Math.Max(lossError, double.IsNaN(error) ? double.PositiveInfinity : error);
        }
        Check(Math.Abs(e.Coverage - a.Coverage) <= 2.0 / Math.Max(1, e.ValidPixels), $"coverage {a.Coverage:G6}, expected {e.Coverage:G6}", problems);
        double gradientError = RelativeDifference(e.Gradient!, a.Gradient!);
        double normalError = RelativeDifference(e.NormalMatrix!, a.NormalMatrix!);
        Check(gradientError <= GradientTolerance, $"gradient differs by {gradientError:G3} relative (tolerance {GradientTolerance:G3}): [{Join(a.Gradient!)}] vs [{Join(e.Gradient!)}]", problems);
        Check(normalError <= NormalTolerance, $"normal matrix differs by {normalError:G3} relative (tolerance {NormalTolerance:G3})", problems);
        var withoutGradient = candidate.Evaluate(camFromMap, camera, query, withGradient: false, uncovered);
        Check(withoutGradient.Loss == a.Loss && withoutGradient.Objective == a.Objective && withoutGradient.Gradient is null,
            "the loss without the gradient differs from the loss with it", problems);
        return new ParityResult(alphaError, labelWeightError, labelWeightPixelShare, depthError, lossError, gradientError, normalError, problems);
    }

    /// <summary>Label k's summed loss over the covered pixels: its mean times its weight, 0 when no covered pixel carries it.</summary>
    private static double LabelLossShare(LossEvaluation evaluation, int k) =>
        evaluation.CoveredWeightByLabel[k] > 0 ? evaluation.CoveredWeightByLabel[k] * evaluation.CoveredLossByLabel[k] : 0;

    /// <summary>Problems if evaluating <paramref name="runs"/> more times does not repeat the first result bit for bit.</summary>
    public static IReadOnlyList<string> Repeatability(ILabelRenderer renderer, Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, int runs)
    {
        var first = renderer.Evaluate(camFromMap, camera, query, withGradient: true);
        var problems = new List<string>();
        for (int run = 1; run <= runs && problems.Count == 0; run++)
        {
            var again = renderer.Evaluate(camFromMap, camera, query, withGradient: true);
            Check(again.Loss == first.Loss && again.Gradient!.SequenceEqual(first.Gradient!) && again.NormalMatrix!.SequenceEqual(first.NormalMatrix!),
                $"run {run + 1} differs from run 1 (loss {again.Loss:R} vs {first.Loss:R})", problems);
        }
        return problems;
    }

    private static void Check(bool condition, string problem, List<string> problems)
    {
        if (!condition)
            problems.Add(problem);
    }

    private static double MaxDifference(float[] expected, float[] actual, string what, List<string> problems)
    {
        if (expected.Length != actual.Length)
        {
            problems.Add($"{what} has {actual.Length} values, expected {expected.Length}");
            return double.PositiveInfinity;
        }
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(actual[i]))
            {
                problems.Add($"{what}[{i}] is NaN: memory the kernels did not write?");
                return double.PositiveInfinity;
            }
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }
        return worst;
    }

    /// <summary>The largest |ΔA_k| and the share of pixels where one exceeds <see cref="WeightTolerance"/>.</summary>
    private static (double Largest, double PixelShare) LabelWeightDifferences(RenderedLabels expected, RenderedLabels actual, List<string> problems)
    {
        if (expected.LabelWeights.Length != actual.LabelWeights.Length)
        {
            problems.Add($"A_k has {actual.LabelWeights.Length} values, expected {expected.LabelWeights.Length}");
            return (double.PositiveInfinity, 1);
        }
        int labels = expected.LabelCount, pixels = expected.Alpha.Length, off = 0;
        double largest = 0;
        for (int p = 0; p < pixels; p++)
        {
            double worst = 0;
            for (int k = p * labels; k < (p + 1) * labels; k++)
            {
                if (float.IsNaN(actual.LabelWeights[k]))
                {
                    problems.Add($"A_k[{k}] is NaN: memory the kernels did not write?");
                    return (double.PositiveInfinity, 1);
                }
                worst = Math.Max(worst, Math.Abs(expected.LabelWeights[k] - actual.LabelWeights[k]));
            }
            largest = Math.Max(largest, worst);
            off += worst > WeightTolerance ? 1 : 0;
        }
        return (largest, (double)off / Math.Max(1, pixels));
    }

    private static double RelativeDifference(double[] expected, double[] actual)
    {
        double difference = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (!double.IsFinite(actual[i]))
                return double.PositiveInfinity;
            difference += (expected[i] - actual[i]) * (expected[i] - actual[i]);
            norm += expected[i] * expected[i];
        }
        // A floor for vectors that are almost zero (a pose at the optimum).
        return Math.Sqrt(difference) / (Math.Sqrt(norm) + 1e-9);
    }

    private static string Join(double[] values) => string.Join(", ", values.Select(v => v.ToString("G5", System.Globalization.CultureInfo.InvariantCulture)));
}
