using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Localization;

namespace Mosaic.Evaluation.Tests;

public class MetricsTests
{
    [Fact]
    public void Median_counts_frames_without_a_pose_as_infinitely_wrong()
    {
        var summary = AccuracySummary.Of([(0.01, 1), (0.03, 3), (double.PositiveInfinity, double.PositiveInfinity)]);

        Assert.Equal(0.03, summary.MedianTranslation);
        Assert.Equal(3, summary.MedianRotationDeg);
        Assert.Equal(3, summary.Frames);
    }

    [Fact]
    public void Recall_needs_both_limits()
    {
        // 1 cm / 3 deg passes 5cm/5deg but not 2cm/2deg; 20 cm / 1 deg passes 25cm/2deg only from there up.
        var summary = AccuracySummary.Of([(0.01, 3), (0.20, 1), (0.015, 0.5), (0.6, 0.1)]);

        Assert.Equal([0.25, 0.5, 0.5, 0.5, 0.75], summary.Recalls);
    }

    [Fact]
    public void Latency_percentiles_are_nearest_rank()
    {
        var latency = LatencySummary.Of("refine", Enumerable.Range(1, 100).Select(i => (double)i));

        Assert.Equal(50, latency.P50);
        Assert.Equal(95, latency.P95);
        Assert.Equal(100, latency.Max);
    }

    private static FrameOutcome Outcome(long stamp, FailureCause cause, Rejection rejection = Rejection.None) => new(
        new QueryFrame(stamp, Core.Geometry.Se3.Identity, null),
        new LocalizationResult(stamp, LocalizerState.Tracking, rejection == Rejection.None && cause == FailureCause.None, null, null, PoseSeed.Retrieval, null, null, rejection,
            new StageTimes(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero), [], new Image<ushort>(1, 1)),
        cause == FailureCause.None ? 0.01 : 1, 1, cause);

    [Fact]
    public void Rejected_frames_are_counted_by_the_gate_that_rejected_them()
    {
        var frames = new[]
        {
            Outcome(1, FailureCause.Rejected, Rejection.HighLoss), Outcome(2, FailureCause.None, Rejection.HighLoss),
            Outcome(3, FailureCause.None, Rejection.Unconfirmed), Outcome(4, FailureCause.None),
        };

        var summary = ModeSummary.Of(EvaluationMode.Tracking, frames);

        Assert.Equal(3, summary.Rejected);
        Assert.Equal(2, summary.RejectedBy[Rejection.HighLoss]);
        Assert.Equal(1, summary.RejectedBy[Rejection.Unconfirmed]);
        Assert.Equal(0, summary.RejectedBy[Rejection.LowCoverage]); // every gate is listed
        Assert.False(summary.RejectedBy.ContainsKey(Rejection.None));
        Assert.Equal(" (high loss 2, unconfirmed relocalisation 1)", EvaluationReport.RejectedByText(summary));
        Assert.Equal("", EvaluationReport.RejectedByText(ModeSummary.Of(EvaluationMode.Tracking, [Outcome(4, FailureCause.None)])));
    }

    [Fact]
    public void Frames_left_unrefined_because_the_camera_hardly_moved_are_counted_apart_from_rejections()
    {
        var frames = new[]
        {
            Outcome(1, FailureCause.None, Rejection.NotMoved), Outcome(2, FailureCause.NotMoved, Rejection.NotMoved),
            Outcome(3, FailureCause.Rejected, Rejection.LowCoverage), Outcome(4, FailureCause.None),
        };

        var summary = ModeSummary.Of(EvaluationMode.Tracking, frames);

        Assert.Equal(2, summary.NotMoved);
        Assert.Equal(1, summary.Rejected);
        Assert.False(summary.RejectedBy.ContainsKey(Rejection.NotMoved));
        Assert.Equal(" (low coverage 1)", EvaluationReport.RejectedByText(summary));
        Assert.Equal(1, summary.Causes[FailureCause.NotMoved]);
    }

