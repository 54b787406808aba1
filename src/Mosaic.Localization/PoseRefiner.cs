using System.Diagnostics;
using MathNet.Numerics.LinearAlgebra;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Rendering;

namespace Mosaic.Localization;

/// <summary>Options of <see cref="PoseRefiner"/>, validated at construction.</summary>
public sealed record RefinerOptions
{
    /// <summary>Coarsest pyramid level (each level halves the resolution); refinement starts there.</summary>
    public int CoarsestLevel { get; init; } = 3;

    /// <summary>Finest pyramid level; refinement ends there (0 = full resolution).</summary>
    public int FinestLevel { get; init; } = 1;

    /// <summary>Most iterations per level; each tries one step (one evaluation with gradient), accepted or not.</summary>
    public int MaxIterationsPerLevel { get; init; } = 25;

    /// <summary>A level ends when an accepted step moves the camera less than this (metres) ...</summary>
    public double MinTranslationStep { get; init; } = 1e-5;

    /// <summary>... and turns it less than this (radians).</summary>
    public double MinRotationStep { get; init; } = 1e-5;

    /// <summary>A level also ends when an accepted step lowers the objective by less than this fraction.</summary>
    public double RelativeLossTolerance { get; init; } = 1e-6;

    /// <summary>Initial Levenberg-Marquardt damping λ (relative to the normal matrix's diagonal).</summary>
    public double InitialDamping { get; init; } = 1e-2;

    /// <summary>
    /// Whether each level charges a query pixel the map leaves uncovered what covered pixels of its
    /// label cost at the level's start pose (at most log K), instead of log K. With log K, any
    /// segmenter that beats chance makes covering pixels pay, so the refinement drags the map over
    /// parts of the image it never mapped (docs/localization-redkitchen.md). With each label's own covered
    /// mean, covering a pixel pays only where the labels agree better than they do elsewhere.
    /// </summary>
    public bool CoverageNeutral { get; init; } = true;

    /// <summary>
    /// Rounds of the correction for the bias of a hard-label query (0: none). The objective's minimum
    /// is not at the true pose: rendered label boundaries are soft and not symmetric (an occluding edge
    /// fades over what is behind it), the query's are hard, so the cross-entropy moves the camera some
    /// millimetres off (README "Pose refinement"). The correction measures that shift where it happens:
    /// each round renders the map's hard labels at the current estimate (ignored where the query is),
    /// refines against them at the finest level (from the refined pose, with the finest level's
    /// objective), and takes as the next estimate the refined pose moved back by the shift from the
    /// estimate to where that refinement ends. Each round costs one hard-label render at the query's
    /// resolution and a short finest-level refinement. It assumes the query's labels are the map's own, which
    /// holds for synthetic queries and not for a segmenter's (docs/localization-redkitchen.md).
    /// </summary>
    public int BiasCorrectionRounds { get; init; }

    /// <summary>
    /// Levels at or coarser than this are refined on the coarse renderer given to the
    /// <see cref="PoseRefiner"/>, when it was given one; the finer levels on the full map.
    /// </summary>
    public int CoarseMapLevel { get; init; } = int.MaxValue;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (FinestLevel < 0 || CoarsestLevel < FinestLevel || CoarsestLevel > 8)
            throw new ArgumentException($"pyramid levels {CoarsestLevel}..{FinestLevel}: need 8 >= coarsest_level >= finest_level >= 0");
        if (MaxIterationsPerLevel < 1)
            throw new ArgumentException($"max_iterations_per_level {MaxIterationsPerLevel} must be at least 1");
        if (!(MinTranslationStep >= 0) || !(MinRotationStep >= 0) || !(RelativeLossTolerance >= 0))
            throw new ArgumentException("convergence tolerances must be non-negative");
        if (!(InitialDamping > 0))
            throw new ArgumentException($"initial_damping {InitialDamping} must be positive");
        if (BiasCorrectionRounds is < 0 or > 10)
            throw new ArgumentException($"bias_correction_rounds {BiasCorrectionRounds} must be between 0 and 10");
        if (CoarseMapLevel < 0)
            throw new ArgumentException($"coarse_map_level {CoarseMapLevel} must be non-negative");
    }
}

