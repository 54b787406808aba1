using Mosaic.Core.Geometry;

namespace Mosaic.Evaluation;

/// <summary>A recall threshold: a pose counts when within both limits.</summary>
/// <param name="Centimetres">Translation limit, cm.</param>
/// <param name="Degrees">Rotation limit, degrees.</param>
public sealed record RecallThreshold(double Centimetres, double Degrees)
{
    /// <summary>The thresholds of DESIGN.md §9: 2cm/2°, 5cm/5°, 10cm/5°, 25cm/2°, 50cm/5°.</summary>
    public static IReadOnlyList<RecallThreshold> Standard { get; } = [new(2, 2), new(5, 5), new(10, 5), new(25, 2), new(50, 5)];

    /// <summary>"5cm/5deg".</summary>
    public override string ToString() => $"{Centimetres:0.##}cm/{Degrees:0.##}deg";
}

/// <summary>Accuracy over a set of frames; frames without a pose count as infinitely wrong.</summary>
/// <param name="Frames">Frames evaluated.</param>
/// <param name="MedianTranslation">Median translation error, metres (+∞ when more than half have no pose).</param>
/// <param name="MedianRotationDeg">Median rotation error, degrees.</param>
/// <param name="Recalls">Share of frames within each of <see cref="RecallThreshold.Standard"/>, in that order.</param>
public sealed record AccuracySummary(int Frames, double MedianTranslation, double MedianRotationDeg, IReadOnlyList<double> Recalls)
{
    /// <summary>Summarises per-frame errors (metres, degrees).</summary>
    public static AccuracySummary Of(IReadOnlyList<(double Translation, double RotationDeg)> errors)
    {
        var recalls = RecallThreshold.Standard
            .Select(th => errors.Count == 0 ? double.NaN : errors.Count(e => e.Translation * 100 <= th.Centimetres && e.RotationDeg <= th.Degrees) / (double)errors.Count)
            .ToList();
        return new AccuracySummary(errors.Count, Median(errors.Select(e => e.Translation)), Median(errors.Select(e => e.RotationDeg)), recalls);
    }