    [Fact]
    public void Failures_are_counted_as_outside_from_the_truth_only_where_the_same_frame_failed_from_its_true_pose()
    {
        var retrieval = new[]
        {
            Outcome(1, FailureCause.NoPose), Outcome(2, FailureCause.NoPose), Outcome(3, FailureCause.RetrievalWrong), Outcome(4, FailureCause.None),
        };
        var fromTruth = new[]
        {
            Outcome(1, FailureCause.NoPose), Outcome(2, FailureCause.None), Outcome(3, FailureCause.RefinementOff), Outcome(4, FailureCause.RefinementOff),
        };

        var summary = ModeSummary.Of(EvaluationMode.Retrieval, retrieval, fromTruth);

        Assert.Equal(2, summary.Causes[FailureCause.NoPose]);
        Assert.Equal(1, summary.CausesOutsideFromTruth![FailureCause.NoPose]); // frame 2 a right seed would have saved
        Assert.Equal(1, summary.CausesOutsideFromTruth[FailureCause.RetrievalWrong]); // frame 3 fails from the truth too
        Assert.Equal(0, summary.CausesOutsideFromTruth[FailureCause.RefinementOff]); // frame 4 succeeded in retrieval
        Assert.Null(ModeSummary.Of(EvaluationMode.Retrieval, retrieval).CausesOutsideFromTruth);
        Assert.Null(ModeSummary.Of(EvaluationMode.FromTruth, fromTruth, fromTruth).CausesOutsideFromTruth);
    }

    [Fact]
    public void Odometry_drift_is_the_error_of_each_increment_per_metre_travelled_and_per_radian_turned()
    {
        // Each step the camera moves 10 cm and turns 10 deg; odometry adds 2 % of the step sideways and
        // 3 % of the turn about another axis, in an odometry frame of its own.
        var step = new Se3(So3.Exp(new Vector3d(0, 0, 10 * Math.PI / 180)), new Vector3d(0.1, 0, 0));
        var error = new Se3(So3.Exp(new Vector3d(0.03 * 10 * Math.PI / 180, 0, 0)), new Vector3d(0, 0.002, 0));
        var odomFromMap = new Se3(So3.Exp(new Vector3d(0.2, -0.4, 1.0)), new Vector3d(3, -1, 0.5));
        var frames = new List<(Se3 Truth, Se3 Odometry)> { (Se3.Identity, odomFromMap) };
        for (int i = 1; i < 6; i++)
            frames.Add((frames[^1].Truth * step, frames[^1].Odometry * step * error));

        var drift = OdometryDrift.Of(frames)!;

        Assert.Equal(0.02, drift.PerMetre, 9);
        Assert.Equal(0.03, drift.PerRadian, 9);
        Assert.Equal(0.5, drift.Metres, 9);
        Assert.Equal(50 * Math.PI / 180, drift.Radians, 9);
        Assert.Null(OdometryDrift.Of(frames.Take(1).ToList()));
        // Over a window the drift is the same here at every frame; the first frame has no increment before it.
        var windowed = OdometryDrift.Windowed(frames, window: 2);
        Assert.Null(windowed[0]);
        Assert.All(windowed.Skip(1), d => Assert.Equal((0.02, 0.03), (Math.Round(d!.PerMetre, 9), Math.Round(d.PerRadian, 9))));
        Assert.Equal(0.2, windowed[^1]!.Metres, 9); // the last two increments
        Assert.Equal(0.1, windowed[1]!.Metres, 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => OdometryDrift.Windowed(frames, window: 0));
        Assert.Null(OdometryDrift.Of([(Se3.Identity, odomFromMap), (Se3.Identity, odomFromMap)])); // no motion, no rate
        var summary = new EvaluationSummary([], null, AccuracySummary.Of([]), 0, drift);
        Assert.StartsWith("odometry drifts 2.0 % of the distance travelled (0.50 m) and 3.0 % of the angle turned (50 deg)", summary.OdometryDriftText());
        var straight = OdometryDrift.Of([(Se3.Identity, odomFromMap), (new Se3(So3.Identity, new Vector3d(1, 0, 0)), odomFromMap * new Se3(So3.Identity, new Vector3d(1.01, 0, 0)))])!;
        Assert.True(double.IsNaN(straight.PerRadian));
        Assert.Contains("and the camera did not turn between", (summary with { OdometryDrift = straight }).OdometryDriftText());
        // Advice only for odometry worse than assumed: tighter fusion up to 20 %, none above it.
        Assert.Null(EvaluationReport.OdometryAdvice(drift, assumed: 0.05));
        Assert.Contains("-p localizer.odometry_drift:=0.1", EvaluationReport.OdometryAdvice(drift, assumed: 0.02));
        Assert.Contains("-p localizer.odometry_drift:=0.1", EvaluationReport.OdometryAdvice(drift with { PerRadian = 0.15 }, assumed: 0.05));
        Assert.Contains("measurement_sigma:=0 (no fusion", EvaluationReport.OdometryAdvice(drift with { PerRadian = 0.3 }, assumed: 0.05));
        Assert.Null(EvaluationReport.OdometryAdvice(straight with { PerMetre = 0.01 }, assumed: 0.05)); // NaN rotation is no drift
        // The drift tracking's fusion learnt is the last tracking frame's, and only said beside a measured drift.
        var learnt = Outcome(2, FailureCause.None) with { Result = Outcome(2, FailureCause.None).Result with { OdometryDrift = 0.2 } };
        var tracking = ModeSummary.Of(EvaluationMode.Tracking, [Outcome(1, FailureCause.None), learnt]);
        Assert.Equal(0.2, tracking.FinalOdometryDrift);
        Assert.Equal("; tracking ended assuming 20.0 %", (summary with { Modes = [tracking] }).LearntOdometryDriftText());
        Assert.Equal("", summary.LearntOdometryDriftText());
        Assert.Equal("", (summary with { Modes = [tracking], OdometryDrift = null }).LearntOdometryDriftText());
        Assert.Equal("", (summary with { Modes = [tracking with { Mode = EvaluationMode.Retrieval }] }).LearntOdometryDriftText());
    }