/// <summary>What happened at one pyramid level.</summary>
/// <param name="Level">Pyramid level.</param>
/// <param name="Width">Image width at this level.</param>
/// <param name="Height">Image height at this level.</param>
/// <param name="Iterations">LM iterations (accepted and rejected steps).</param>
/// <param name="InitialLoss">Loss at the pose the level started from.</param>
/// <param name="FinalLoss">Loss at the pose the level ended with.</param>
/// <param name="UncoveredLoss">Per label, what the level's objective charged an uncovered pixel of that label (nats); null without <see cref="RefinerOptions.CoverageNeutral"/> (log K).</param>
/// <param name="Converged">Whether a convergence criterion (not the iteration limit) ended the level.</param>
/// <param name="Time">Wall time spent on the level.</param>
public sealed record LevelReport(int Level, int Width, int Height, int Iterations, double InitialLoss, double FinalLoss, IReadOnlyList<double>? UncoveredLoss, bool Converged, TimeSpan Time);

/// <summary>The refined pose and how much to trust it.</summary>
/// <param name="MapFromCamera">The refined camera pose T_map_cam.</param>
/// <param name="Covariance">
/// Row-major 6×6 covariance of the left-perturbation tangent (ρ, φ) of T_cam_map at the finest level:
/// the inverse of the summed Fisher information Σ_p F_p (<see cref="LossEvaluation.NormalMatrix"/>). Pixels are not independent, so it is optimistic; use it to compare
/// frames and directions, not as a calibrated uncertainty. Null when the normal matrix is singular.
/// </param>
/// <param name="Loss">Final loss at the finest level.</param>
/// <param name="Coverage">Final share of labelled query pixels covered by the map at the finest level.</param>
/// <param name="Iterations">Total LM iterations over all levels.</param>
/// <param name="Converged">Whether the finest level ended on a convergence criterion.</param>
/// <param name="Levels">Per-level reports, coarsest first.</param>
/// <param name="Correction">The bias correction applied after the finest level; null without <see cref="RefinerOptions.BiasCorrectionRounds"/>.</param>
public sealed record RefinementResult(
    Se3 MapFromCamera,
    double[]? Covariance,
    double Loss,
    double Coverage,
    int Iterations,
    bool Converged,
    IReadOnlyList<LevelReport> Levels,
    BiasCorrectionReport? Correction = null);

/// <summary>What the bias correction (<see cref="RefinerOptions.BiasCorrectionRounds"/>) did.</summary>
/// <param name="Shift">The left perturbation of T_cam_map from the refined pose to the returned one.</param>
/// <param name="Rounds">Rounds run (fewer than asked when a round moved the estimate less than the step tolerances).</param>
/// <param name="Iterations">Refinement iterations over all rounds (not counted in <see cref="RefinementResult.Iterations"/>).</param>
/// <param name="Time">Wall time of the correction, including the renders and the evaluation at the returned pose.</param>
public sealed record BiasCorrectionReport(Tangent Shift, int Rounds, int Iterations, TimeSpan Time);

/// <summary>
/// Segmentation-metric pose refinement (DESIGN.md §6): Levenberg-Marquardt over se(3) on the label
/// loss, coarse to fine over an image pyramid. Steps are left perturbations of T_cam_map (see
/// <see cref="Se3"/>). Plain algorithm: no I/O, no logging.
/// </summary>
public sealed class PoseRefiner
{
    private readonly ILabelRenderer _renderer;
    private readonly ILabelRenderer? _coarseRenderer;
    private readonly ILabelRenderer? _finestRenderer;
    private readonly RefinerOptions _options;

    /// <summary>
    /// Refines against the map behind <paramref name="renderer"/>. <paramref name="coarseRenderer"/>,
    /// when given, renders a coarsened copy of the same map, on which the levels from
    /// <see cref="RefinerOptions.CoarseMapLevel"/> up are refined: at those resolutions a pixel spans
    /// several centimetres, and the copy renders nearly the same labels from a fraction of the Gaussians.
    /// <paramref name="finestRenderer"/>, when given, renders another copy of the map, on which the finest
    /// level alone is refined (the localizer's sharpened copy, <c>localizer.sharp_map_tracking</c>).
    /// </summary>
    public PoseRefiner(ILabelRenderer renderer, RefinerOptions? options = null, ILabelRenderer? coarseRenderer = null, ILabelRenderer? finestRenderer = null)
    {
        _renderer = renderer;
        _coarseRenderer = coarseRenderer;
        _finestRenderer = finestRenderer;
        _options = options ?? new RefinerOptions();
        _options.Validate();
    }

