using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Localization;

namespace Mosaic.Evaluation;

/// <summary>How the localizer is driven through a drive.</summary>
public enum EvaluationMode
{
    /// <summary>Every frame on its own: retrieval, hypotheses, refinement (the localizer is reset before each frame; no odometry).</summary>
    Retrieval,

    /// <summary>The drive in order with odometry, started from the first frame's true pose (as an operator's /initialpose would).</summary>
    Tracking,

    /// <summary>
    /// Every frame on its own, refined from its own true pose (the localizer is reset and given the
    /// ground truth as its initial pose; no odometry): what the best possible seed would reach. A frame
    /// that fails here fails for the map, the labels or the ground truth, not for seeding.
    /// </summary>
    FromTruth,
}

/// <summary>Why a frame missed the success threshold (<see cref="Evaluator.SuccessTranslation"/>, <see cref="Evaluator.SuccessRotationDeg"/>).</summary>
public enum FailureCause
{
    /// <summary>Within the threshold.</summary>
    None,

    /// <summary>The localizer gave no pose at all.</summary>
    NoPose,

    /// <summary>The refined pose was rejected by the quality gates (the pose given is the odometry prediction).</summary>
    Rejected,

    /// <summary>Retrieval picked a keyframe far from the truth (more than 0.5 m or 20 degrees).</summary>
    RetrievalWrong,

    /// <summary>The seed was reasonable but the accepted refined pose is outside the threshold.</summary>
    RefinementOff,

    /// <summary>Not refined, as the camera had hardly moved since the last refined frame (<see cref="Localization.Rejection.NotMoved"/>): the odometry prediction from that frame is outside.</summary>
    NotMoved,
}

/// <summary>One frame of one mode.</summary>
/// <param name="Frame">The query frame with its truth.</param>
/// <param name="Result">What the localizer made of it.</param>
/// <param name="TranslationError">Metres; +∞ without a pose.</param>
/// <param name="RotationErrorDeg">Degrees; +∞ without a pose.</param>
/// <param name="Cause">Why it failed, or <see cref="FailureCause.None"/>.</param>
public sealed record FrameOutcome(QueryFrame Frame, LocalizationResult Result, double TranslationError, double RotationErrorDeg, FailureCause Cause);

/// <summary>A baseline's pose for one frame.</summary>
/// <param name="Stamp">The frame's stamp.</param>
/// <param name="Pose">The baseline's T_map_camera (null when it has none).</param>
/// <param name="TranslationError">Metres; +∞ without a pose.</param>
/// <param name="RotationErrorDeg">Degrees; +∞ without a pose.</param>
public sealed record BaselineOutcome(long Stamp, Se3? Pose, double TranslationError, double RotationErrorDeg);

/// <summary>Everything one evaluation produced, per frame.</summary>
/// <param name="Modes">Per evaluated mode, the frames in stamp order.</param>
/// <param name="OdometryOnly">Baseline: odometry integrated from the first frame's true pose (empty without odometry).</param>
/// <param name="RetrievalOnly">Baseline: the pose of the best-ranked keyframe.</param>
/// <param name="Dropped">Frames that could not be processed (decoding failed), with the reason.</param>
/// <param name="DepthFailures">Frames whose depth image could not be decoded (localized from colour alone), with the reason.</param>
/// <param name="OdometryDrift">How much the drive's odometry drifts against the ground truth between the frames (null without odometry).</param>
public sealed record EvaluationResult(
    IReadOnlyDictionary<EvaluationMode, IReadOnlyList<FrameOutcome>> Modes,
    IReadOnlyList<BaselineOutcome> OdometryOnly,
    IReadOnlyList<BaselineOutcome> RetrievalOnly,
    IReadOnlyList<(long Stamp, string Reason)> Dropped,
    IReadOnlyList<(long Stamp, string Reason)> DepthFailures,
    OdometryDrift? OdometryDrift);

/// <summary>
/// Replays a <see cref="QueryDrive"/> through one <see cref="Localizer"/> per mode (one decoding
/// pass serves all modes) and computes the baselines on the same frames.
/// </summary>
public static class Evaluator
{
    /// <summary>A frame succeeds within this translation error (metres) ...</summary>
    public const double SuccessTranslation = 0.05;

    /// <summary>... and this rotation error (degrees); outside, its <see cref="FailureCause"/> is recorded.</summary>
    public const double SuccessRotationDeg = 5;