    [Fact]
    public void The_covariance_check_compares_each_accepted_frames_sigma_with_its_errors()
    {
        // Per axis 1 cm and 1 deg: a root-mean-square position sigma of √3 cm and rotation sigma of √3 deg.
        var covariance = new double[36];
        for (int i = 0; i < 6; i++)
            covariance[7 * i] = i < 3 ? 1e-4 : Math.Pow(Math.PI / 180, 2);
        FrameOutcome Fix(long stamp, double errorM, double errorDeg, bool accepted = true) => new(
            new QueryFrame(stamp, Core.Geometry.Se3.Identity, null),
            new LocalizationResult(stamp, LocalizerState.Tracking, accepted, null, accepted ? covariance : null, PoseSeed.Odometry, null, null,
                accepted ? Rejection.None : Rejection.HighLoss, new StageTimes(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero), [], new Image<ushort>(1, 1)),
            errorM, errorDeg, FailureCause.None);

        var check = CovarianceCheck.Of([Fix(1, 0.01, 1), Fix(2, 0.034, 1), Fix(3, 0.01, 3.5), Fix(4, 0.036, 1), Fix(5, 1, 90, accepted: false)])!;

        var (position, rotation) = CovarianceCheck.Sigmas(covariance);
        Assert.Equal(Math.Sqrt(3) * 0.01, position, 12);
        Assert.Equal(Math.Sqrt(3), rotation, 12);
        Assert.Equal(4, check.Frames); // the rejected frame has no covariance
        Assert.Equal(position, check.MedianPositionSigma, 12);
        Assert.Equal(0.5, check.WithinTwoSigma); // twice the sigma is 3.46 cm and 3.46 deg: 3.5 deg and 3.6 cm lie outside
        Assert.Null(CovarianceCheck.Of([Fix(5, 1, 90, accepted: false)]));
        Assert.Equal("median sigma 1.7 cm / 1.73 deg over 4 accepted frames, 50.0 % of them within twice it",
            EvaluationReport.CovarianceText(ModeSummary.Of(EvaluationMode.Tracking, [Fix(1, 0.01, 1), Fix(2, 0.034, 1), Fix(3, 0.01, 3.5), Fix(4, 0.036, 1)])));
    }

    [Fact]
    public void Even_counts_take_the_mean_of_the_middle_two()
    {
        Assert.Equal(2.5, AccuracySummary.Median([4, 1, 3, 2]));
        Assert.True(double.IsNaN(AccuracySummary.Median([])));
    }
}