    /// <summary>The renderer that refines <paramref name="level"/>.</summary>
    private ILabelRenderer RendererAt(int level) =>
        level == _options.FinestLevel && _finestRenderer is not null ? _finestRenderer
        : _coarseRenderer is not null && level >= _options.CoarseMapLevel ? _coarseRenderer
        : _renderer;

    /// <summary>
    /// Refines <paramref name="initialMapFromCamera"/> so that the map's labels rendered through
    /// <paramref name="camera"/> match <paramref name="query"/> (undistorted, full resolution, the same
    /// size as the camera).
    /// </summary>
    public RefinementResult Refine(LabelDistributionImage query, PinholeCamera camera, Se3 initialMapFromCamera)
    {
        if (query.Width != camera.Width || query.Height != camera.Height)
            throw new ArgumentException($"query is {query.Width}x{query.Height} but the camera is {camera.Width}x{camera.Height}");
        var camFromMap = initialMapFromCamera.Inverse();
        var levels = new List<LevelReport>();
        LossEvaluation? last = null;
        int iterations = 0;
        bool converged = false;
        double length = 1;
        double[]? uncoveredLoss = null;
        var (levelCamera, levelQuery) = (camera, query);
        for (int level = _options.CoarsestLevel; level >= _options.FinestLevel; level--)
        {
            (levelCamera, levelQuery) = (camera.AtLevel(level), query.Downsample(1 << level));
            var clock = Stopwatch.StartNew();
            var renderer = RendererAt(level);
            (var start, uncoveredLoss) = StartLevel(renderer, levelQuery, levelCamera, camFromMap);
            (camFromMap, last, int levelIterations, converged, length) = RefineLevel(renderer, levelQuery, levelCamera, camFromMap, start, uncoveredLoss, length);
            iterations += levelIterations;
            levels.Add(new LevelReport(level, levelCamera.Width, levelCamera.Height, levelIterations,
                levels.Count == 0 ? double.NaN : levels[^1].FinalLoss, last.Loss, uncoveredLoss, converged, clock.Elapsed));
        }
        BiasCorrectionReport? correction = null;
        if (_options.BiasCorrectionRounds > 0)
        {
            var clock = Stopwatch.StartNew();
            var (corrected, rounds, correctionIterations) = CorrectBias(query, camera, camFromMap, uncoveredLoss);
            var shift = (corrected * camFromMap.Inverse()).Log();
            camFromMap = corrected;
            // The loss, coverage and covariance reported are those at the returned pose (the finest level's).
            last = RendererAt(_options.FinestLevel).Evaluate(camFromMap, levelCamera, levelQuery, withGradient: true, uncoveredLoss);
            correction = new BiasCorrectionReport(shift, rounds, correctionIterations, clock.Elapsed);
        }
        return new RefinementResult(camFromMap.Inverse(), Covariance(last!), last!.Loss, last.Coverage, iterations, converged, levels, correction);
    }

    /// <summary>
    /// The bias correction (<see cref="RefinerOptions.BiasCorrectionRounds"/>) of <paramref name="refined"/>,
    /// the pose the levels ended at. With S(c) the pose a finest-level refinement reaches from c against
    /// the map's own labels at c, the true pose c* satisfies S(c*) ≈ <paramref name="refined"/>; each
    /// round solves that by the fixed-point step c ← δ(c)⁻¹·refined, where δ(c) = S(c)·c⁻¹ is the shift
    /// (a left perturbation). The first round assumes the shift at the refined pose is the shift at the
    /// true one; later rounds measure it closer to the true pose, which matters where it changes
    /// quickly with the pose (hard labels flip pixel by pixel). S uses the finest level's objective,
    /// <paramref name="uncoveredLoss"/> included: the one that carried the query to <paramref name="refined"/>.
    /// </summary>
    private (Se3 Pose, int Rounds, int Iterations) CorrectBias(LabelDistributionImage query, PinholeCamera camera, Se3 refined, double[]? uncoveredLoss)
    {
        var levelCamera = camera.AtLevel(_options.FinestLevel);
        var renderer = RendererAt(_options.FinestLevel);
        var estimate = refined;
        int iterations = 0;
        for (int round = 1; round <= _options.BiasCorrectionRounds; round++)
        {
            var own = renderer.RenderHardLabels(estimate, camera);
            for (int p = 0; p < own.Data.Length; p++)
                if (query.LabelsAt(p).IsEmpty)
                    own.Data[p] = Labels.Ignore;
            var ownQuery = LabelDistributionImage.FromLabels(own, query.LabelCount).Downsample(1 << _options.FinestLevel);
            // S(estimate) is a minimum, whichever pose in its basin the refinement starts from. Starting
            // at the refined pose, where S(c*) lies, takes fewer iterations than starting at the estimate
            // from round 2 on, and gives every round the same starting point, so the rounds' shifts differ
            // by what the labels change, not by where each refinement happened to stop. The step length
            // starts afresh: the finest level's last one fitted another objective.
            var start = renderer.Evaluate(refined, levelCamera, ownQuery, withGradient: true, uncoveredLoss);
            var (reached, _, levelIterations, _, _) = RefineLevel(renderer, ownQuery, levelCamera, refined, start, uncoveredLoss, length: 1);
            iterations += levelIterations;
            var next = (reached * estimate.Inverse()).Inverse() * refined;
            var (moved, turned) = Se3.Distance(next.Inverse(), estimate.Inverse());
            estimate = next;
            if (moved < _options.MinTranslationStep && turned < _options.MinRotationStep)
                return (estimate, round, iterations);
        }
        return (estimate, _options.BiasCorrectionRounds, iterations);
    }