    /// <summary>
    /// Runs the evaluation; <paramref name="createLocalizer"/> makes a fresh localizer per mode. When
    /// <paramref name="cancellation"/> fires, the frame in progress is finished and the result holds the
    /// frames done so far (every mode and baseline on the same frames), so an interrupted run loses nothing it measured.
    /// </summary>
    public static EvaluationResult Run(QueryDrive drive, IReadOnlyList<EvaluationMode> modes, Func<Localizer> createLocalizer, IProgress<double>? progress = null,
        CancellationToken cancellation = default)
    {
        if (modes.Count == 0)
            throw new ArgumentException("no evaluation mode chosen");
        var localizers = modes.ToDictionary(m => m, _ => createLocalizer());
        var outcomes = modes.ToDictionary(m => m, _ => new List<FrameOutcome>());
        var odometryOnly = new List<BaselineOutcome>();
        var retrievalOnly = new List<BaselineOutcome>();
        var dropped = new List<(long, string)>();
        var depthFailures = new List<(long, string)>();
        QueryFrame? firstWithOdometry = null;
        var withOdometry = new List<(Se3 Truth, Se3 Odometry)>();
        int done = 0;
        foreach (var (frame, image, depth, error) in drive.ReadImages(drive.Frames))
        {
            if (cancellation.IsCancellationRequested)
                break;
            if (image is null)
            {
                dropped.Add((frame.Stamp, error!));
                progress?.Report((double)++done / drive.Frames.Count);
                continue;
            }
            if (error is not null)
                depthFailures.Add((frame.Stamp, error));
            Image<ushort>? labels = null;
            foreach (var mode in modes)
            {
                var localizer = localizers[mode];
                LocalizerFrame input;
                if (mode == EvaluationMode.Retrieval)
                {
                    localizer.Reset();
                    input = new LocalizerFrame(frame.Stamp, image, drive.Camera, Depth: depth);
                }
                else if (mode == EvaluationMode.FromTruth)
                {
                    localizer.Reset();
                    localizer.SetInitialPose(frame.GroundTruth);
                    input = new LocalizerFrame(frame.Stamp, image, drive.Camera, Depth: depth);
                }
                else
                {
                    if (localizer.State == LocalizerState.Uninitialised && outcomes[mode].Count == 0)
                        localizer.SetInitialPose(frame.GroundTruth);
                    input = new LocalizerFrame(frame.Stamp, image, drive.Camera, frame.OdomFromCamera, depth);
                }
                var result = localizer.Process(input);
                labels ??= result.QueryLabels;
                outcomes[mode].Add(Outcome(frame, result));
            }

            if (frame.OdomFromCamera is { } odom)
            {
                firstWithOdometry ??= frame;
                var pose = firstWithOdometry.GroundTruth * firstWithOdometry.OdomFromCamera!.Value.Inverse() * odom;
                odometryOnly.Add(Baseline(frame, pose));
                withOdometry.Add((frame.GroundTruth, odom));
            }
            // A frame every mode left unrefined (the camera had hardly moved) is segmented here for the baseline alone.
            var best = localizers[modes[0]].RankKeyframes(labels ?? localizers[modes[0]].SegmentQuery(new LocalizerFrame(frame.Stamp, image, drive.Camera))).FirstOrDefault();
            retrievalOnly.Add(Baseline(frame, best.Keyframe?.MapFromCamera));
            progress?.Report((double)++done / drive.Frames.Count);
        }
        return new EvaluationResult(outcomes.ToDictionary(o => o.Key, o => (IReadOnlyList<FrameOutcome>)o.Value), odometryOnly, retrievalOnly, dropped, depthFailures,
            OdometryDrift.Of(withOdometry));
    }

    private static FrameOutcome Outcome(QueryFrame frame, LocalizationResult result)
    {
        var (t, r) = Errors(result.MapFromCamera, frame.GroundTruth);
        FailureCause cause;
        if (t <= SuccessTranslation && r <= SuccessRotationDeg)
            cause = FailureCause.None;
        else if (result.MapFromCamera is null)
            cause = FailureCause.NoPose;
        else if (result.Rejection == Rejection.NotMoved)
            cause = FailureCause.NotMoved;
        else if (!result.Accepted)
            cause = FailureCause.Rejected;
        else if (result.Seed == PoseSeed.Retrieval && RetrievedKeyframeFar(result, frame.GroundTruth))
            cause = FailureCause.RetrievalWrong;
        else
            cause = FailureCause.RefinementOff;
        return new FrameOutcome(frame, result, t, r, cause);
    }

    private static bool RetrievedKeyframeFar(LocalizationResult result, Se3 truth)
    {
        var chosen = result.Hypotheses.FirstOrDefault(h => h.Refined == result.SeedMapFromCamera);
        if (chosen?.Keyframe is not { } keyframe)
            return false;
        var (t, r) = Se3.Distance(keyframe.MapFromCamera, truth);
        return t > 0.5 || r * 180 / Math.PI > 20;
    }

    private static BaselineOutcome Baseline(QueryFrame frame, Se3? pose)
    {
        var (t, r) = Errors(pose, frame.GroundTruth);
        return new BaselineOutcome(frame.Stamp, pose, t, r);
    }

    private static (double Translation, double RotationDeg) Errors(Se3? estimate, Se3 truth)
    {
        if (estimate is not { } pose)
            return (double.PositiveInfinity, double.PositiveInfinity);
        var (t, r) = Se3.Distance(pose, truth);
        return (t, r * 180 / Math.PI);
    }
}
