using Mosaic.Core.Geometry;
using Mosaic.Localization;
using Mosaic.Ros.Tests;

namespace Mosaic.Evaluation.Tests;

public sealed class ComparisonTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ModeSummary Mode(EvaluationMode mode, AccuracySummary accuracy, double latencyP50) => new(mode, accuracy,
        new[] { "segment", "retrieve", "hypotheses", "refine", "total" }.Select(s => new LatencySummary(s, latencyP50, latencyP50 * 2, latencyP50 * 3)).ToList(),
        0, new Dictionary<Rejection, int>(), 0, new Dictionary<FailureCause, int>(), new Dictionary<PoseSeed, int>());

    /// <summary>Writes metrics.json as <c>mosaic eval</c> does and returns its directory.</summary>
    private string Run(string name, double retrievalCm, double trackingCm, double latencyP50, double? fromTruthCm = null)
    {
        var modes = new List<ModeSummary>
        {
            Mode(EvaluationMode.Retrieval, new AccuracySummary(60, retrievalCm / 100, 1.5, [0.1, 0.4, 0.6, 0.65, 0.7]), latencyP50),
            Mode(EvaluationMode.Tracking, new AccuracySummary(60, trackingCm / 100, 1.2, [0.2, 1, 1, 1, 1]), latencyP50 / 2),
        };
        if (fromTruthCm is { } cm)
            modes.Add(Mode(EvaluationMode.FromTruth, new AccuracySummary(60, cm / 100, 1.1, [0.15, 0.55, 0.7, 0.7, 0.7]), latencyP50 / 3));
        var summary = new EvaluationSummary(
            modes,
            new AccuracySummary(60, 0.031, 1.22, [0.333, 0.85, 1, 0.733, 1]),
            new AccuracySummary(60, double.PositiveInfinity, double.PositiveInfinity, [0, 0, 0, 0, 0.1]),
            Dropped: 0);
        string dir = _temp.Combine(name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "metrics.json"), EvaluationReport.MetricsJson(summary, new Dictionary<string, string>()));
        return dir;
    }

    [Fact]
    public void Metrics_read_back_equal_what_was_written_with_infinite_medians_as_infinity()
    {
        var stored = StoredEvaluation.Load(Run("a", 5.5, 3.6, 780));

        Assert.Equal(["retrieval", "tracking", "odometry only", "retrieval only"], stored.Modes.Keys);
        var retrieval = stored.Modes["retrieval"];
        Assert.Equal(0.055, retrieval.Accuracy.MedianTranslation, 9);
        Assert.Equal(1.5, retrieval.Accuracy.MedianRotationDeg);
        Assert.Equal([0.1, 0.4, 0.6, 0.65, 0.7], retrieval.Accuracy.Recalls);
        Assert.Equal(780, retrieval.LatencyP50Ms);
        Assert.Equal(390, stored.Modes["tracking"].LatencyP50Ms);
        Assert.True(double.IsNaN(stored.Modes["odometry only"].LatencyP50Ms));
        Assert.Equal(double.PositiveInfinity, stored.Modes["retrieval only"].Accuracy.MedianTranslation);
    }

    [Fact]
    public void A_group_shows_the_mean_and_range_of_its_runs_per_mode()
    {
        var seeds = new[] { Run("s1", 4.9, 2.6, 800), Run("s2", 7.7, 6.8, 830), Run("s3", 3.5, 1.3, 820) }.Select(StoredEvaluation.Load).ToList();
        var single = StoredEvaluation.Load(Run("codebook", 5.5, 3.6, 780));

        var rows = EvaluationComparison.Compare([("learned", seeds), ("codebook", [single])]);

        Assert.Equal(["retrieval", "retrieval", "tracking", "tracking", "odometry only", "odometry only", "retrieval only", "retrieval only"], rows.Select(r => r.Mode));
        var learned = rows[0];
        Assert.Equal(("learned", 3), (learned.Group, learned.Runs));
        Assert.Equal(0.0537, learned.MedianTranslation.Mean, 4);
        Assert.Equal((0.035, 0.077), (learned.MedianTranslation.Min, learned.MedianTranslation.Max));
        Assert.Equal("5.4 (3.5-7.7)", learned.MedianTranslation.Format(1, 100));
        Assert.Equal("5.5", rows[1].MedianTranslation.Format(1, 100));
        Assert.Equal("∞", rows[^1].MedianTranslation.Format(1, 100));
        Assert.Equal("-", rows[^1].LatencyP50Ms.Format(0));
    }

    [Fact]
    public void The_from_truth_mode_is_read_back_by_its_name_and_listed_after_the_localizer_modes()
    {
        var withBound = StoredEvaluation.Load(Run("all", 4.1, 1.4, 300, fromTruthCm: 3.7));
        var without = StoredEvaluation.Load(Run("both", 4.8, 1.6, 300));

        Assert.Equal(0.037, withBound.Modes["from-truth"].Accuracy.MedianTranslation, 9);
        Assert.Contains("from-truth", EvaluationComparison.ModeOrder); // what `mosaic compare --mode` accepts
        var rows = EvaluationComparison.Compare([("6 cm", [withBound]), ("12 cm", [without])]);
        Assert.Equal(["retrieval", "retrieval", "tracking", "tracking", "from-truth", "odometry only", "odometry only", "retrieval only", "retrieval only"],
            rows.Select(r => r.Mode));
        Assert.Equal("6 cm", rows[4].Group);
    }

    [Fact]
    public void A_missing_or_foreign_file_is_a_clear_error_naming_it()
    {
        string empty = _temp.Combine("empty");
        Directory.CreateDirectory(empty);
        var missing = Assert.Throws<FileNotFoundException>(() => StoredEvaluation.Load(empty));
        Assert.Contains(Path.Combine(empty, "metrics.json"), missing.Message);

        string foreign = _temp.Combine("foreign.json");
        File.WriteAllText(foreign, "{\"modes\": {\"tracking\": {\"accuracy\": {\"frames\": 3}}}}");
        var error = Assert.Throws<FormatException>(() => StoredEvaluation.Load(foreign));
        Assert.Contains(foreign, error.Message);
        Assert.Contains("modes.tracking.accuracy has no field \"median_translation_cm\"", error.Message);
    }

    private const long Second = 1_000_000_000;

    /// <summary>A pose at <paramref name="x"/> m along the map's x axis, facing the same way.</summary>
    private static Se3 At(double x) => new(So3.Identity, new Vector3d(x, 0, 0));

    private static void WriteTum(string path, params (long Stamp, double X)[] poses) =>
        File.WriteAllText(path, TumTrajectory.Format(poses.Select(p => (p.Stamp, At(p.X))), "test"));

    /// <summary>
    /// A run of four query frames, its ground truth at x = 0: retrieval 1, 4 and 10 cm along x and no pose for the
    /// third frame, tracking 1 cm everywhere, odometry exact, the best keyframe 1 m away.
    /// </summary>
    private string RunWithTrajectories(string name)
    {
        string run = Run(name, 5.5, 3.6, 780);
        WriteTum(Path.Combine(run, "ground_truth.tum"), (1 * Second, 0), (2 * Second, 0), (3 * Second, 0), (4 * Second, 0));
        WriteTum(Path.Combine(run, "estimate_retrieval.tum"), (1 * Second, 0.01), (2 * Second, 0.04), (4 * Second, 0.10));
        WriteTum(Path.Combine(run, "estimate_tracking.tum"), (1 * Second, 0.01), (2 * Second, 0.01), (3 * Second, 0.01), (4 * Second, 0.01));
        WriteTum(Path.Combine(run, "baseline_odometry.tum"), (1 * Second, 0), (2 * Second, 0), (3 * Second, 0), (4 * Second, 0));
        WriteTum(Path.Combine(run, "baseline_retrieval.tum"), (1 * Second, 1), (2 * Second, 1), (3 * Second, 1), (4 * Second, 1));
        return run;
    }

    [Fact]
    public void Scored_against_another_ground_truth_a_run_counts_the_query_frames_it_has_and_keeps_its_latencies()
    {
        // The other ground truth has the first three frames (stamps 300 ns off, as a TUM file's double rounding gives)
        // and puts the second 4 cm farther along x.
        string run = RunWithTrajectories("run");
        string truth = _temp.Combine("aligned.tum");
        WriteTum(truth, (1 * Second + 300, 0), (2 * Second - 300, 0.04), (3 * Second, 0));

        var stored = StoredEvaluation.LoadAgainst(run, TumTrajectory.Parse(File.ReadLines(truth), truth));

        Assert.Equal(4, stored.QueryFrames);
        var retrieval = stored.Modes["retrieval"].Accuracy;
        Assert.Equal(3, retrieval.Frames);
        Assert.Equal(0.01, retrieval.MedianTranslation, 9); // 1 cm, 0 cm and no pose
        Assert.Equal([2 / 3.0, 2 / 3.0, 2 / 3.0, 2 / 3.0, 2 / 3.0], retrieval.Recalls);
        var tracking = stored.Modes["tracking"].Accuracy;
        Assert.Equal(0.01, tracking.MedianTranslation, 9); // 1, 3 and 1 cm
        Assert.Equal([2 / 3.0, 1, 1, 1, 1], tracking.Recalls);
        Assert.Equal(0, stored.Modes["odometry only"].Accuracy.MedianTranslation, 9);
        Assert.Equal(1, stored.Modes["retrieval only"].Accuracy.MedianTranslation, 9);
        Assert.Equal(780, stored.Modes["retrieval"].LatencyP50Ms);
        Assert.Equal(390, stored.Modes["tracking"].LatencyP50Ms);

        File.Delete(Path.Combine(run, "estimate_tracking.tum"));
        var missing = Assert.Throws<FileNotFoundException>(() => StoredEvaluation.LoadAgainst(run, TumTrajectory.Parse(File.ReadLines(truth), truth)));
        Assert.Contains("estimate_tracking.tum", missing.Message);
    }

    [Fact]
    public void Scored_runs_give_an_error_cdf_per_mode_with_one_line_per_group_and_unscored_runs_are_refused()
    {
        var scored = StoredEvaluation.LoadScored(RunWithTrajectories("scored"));
        var second = StoredEvaluation.LoadScored(RunWithTrajectories("second"));

        // Read from the trajectories against the run's own ground truth: the 4 frames, the third without a pose.
        Assert.Null(scored.QueryFrames);
        Assert.Equal([0.01, 0.04, double.PositiveInfinity, 0.10], scored.Modes["retrieval"].Errors!.Select(e => Math.Round(e.Translation, 9)));
        string svg = EvaluationComparison.ErrorCdf("retrieval", [("learned", [scored, second]), ("codebook", [scored])]);
        Assert.Equal(2, svg.Split("<polyline").Length - 1);
        Assert.Contains(">learned<", svg);
        Assert.Contains(">codebook<", svg);

        var unscored = StoredEvaluation.Load(Run("plain", 4.0, 2.0, 500));
        var error = Assert.Throws<ArgumentException>(() => EvaluationComparison.ErrorCdf("retrieval", [("plain", [unscored])]));
        Assert.Contains("read without its trajectories' errors", error.Message);
    }
}