    /// <summary>The median (the mean of the middle two for an even count); NaN when empty.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            return double.NaN;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>Latency percentiles of one stage, milliseconds.</summary>
/// <param name="Stage">Stage name.</param>
/// <param name="P50">Median.</param>
/// <param name="P95">95th percentile.</param>
/// <param name="Max">Largest.</param>
public sealed record LatencySummary(string Stage, double P50, double P95, double Max)
{
    /// <summary>Percentiles of <paramref name="milliseconds"/> (nearest rank).</summary>
    public static LatencySummary Of(string stage, IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToArray();
        return sorted.Length == 0
            ? new LatencySummary(stage, double.NaN, double.NaN, double.NaN)
            : new LatencySummary(stage, Percentile(sorted, 0.5), Percentile(sorted, 0.95), sorted[^1]);
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>The numbers of one evaluated mode.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="Accuracy">Accuracy of the poses it gave.</param>
/// <param name="Latency">Per stage: segment, retrieve, hypotheses, refine, depth, total.</param>
/// <param name="Rejected">Frames whose refined pose the gates rejected, or that had nothing to refine from.</param>
/// <param name="RejectedBy"><paramref name="Rejected"/> by the gate that rejected them, every gate listed, so that a reader sees which one to tune.</param>
/// <param name="NotMoved">Frames not refined because the camera had hardly moved since the last refined frame (<see cref="Localization.Rejection.NotMoved"/>).</param>
/// <param name="WithoutPose">Frames with no pose at all.</param>
/// <param name="Causes">Frames outside 5cm/5° by cause.</param>
/// <param name="Seeds">Frames by the seed their refinement started from.</param>
/// <param name="CausesOutsideFromTruth">
/// Of <paramref name="Causes"/>, the frames that are outside 5cm/5° in <see cref="EvaluationMode.FromTruth"/>
/// too (no seed would have saved them); null when that mode did not run, and for that mode itself.
/// </param>
/// <param name="DepthRefined">Frames whose pose depth refinement gave (0 without depth).</param>
/// <param name="Sharpened">Accepted frames finished on the sharpened copy of the map (<see cref="Localization.LocalizerOptions.SharpMapMaxLoss"/>).</param>
/// <param name="RefinedAgain">Tracking frames refined on the sharpened copy directly and then again on the full map (<see cref="Localization.LocalizationResult.RefinedAgain"/>).</param>
/// <param name="Covariance">How the covariance published with the accepted poses compares with their errors; null when none was accepted.</param>
/// <param name="FinalOdometryDrift">
/// The odometry drift the localizer's fusion assumed after the last frame, as it learnt it from the fixes
/// (<see cref="Localization.LocalizationResult.OdometryDrift"/>); NaN without frames.
/// </param>
public sealed record ModeSummary(EvaluationMode Mode, AccuracySummary Accuracy, IReadOnlyList<LatencySummary> Latency, int Rejected,
    IReadOnlyDictionary<Localization.Rejection, int> RejectedBy, int WithoutPose,
    IReadOnlyDictionary<FailureCause, int> Causes, IReadOnlyDictionary<Localization.PoseSeed, int> Seeds,
    IReadOnlyDictionary<FailureCause, int>? CausesOutsideFromTruth = null, int DepthRefined = 0, double FinalOdometryDrift = double.NaN,
    CovarianceCheck? Covariance = null, int NotMoved = 0, int Sharpened = 0, int RefinedAgain = 0)
{
    /// <summary>
    /// Summarises one mode's frames; <paramref name="fromTruth"/>, the same drive's frames in
    /// <see cref="EvaluationMode.FromTruth"/>, when that mode ran.
    /// </summary>
    public static ModeSummary Of(EvaluationMode mode, IReadOnlyList<FrameOutcome> frames, IReadOnlyList<FrameOutcome>? fromTruth = null)
    {
        var times = frames.Select(f => f.Result.Times).ToList();
        var latency = new List<LatencySummary>
        {
            LatencySummary.Of("segment", times.Select(t => t.Segment.TotalMilliseconds)),
            LatencySummary.Of("retrieve", times.Select(t => t.Retrieve.TotalMilliseconds)),
            LatencySummary.Of("hypotheses", times.Select(t => t.Hypotheses.TotalMilliseconds)),
            LatencySummary.Of("refine", times.Select(t => t.Refine.TotalMilliseconds)),
            LatencySummary.Of("depth", times.Select(t => t.Depth.TotalMilliseconds)),
            LatencySummary.Of("total", times.Select(t => t.Total.TotalMilliseconds)),
        };
        var causes = Enum.GetValues<FailureCause>().Where(c => c != FailureCause.None).ToList();
        IReadOnlyDictionary<FailureCause, int>? outsideFromTruth = null;
        if (fromTruth is not null && mode != EvaluationMode.FromTruth)
        {
            var failedFromTruth = fromTruth.Where(f => f.Cause != FailureCause.None).Select(f => f.Frame.Stamp).ToHashSet();
            outsideFromTruth = causes.ToDictionary(c => c, c => frames.Count(f => f.Cause == c && failedFromTruth.Contains(f.Frame.Stamp)));
        }
        return new ModeSummary(mode, AccuracySummary.Of(frames.Select(f => (f.TranslationError, f.RotationErrorDeg)).ToList()), latency,
            frames.Count(f => !f.Result.Accepted && f.Result.Rejection != Localization.Rejection.NotMoved),
            Enum.GetValues<Localization.Rejection>().Where(r => r is not (Localization.Rejection.None or Localization.Rejection.NotMoved))
                .ToDictionary(r => r, r => frames.Count(f => f.Result.Rejection == r)),
            frames.Count(f => f.Result.MapFromCamera is null),
            causes.ToDictionary(c => c, c => frames.Count(f => f.Cause == c)),
            frames.GroupBy(f => f.Result.Seed).ToDictionary(g => g.Key, g => g.Count()),
            outsideFromTruth, frames.Count(f => f.Result.DepthRefined), frames.Count == 0 ? double.NaN : frames[^1].Result.OdometryDrift,
            CovarianceCheck.Of(frames), frames.Count(f => f.Result.Rejection == Localization.Rejection.NotMoved), frames.Count(f => f.Result.Sharpened is not null),
            frames.Count(f => f.Result.RefinedAgain));
    }
}

/// <summary>
/// How the covariance published with accepted poses (<see cref="Localization.LocalizationResult.Covariance"/>)
/// compares with their errors: a consumer that fuses the poses trusts them as much as it says.
/// </summary>
/// <param name="Frames">Accepted frames with a covariance.</param>
/// <param name="MedianPositionSigma">Median of <see cref="Sigmas"/>' position sigma, metres.</param>
/// <param name="MedianRotationSigmaDeg">Median of its rotation sigma, degrees.</param>
/// <param name="WithinTwoSigma">
/// Share of the frames whose translation and rotation errors are both within twice their sigma; for
/// Gaussian errors of that covariance about 98 %, and far less when the covariance is too small.
/// </param>
public sealed record CovarianceCheck(int Frames, double MedianPositionSigma, double MedianRotationSigmaDeg, double WithinTwoSigma)
{
    /// <summary>
    /// The root-mean-square 3D position (m) and rotation (deg) errors that a 6×6 pose covariance (translation
    /// block first) implies: the roots of the traces of its two diagonal 3×3 blocks.
    /// </summary>
    public static (double Position, double RotationDeg) Sigmas(double[] covariance) =>
        (Math.Sqrt(covariance[0] + covariance[7] + covariance[14]), Math.Sqrt(covariance[21] + covariance[28] + covariance[35]) * 180 / Math.PI);

    /// <summary>The check over the accepted frames of <paramref name="frames"/>; null when none was accepted with a covariance.</summary>
    public static CovarianceCheck? Of(IEnumerable<FrameOutcome> frames)
    {
        var checkedFrames = frames.Where(f => f.Result.Accepted && f.Result.Covariance is not null)
            .Select(f => (Sigma: Sigmas(f.Result.Covariance!), f.TranslationError, f.RotationErrorDeg)).ToList();
        if (checkedFrames.Count == 0)
            return null;
        return new CovarianceCheck(checkedFrames.Count,
            AccuracySummary.Median(checkedFrames.Select(f => f.Sigma.Position)),
            AccuracySummary.Median(checkedFrames.Select(f => f.Sigma.RotationDeg)),
            checkedFrames.Count(f => f.TranslationError <= 2 * f.Sigma.Position && f.RotationErrorDeg <= 2 * f.Sigma.RotationDeg) / (double)checkedFrames.Count);
    }
}

/// <summary>
/// How much a drive's odometry drifts against its ground truth, measured as the localizer models it
/// (<see cref="Localization.LocalizerOptions.OdometryDrift"/>): the error of each odometry increment between
/// consecutive frames, summed over the drive, per metre travelled and per radian turned.
/// </summary>
/// <param name="PerMetre">Translation error of the increments per metre travelled (0.02: 2 %).</param>
/// <param name="PerRadian">Rotation error of the increments per radian turned; NaN when the camera did not turn.</param>
/// <param name="Metres">Distance travelled between the frames, by the ground truth.</param>
/// <param name="Radians">Angle turned between the frames, by the ground truth.</param>
public sealed record OdometryDrift(double PerMetre, double PerRadian, double Metres, double Radians)
{
    /// <summary>
    /// The drift over consecutive frames' true poses and odometry poses (T_map_camera and T_odom_camera);
    /// null when there are fewer than two frames or the camera did not travel (turning in place gives no rate per metre).
    /// </summary>
    public static OdometryDrift? Of(IReadOnlyList<(Se3 Truth, Se3 Odometry)> frames)
    {
        double translationError = 0, metres = 0, rotationError = 0, radians = 0;
        for (int i = 1; i < frames.Count; i++)
        {
            var truth = frames[i - 1].Truth.Inverse() * frames[i].Truth;
            var error = truth.Inverse() * (frames[i - 1].Odometry.Inverse() * frames[i].Odometry);
            translationError += error.Translation.Norm;
            rotationError += error.Rotation.Angle;
            metres += truth.Translation.Norm;
            radians += truth.Rotation.Angle;
        }
        return metres > 0 ? new OdometryDrift(translationError / metres, radians > 0 ? rotationError / radians : double.NaN, metres, radians) : null;
    }

    /// <summary>
    /// The drift at each frame over the <paramref name="window"/> increments before it (<see cref="Of"/> of
    /// those frames); null for the first frame and where the camera did not travel in the window.
    /// </summary>
    public static IReadOnlyList<OdometryDrift?> Windowed(IReadOnlyList<(Se3 Truth, Se3 Odometry)> frames, int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        var drifts = new OdometryDrift?[frames.Count];
        for (int i = 1; i < frames.Count; i++)
        {
            int first = Math.Max(0, i - window);
            drifts[i] = Of(frames.Skip(first).Take(i - first + 1).ToList());
        }
        return drifts;
    }
}
