namespace Mosaic.Rendering;

/// <summary>
/// The label loss at one pose (DESIGN.md §6) and, when asked for, the derivatives of the objective
/// with respect to the left-perturbation tangent (ρ, φ) of T_cam_map.
/// </summary>
/// <param name="Loss">
/// Mean over the query's labelled pixels of L_p = −Σ_k h_p(k) log((A_k + ε)/(A + Kε)): the loss of
/// DESIGN.md §6, in which a pixel the map leaves uncovered costs log K. Gates and rankings compare this.
/// </param>
/// <param name="Objective">
/// Mean over the labelled pixels of L_p + Σ_k h_p(k) (u_k − log K)(1 − A), for the uncovered costs u_k
/// the evaluation was asked for: an uncovered pixel costs Σ_k h_p(k) u_k, a fully covered one L_p.
/// Equals <paramref name="Loss"/> when no uncovered cost was given. <paramref name="Gradient"/> and
/// <paramref name="NormalMatrix"/> are its derivatives.
/// </param>
/// <param name="CoveredLossByLabel">Per label k, the mean of L_p over covered pixels weighted by h_p(k); NaN for a label no covered pixel carries.</param>
/// <param name="CoveredWeightByLabel">Per label k, Σ h_p(k) over the covered pixels (their number for one-hot queries).</param>
/// <param name="Coverage">Share of the query's labelled pixels whose rendered A reaches the coverage threshold.</param>
/// <param name="ValidPixels">Number of labelled query pixels (the means' denominator).</param>
/// <param name="VisibleGaussians">Gaussians that survived culling.</param>
/// <param name="Gradient">dObjective/dξ (6), or null.</param>
/// <param name="NormalMatrix">
/// Row-major 6×6 (1/N) Σ_p F_p, where F_p = Σ_k P_k ∇log P_k ∇log P_kᵀ is the Fisher information of pixel
/// p's rendered label distribution P_k = (A_k + ε)/(A + Kε): the expected Hessian of its cross-entropy
/// (the Gauss-Newton matrix of a categorical likelihood), which does not depend on the query's labels;
/// or null.
/// </param>
/// <param name="UncoveredLoss">The uncovered costs u_k <paramref name="Objective"/> charged; null for log K.</param>
/// <param name="UncoveredWeightByLabel">
/// Per label k, Σ_p h_p(k) (1 − A_p) over the labelled pixels: how much of label k the map leaves
/// uncovered, the term of the objective that the uncovered costs multiply (see <see cref="Recharged"/>);
/// null for an evaluation with uncovered costs, or where the backend does not report it.
/// </param>
/// <param name="CoverageGradientByLabel">
/// Per label k, Σ_p h_p(k) ∇A_p over the labelled pixels (6 values each, label after label): the
/// gradient of that term; null without the gradient or where the backend does not report it.
/// </param>
public sealed record LossEvaluation(
    double Loss,
    double Objective,
    double[] CoveredLossByLabel,
    double[] CoveredWeightByLabel,
    double Coverage,
    int ValidPixels,
    int VisibleGaussians,
    double[]? Gradient,
    double[]? NormalMatrix,
    IReadOnlyList<double>? UncoveredLoss = null,
    double[]? UncoveredWeightByLabel = null,
    double[]? CoverageGradientByLabel = null)
{
    /// <summary>
    /// Whether <see cref="Recharged"/> can charge uncovered costs without evaluating again: the evaluation
    /// charged none (log K) and carries the per-label uncovered terms.
    /// </summary>
    public bool CanRecharge => UncoveredLoss is null && UncoveredWeightByLabel is not null && (Gradient is null || CoverageGradientByLabel is not null);

    /// <summary>
    /// This evaluation, made without uncovered costs, as if made with <paramref name="uncoveredLoss"/> (null: log K):
    /// the objective and its gradient change by the per-label uncovered terms, and everything else stays,
    /// since the costs do not enter the render, the loss or the normal matrix. A refinement that takes its
    /// costs from the loss at its starting pose (the coverage-neutral objective) then evaluates that pose
    /// once instead of twice.
    /// </summary>
    /// <exception cref="InvalidOperationException">The evaluation charged costs already, or its backend did not report the per-label terms (<see cref="CanRecharge"/>).</exception>
    /// <exception cref="ArgumentException">The costs are not one finite, non-negative number per label.</exception>
    public LossEvaluation Recharged(IReadOnlyList<double>? uncoveredLoss)
    {
        if (!CanRecharge)
            throw new InvalidOperationException("this evaluation charged uncovered costs already or does not carry the per-label uncovered terms, so charging others needs another evaluation");
        int labelCount = UncoveredWeightByLabel!.Length;
        var shifts = UncoveredShifts(labelCount, uncoveredLoss);
        double objective = Objective;
        var gradient = (double[]?)Gradient?.Clone();
        if (ValidPixels > 0)
        {
            // The objective charges −Σ_k (log K − u_k) Σ_p h_p(k) (1 − A_p) beyond the loss, so its gradient
            // +Σ_k (log K − u_k) Σ_p h_p(k) ∇A_p; both are means over the labelled pixels.
            for (int k = 0; k < labelCount; k++)
            {
                double change = shifts[k] / ValidPixels;
                objective -= change * UncoveredWeightByLabel[k];
                if (gradient is not null)
                    for (int i = 0; i < 6; i++)
                        gradient[i] += change * CoverageGradientByLabel![6 * k + i];
            }
        }
        return this with { Objective = objective, Gradient = gradient, UncoveredLoss = uncoveredLoss?.ToArray() };
    }

    /// <summary>
    /// Mean of L_p over the covered pixels; NaN when no pixel is covered. (Each pixel's h sums to 1, so
    /// this is the per-label means weighted by <see cref="CoveredWeightByLabel"/>.)
    /// </summary>
    public double CoveredLoss
    {
        get
        {
            double sum = 0, weight = 0;
            for (int k = 0; k < CoveredWeightByLabel.Length; k++)
            {
                if (CoveredWeightByLabel[k] <= 0)
                    continue;
                sum += CoveredWeightByLabel[k] * CoveredLossByLabel[k];
                weight += CoveredWeightByLabel[k];
            }
            return weight > 0 ? sum / weight : double.NaN;
        }
    }

    /// <summary>The evaluation of a query without a single labelled pixel.</summary>
    internal static LossEvaluation Empty(int labelCount, int visibleGaussians, bool withGradient, IReadOnlyList<double>? uncoveredLoss) =>
        new(0, 0, Enumerable.Repeat(double.NaN, labelCount).ToArray(), new double[labelCount], 0, 0, visibleGaussians,
            withGradient ? new double[6] : null, withGradient ? new double[36] : null,
            uncoveredLoss?.ToArray(), uncoveredLoss is null ? new double[labelCount] : null, uncoveredLoss is null && withGradient ? new double[6 * labelCount] : null);

    /// <summary>
    /// log K − u_k per label for the uncovered costs u_k (all 0 when none are given: the objective is
    /// the loss). Every backend charges through this.
    /// </summary>
    /// <exception cref="ArgumentException">There is not one cost per label, or a cost is negative or not finite.</exception>
    internal static double[] UncoveredShifts(int labelCount, IReadOnlyList<double>? uncoveredLoss)
    {
        var shifts = new double[labelCount];
        if (uncoveredLoss is null)
            return shifts;
        if (uncoveredLoss.Count != labelCount)
            throw new ArgumentException($"{uncoveredLoss.Count} uncovered costs for {labelCount} labels", nameof(uncoveredLoss));
        for (int k = 0; k < labelCount; k++)
        {
            double u = uncoveredLoss[k];
            if (!(u >= 0) || double.IsInfinity(u))
                throw new ArgumentOutOfRangeException(nameof(uncoveredLoss), $"uncovered loss {u} of label {k} must be a finite, non-negative number of nats");
            shifts[k] = Math.Log(labelCount) - u;
        }
        return shifts;
    }
}