    /// <summary>
    /// A level's first iterate: the evaluation at <paramref name="pose"/> with gradient, charged with the
    /// uncovered costs that the same evaluation gives (<see cref="UncoveredLoss"/>) when the objective is
    /// coverage-neutral. A backend that reports the per-label uncovered terms renders the pose once
    /// (<see cref="LossEvaluation.Recharged"/>); another renders it for the costs and again with them.
    /// </summary>
    private (LossEvaluation Start, double[]? UncoveredLoss) StartLevel(ILabelRenderer renderer, LabelDistributionImage query, PinholeCamera camera, Se3 pose)
    {
        if (!_options.CoverageNeutral)
            return (renderer.Evaluate(pose, camera, query, withGradient: true), null);
        if (renderer.ReportsUncoveredTerms)
        {
            var plain = renderer.Evaluate(pose, camera, query, withGradient: true);
            var costs = UncoveredLoss(plain);
            return (plain.Recharged(costs), costs);
        }
        var uncoveredLoss = UncoveredLoss(renderer.Evaluate(pose, camera, query, withGradient: false));
        return (renderer.Evaluate(pose, camera, query, withGradient: true, uncoveredLoss), uncoveredLoss);
    }

    /// <summary>
    /// The coverage-neutral uncovered costs of <paramref name="start"/>, an evaluation at a level's starting
    /// pose: per label, the covered pixels' mean loss, shrunk towards the mean over all covered pixels by
    /// <see cref="LabelPriorPixels"/> pixels' worth (a label seen on a few pixels gets little say) and capped
    /// at log K (chance); null (log K) when the map covers nothing.
    /// </summary>
    private static double[]? UncoveredLoss(LossEvaluation start)
    {
        if (!double.IsFinite(start.CoveredLoss))
            return null;
        double chance = Math.Log(start.CoveredLossByLabel.Length);
        return start.CoveredLossByLabel.Select((mean, k) =>
        {
            double weight = start.CoveredWeightByLabel[k];
            double shrunk = weight > 0 ? (weight * mean + LabelPriorPixels * start.CoveredLoss) / (weight + LabelPriorPixels) : start.CoveredLoss;
            return Math.Clamp(shrunk, 0, chance);
        }).ToArray();
    }

    /// <summary>Pixels' worth of the overall covered mean in each label's uncovered cost.</summary>
    private const double LabelPriorPixels = 16;

    /// <summary>
    /// One level: each iteration tries one step of length μ along the Levenberg-Marquardt direction d
    /// (one evaluation with gradient, which is the next iteration's as well when the step is accepted).
    /// μ is a correction to the Fisher matrix, which misjudges the curvature by a factor that
    /// persists from step to step (with the empirical Fisher used until 2026-11-30, far from the optimum the steps wanted on the kitchen were several times
    /// the LM step; near it on the synthetic room a fraction of it: README "Pose refinement"). The parabola through
    /// the objective at 0, its slope gᵀd there and the objective at μ gives the next μ: within [μ/4, 4μ]
    /// after an accepted step, within [μ/10, μ/2] after a rejected one. <paramref name="current"/> is the
    /// evaluation at <paramref name="pose"/> with gradient and <paramref name="uncoveredLoss"/>. It starts at <paramref name="length"/>
    /// (the previous level's, returned for the next level) but not below 1: a level that ended because no
    /// step descended hands on a length too short to be worth trying again.
    /// </summary>
    private (Se3 Pose, LossEvaluation Evaluation, int Iterations, bool Converged, double Length) RefineLevel(ILabelRenderer renderer, LabelDistributionImage query, PinholeCamera camera, Se3 pose, LossEvaluation current, double[]? uncoveredLoss, double length)
    {
        double lambda = _options.InitialDamping;
        length = Math.Max(length, 1);
        for (int iteration = 1; iteration <= _options.MaxIterationsPerLevel; iteration++)
        {
            var direction = SolveStep(current, lambda);
            if (direction is null)
                return (pose, current, iteration, true, length);
            var step = length * direction.Value;
            var trialPose = Se3.Exp(step) * pose;
            var trial = renderer.Evaluate(trialPose, camera, query, withGradient: true, uncoveredLoss);
            double fitted = FittedLength(current.Objective, Slope(current, direction.Value), length, trial.Objective);
            if (!(trial.Objective < current.Objective))
            {
                length = Math.Clamp(fitted, length / 10, length / 2);
                // No descent down to 1/16 of the LM step: the objective is flat at this resolution.
                if (length < MinStepLength)
                    return (pose, current, iteration, true, length);
                continue;
            }
            double previous = current.Objective, decrease = previous - trial.Objective;
            (pose, current) = (trialPose, trial);
            length = Math.Clamp(fitted, length / 4, Math.Min(4 * length, MaxStepLength));
            lambda = Math.Max(lambda / 3, 1e-9);
            bool smallStep = step.Translation.Norm < _options.MinTranslationStep && step.Rotation.Norm < _options.MinRotationStep;
            bool smallDecrease = decrease < _options.RelativeLossTolerance * Math.Abs(previous)
                || decrease * current.ValidPixels < MinSummedDecrease;
            if (smallStep || smallDecrease)
                return (pose, current, iteration, true, length);
        }
        return (pose, current, _options.MaxIterationsPerLevel, false, length);
    }

    /// <summary>Step lengths (multiples of the LM step) a level tries: below the least it stops.</summary>
    private const double MinStepLength = 1.0 / 16, MaxStepLength = 16;

    /// <summary>
    /// A level also ends when an accepted step lowers the objective summed over the level's pixels by
    /// less than this (nats): at 40×30 a relative tolerance alone keeps chasing changes of single pixels.
    /// </summary>
    private const double MinSummedDecrease = 0.05;

    /// <summary>Directional derivative gᵀd of the objective along <paramref name="direction"/>.</summary>
    private static double Slope(LossEvaluation evaluation, Tangent direction)
    {
        var d = direction.ToArray();
        double slope = 0;
        for (int i = 0; i < 6; i++)
            slope += evaluation.Gradient![i] * d[i];
        return slope;
    }

    /// <summary>
    /// Where the parabola through f(0) = <paramref name="f0"/>, f'(0) = <paramref name="slope"/> and
    /// f(<paramref name="length"/>) = <paramref name="f"/> has its minimum; +∞ when it has none.
    /// </summary>
    private static double FittedLength(double f0, double slope, double length, double f)
    {
        double curvature = 2 * (f - f0 - slope * length) / (length * length);
        return curvature > 0 && slope < 0 ? -slope / curvature : double.PositiveInfinity;
    }

    /// <summary>The LM step δ solving (H + λ diag H) δ = −g; null when there is no gradient at all.</summary>
    private static Tangent? SolveStep(LossEvaluation evaluation, double lambda)
    {
        var g = evaluation.Gradient!;
        if (g.All(v => v == 0))
            return null;
        var h = Matrix<double>.Build.DenseOfRowMajor(6, 6, evaluation.NormalMatrix!);
        double maxDiagonal = Enumerable.Range(0, 6).Max(i => h[i, i]);
        for (int i = 0; i < 6; i++)
            h[i, i] += lambda * Math.Max(h[i, i], 1e-9 * maxDiagonal) + 1e-12;
        var delta = h.Cholesky().Solve(Vector<double>.Build.Dense(g).Negate());
        return Tangent.FromArray(delta.ToArray());
    }

    private static double[]? Covariance(LossEvaluation evaluation)
    {
        var information = Matrix<double>.Build.DenseOfRowMajor(6, 6, evaluation.NormalMatrix!) * evaluation.ValidPixels;
        if (evaluation.ValidPixels == 0 || information.Determinant() <= 0)
            return null;
        return information.Inverse().ToRowMajorArray();
    }
}
