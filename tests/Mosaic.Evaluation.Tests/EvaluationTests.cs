using System.Globalization;
using System.Text.Json;
using Mosaic.Core.Geometry;
using Mosaic.Core.Cameras;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Localization;
using Mosaic.Localization.Parameters;
using Mosaic.Mapping;
using Mosaic.Rendering;
using Mosaic.Ros.Tests;

namespace Mosaic.Evaluation.Tests;

/// <summary>`mosaic eval`'s pieces on the committed real redkitchen sample: the query drive, a short replay, the report.</summary>
[Collection(nameof(Sample))]
public sealed class EvaluationTests(Sample sample) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static QueryDrive Queries(int step, LocalizationParameters? parameters = null) =>
        QueryDrive.Scan(Sample.Bag, parameters ?? new LocalizationParameters(), new GroundTruthSource(Sample.Tum, null, ""), Sample.QueryStart, -1, step);

    [Fact]
    public void The_query_drive_has_ground_truth_and_odometry_for_every_query_frame()
    {
        var drive = Queries(step: 1);

        Assert.Equal(60, drive.Frames.Count); // frames 300, 305, ..., 595
        Assert.All(drive.Frames, f => Assert.NotNull(f.OdomFromCamera));
        Assert.Equal(0, drive.WithoutGroundTruth);
        Assert.True(drive.Camera.IsPinhole);
        Assert.Equal(525, drive.Camera.Intrinsics.Fx);
    }

    [Fact]
    public void Frames_inside_a_ground_truth_dropout_are_skipped_not_given_interpolated_poses()
    {
        // The sample's ground truth with query frames 10-49 (of 60) cut out: a 6.8 s dropout.
        var lines = File.ReadLines(Sample.Tum).ToList();
        int firstQuery = lines.FindIndex(l => !l.StartsWith('#') && double.Parse(l.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) >= 1600000000 + Sample.QueryStart);
        string cut = _temp.Combine("dropout.tum");
        File.WriteAllLines(cut, lines.Where((_, i) => i < firstQuery + 10 || i >= firstQuery + 50));

        var drive = QueryDrive.Scan(Sample.Bag, new LocalizationParameters(), new GroundTruthSource(cut, null, ""), Sample.QueryStart, -1, 1);

        Assert.Equal(20, drive.Frames.Count);
        Assert.Equal(40, drive.WithoutGroundTruth);
    }

    [Fact]
    public void Ground_truth_from_the_pose_topic_equals_the_tum_file()
    {
        var fromTum = Queries(step: 20);
        var fromTopic = QueryDrive.Scan(Sample.Bag, new LocalizationParameters(), new GroundTruthSource(null, "/ground_truth/pose", "base_link"), Sample.QueryStart, -1, 20);

        Assert.Equal(fromTum.Frames.Select(f => f.Stamp), fromTopic.Frames.Select(f => f.Stamp));
        foreach (var (a, b) in fromTum.Frames.Zip(fromTopic.Frames))
        {
            var (t, r) = Se3.Distance(a.GroundTruth, b.GroundTruth);
            Assert.True(t < 1e-6 && r < 1e-6);
        }
    }

    [Fact]
    public void Synthetic_odometry_drifts_away_from_the_truth_by_at_most_two_percent_of_the_path()
    {
        var frames = Queries(step: 1).Frames;
        double path = 0;
        double worst = 0;
        for (int i = 1; i < frames.Count; i++)
        {
            path += (frames[i].GroundTruth.Translation - frames[i - 1].GroundTruth.Translation).Norm;
            var odometryPose = frames[0].GroundTruth * frames[0].OdomFromCamera!.Value.Inverse() * frames[i].OdomFromCamera!.Value;
            worst = Math.Max(worst, Se3.Distance(odometryPose, frames[i].GroundTruth).Translation);
        }
        // The heading drift moves the camera too (a lever arm), so allow a little more than 2 % on top of the path.
        Assert.InRange(worst, 0.002 * path, 0.04 * path);
    }

    [Fact]
    public void Ground_truth_from_the_tf_tree_equals_the_tum_file_through_a_chain_of_moving_frames()
    {
        // The sample re-recorded as a robot with a reference localizer would record it: /tf carries odom -> base_link
        // (the sample's own) and map -> odom, made from the ground-truth topic so that map -> base_link is the truth.
        string bag = _temp.Combine("tf-truth");
        using (var source = Ros.Bags.Rosbag2Reader.Open(Sample.Bag))
        using (var writer = Ros.Bags.Rosbag2Writer.Create(bag))
        {
            var messages = source.ReadMessages().ToList();
            var odomFromBase = messages.Where(m => m.Topic.Name == "/tf")
                .SelectMany(m => Ros.Bags.Rosbag2Reader.Decode<Ros.Messages.TFMessage>(m).Transforms)
                .ToDictionary(t => t.Header.Stamp.Nanoseconds, t => Ros.Tf.RigidTransform.From(t.Transform));
            var declared = new HashSet<string>();
            foreach (var message in messages.Where(m => m.Topic.Name != "/ground_truth/pose"))
            {
                if (declared.Add(message.Topic.Name))
                    writer.AddTopic(message.Topic, Ros.Messages.MessageRegistry.FindDefinition(message.Topic.Type)!.FullText());
                writer.Write(message.Topic.Name, message.Timestamp, message.Data.Span);
                if (message.Topic.Name != "/tf")
                    continue;
                var truth = messages.Single(m => m.Topic.Name == "/ground_truth/pose" && m.Timestamp == message.Timestamp);
                var stamped = Ros.Bags.Rosbag2Reader.Decode<Ros.Messages.PoseStamped>(truth);
                var mapFromBase = new Ros.Tf.RigidTransform(stamped.Pose.Orientation,
                    new Ros.Messages.Vector3(stamped.Pose.Position.X, stamped.Pose.Position.Y, stamped.Pose.Position.Z));
                var mapFromOdom = mapFromBase.Compose(odomFromBase[stamped.Header.Stamp.Nanoseconds].Inverse());
                var tf = new Ros.Messages.TFMessage([new Ros.Messages.TransformStamped(stamped.Header, "odom", mapFromOdom.ToMessage())]);
                writer.Write(message.Topic.Name, message.Timestamp, Ros.Messages.RosSerializer.Serialize(tf));
            }
        }

        var fromTum = Queries(step: 20);
        var fromTf = QueryDrive.Scan(bag, new LocalizationParameters(), GroundTruthSource.Transforms(), Sample.QueryStart, -1, 20);

        Assert.Equal(fromTum.Frames.Select(f => f.Stamp), fromTf.Frames.Select(f => f.Stamp));
        foreach (var (a, b) in fromTum.Frames.Zip(fromTf.Frames))
        {
            var (t, r) = Se3.Distance(a.GroundTruth, b.GroundTruth);
            Assert.True(t < 1e-6 && r < 1e-6, $"{t} m, {r} rad");
        }
        // The sample's own /tf has no map frame: asking it for the truth fails with the reason.
        var e = Assert.Throws<MappingInputException>(() => QueryDrive.Scan(Sample.Bag, new LocalizationParameters(), GroundTruthSource.Transforms(), Sample.QueryStart, -1, 20));
        Assert.Contains("ground-truth pose", e.Message);
    }

    [Fact]
    public void Missing_topics_and_missing_ground_truth_are_clear_errors()
    {
        var parameters = new LocalizationParameters { Topics = { Image = "/camera/rgb" } };
        var e = Assert.Throws<MappingInputException>(() => Queries(1, parameters));
        Assert.Contains("no image topic '/camera/rgb'", e.Message);
        Assert.Contains("/camera/color/image_raw/compressed", e.Message);

        string tum = _temp.Combine("elsewhere.tum");
        File.WriteAllText(tum, "1.0 0 0 0 0 0 0 1\n2.0 0 0 0 0 0 0 1\n");
        e = Assert.Throws<MappingInputException>(() => QueryDrive.Scan(Sample.Bag, new LocalizationParameters(), new GroundTruthSource(tum, null, ""), 0, -1, 1));
        Assert.Contains("no image in the window has a ground-truth pose", e.Message);

        e = Assert.Throws<MappingInputException>(() => QueryDrive.Scan(Sample.Bag, new LocalizationParameters(), new GroundTruthSource(Sample.Tum, null, ""), 1000, -1, 1));
        Assert.Contains("no image between 1000 s and the end; its images lie at 0-", e.Message);
    }

    [Fact]
    public void With_a_depth_topic_each_query_image_comes_with_its_depth_image_and_the_tracked_poses_are_depth_refined()
    {
        var parameters = new LocalizationParameters { Topics = { Depth = "/camera/depth/image_raw/compressedDepth" } };
        var drive = Queries(step: 20, parameters); // frames 300, 400, 500

        Assert.True(drive.HasDepth);
        Assert.Equal(0, drive.WithoutDepth);
        Assert.All(drive.Frames, f => Assert.InRange(Math.Abs(f.DepthStamp!.Value - f.Stamp), 0, 20_000_000));
        var images = drive.ReadImages(drive.Frames).ToList();
        Assert.Equal(drive.Frames.Select(f => f.Stamp), images.Select(i => i.Frame.Stamp));
        double[] d = Ros.Import.SevenScenesImporter.DepthToColor; // the importer's calibration, in /tf_static
        Assert.All(images, i =>
        {
            Assert.Null(i.Error);
            Assert.Equal((640, 480), (i.Depth!.Metres.Width, i.Depth.Metres.Height));
            Assert.True(i.Depth.Metres.Data.Count(float.IsFinite) > 100_000, "a Kinect frame has readings on most pixels");
            Assert.Equal(d[3], i.Depth.ColorFromDepth.Translation.X, 9);
        });

        var renderer = new CpuLabelRenderer<float>(sample.Map.Gaussians);
        var tracking = Evaluator.Run(drive, [EvaluationMode.Tracking], () => Localizer.ForMap(sample.Map, new LocalizerOptions(), renderer)).Modes[EvaluationMode.Tracking];
        Assert.Contains(tracking, o => o.Result.DepthRefined);
        Assert.All(tracking.Where(o => o.Result.DepthRefined), o =>
        {
            Assert.True(o.Result.Depth!.Support >= new LocalizerOptions().DepthMinSupport);
            Assert.True(o.Result.Times.Depth > TimeSpan.Zero);
        });

        var missing = new LocalizationParameters { Topics = { Depth = "/camera/depth/image_rect" } };
        Assert.Contains("no depth image topic '/camera/depth/image_rect'", Assert.Throws<MappingInputException>(() => Queries(20, missing)).Message);
    }

    [Fact]
    public void A_renderer_other_than_the_cpu_backend_refines_the_coarse_levels_on_the_coarse_renderer_it_is_given()
    {
        // How `mosaic eval` and the node run the CUDA backend: any renderer that is not the CPU backend's.
        var drive = Queries(step: 30);
        var options = new LocalizerOptions();
        int coarseMapWidth = drive.Camera.Intrinsics.Width >> options.CoarseMapLevel;
        var full = new WidthCountingRenderer(new CpuLabelRenderer<float>(sample.Map.Gaussians));
        var coarse = new WidthCountingRenderer(new CpuLabelRenderer<float>(sample.Map.Gaussians.Coarsened(options.CoarseMapVoxel)));
        var alone = new WidthCountingRenderer(new CpuLabelRenderer<float>(sample.Map.Gaussians));

        var given = Evaluator.Run(drive, [EvaluationMode.Retrieval], () => Localizer.ForMap(sample.Map, options, full, coarse)).Modes[EvaluationMode.Retrieval];
        Evaluator.Run(drive, [EvaluationMode.Retrieval], () => Localizer.ForMap(sample.Map, options, alone));

        Assert.Contains(given, o => o.Result.MapFromCamera is not null);
        Assert.NotEmpty(coarse.GradientWidths);
        Assert.All(coarse.GradientWidths, w => Assert.True(w <= coarseMapWidth, $"the coarse copy refined a {w} px wide level"));
        Assert.All(full.GradientWidths, w => Assert.True(w > coarseMapWidth, $"the full map refined a {w} px wide level"));
        Assert.Contains(alone.GradientWidths, w => w <= coarseMapWidth); // without a coarse renderer, every level on the full map
    }

    /// <summary>The image widths at which a renderer evaluated a gradient.</summary>
    private sealed class WidthCountingRenderer(ILabelRenderer inner) : ILabelRenderer
    {
        public HashSet<int> GradientWidths { get; } = [];
        public int LabelCount => inner.LabelCount;

        public bool ReportsUncoveredTerms => inner.ReportsUncoveredTerms;

        public RenderedLabels Render(Se3 camFromMap, PinholeCamera camera) => inner.Render(camFromMap, camera);

        public LossEvaluation Evaluate(Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, bool withGradient, IReadOnlyList<double>? uncoveredLoss = null)
        {
            if (withGradient)
                lock (GradientWidths)
                    GradientWidths.Add(camera.Width);
            return inner.Evaluate(camFromMap, camera, query, withGradient, uncoveredLoss);
        }
    }

    [Fact]
    public void Hypotheses_refined_side_by_side_on_forked_renderers_give_the_poses_of_one_at_a_time()
    {
        // The test runner keeps the thread pool busy; without spare threads the hypotheses would run one after another anyway.
        ThreadPool.GetMinThreads(out int workerThreads, out int ioThreads);
        ThreadPool.SetMinThreads(Math.Max(workerThreads, 8), ioThreads);
        var drive = Queries(step: 6); // 10 queries over frames 300-595
        var options = new LocalizerOptions();
        var coarseMap = sample.Map.Gaussians.Coarsened(options.CoarseMapVoxel);
        var calls = new Concurrency();
        var full = new ForkingRenderer(new CpuLabelRenderer<float>(sample.Map.Gaussians), calls);
        var coarse = new ForkingRenderer(new CpuLabelRenderer<float>(coarseMap), calls);
        var sideBySide = Evaluator.Run(drive, [EvaluationMode.Retrieval], () => Localizer.ForMap(sample.Map, options, full, coarse)).Modes[EvaluationMode.Retrieval];
        var oneAtATime = Evaluator.Run(drive, [EvaluationMode.Retrieval], () => Localizer.ForMap(sample.Map, options,
            new ForkingRenderer(new CpuLabelRenderer<float>(sample.Map.Gaussians), calls: null),
            new ForkingRenderer(new CpuLabelRenderer<float>(coarseMap), calls: null))).Modes[EvaluationMode.Retrieval];

        if (Environment.ProcessorCount > 1)
            Assert.True(calls.MostAtOnce > 1, $"at most {calls.MostAtOnce} evaluation at once");
        Assert.Contains(sideBySide, o => o.Result.Hypotheses.Count > 1);
        foreach (var (a, b) in sideBySide.Zip(oneAtATime, (a, b) => (a.Result, b.Result)))
        {
            Assert.Equal(a.MapFromCamera, b.MapFromCamera);
            Assert.Equal(a.Hypotheses.Select(h => (h.Keyframe?.Stamp, h.Refined, h.Loss)), b.Hypotheses.Select(h => (h.Keyframe?.Stamp, h.Refined, h.Loss)));
        }
    }

    /// <summary>How many evaluations ran at once, over a renderer and its forks.</summary>
    private sealed class Concurrency
    {
        private int _now;

        public int MostAtOnce { get; private set; }

        public void Enter()
        {
            int now = Interlocked.Increment(ref _now);
            lock (this)
                MostAtOnce = Math.Max(MostAtOnce, now);
        }

        public void Leave() => Interlocked.Decrement(ref _now);
    }

    /// <summary>A renderer whose forks are counted in <paramref name="calls"/>; with <paramref name="calls"/> null it cannot fork.</summary>
    private sealed class ForkingRenderer(ILabelRenderer inner, Concurrency? calls) : ILabelRenderer
    {
        public int LabelCount => inner.LabelCount;

        public bool ReportsUncoveredTerms => inner.ReportsUncoveredTerms;

        public RenderedLabels Render(Se3 camFromMap, PinholeCamera camera) => inner.Render(camFromMap, camera);

        public LossEvaluation Evaluate(Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, bool withGradient, IReadOnlyList<double>? uncoveredLoss = null)
        {
            calls?.Enter();
            try
            {
                return inner.Evaluate(camFromMap, camera, query, withGradient, uncoveredLoss);
            }
            finally
            {
                calls?.Leave();
            }
        }

        public ILabelRenderer? Fork() => calls is null ? null : new ForkingRenderer(inner.Fork()!, calls);
    }

    [Fact]
    public void Without_odometry_the_frames_carry_none()
    {
        var parameters = new LocalizationParameters { Odometry = { Source = "none" } };
        Assert.All(Queries(30, parameters).Frames, f => Assert.Null(f.OdomFromCamera));
    }

    [Fact]
    public void An_interrupted_evaluation_keeps_every_frame_it_finished_in_every_mode_and_baseline()
    {
        var drive = Queries(step: 12); // 5 queries
        using var interrupt = new CancellationTokenSource();
        var renderer = new CpuLabelRenderer<float>(sample.Map.Gaussians);
        int reports = 0;
        // Ctrl-C as the second frame is done: the third is not started.
        var result = Evaluator.Run(drive, [EvaluationMode.Retrieval, EvaluationMode.Tracking], () => Localizer.ForMap(sample.Map, new LocalizerOptions(), renderer),
            new InlineProgress(() => { if (++reports == 2) interrupt.Cancel(); }), interrupt.Token);

        Assert.All(result.Modes.Values, frames => Assert.Equal(drive.Frames.Take(2).Select(f => f.Stamp), frames.Select(o => o.Frame.Stamp)));
        Assert.Equal(2, result.OdometryOnly.Count);
        Assert.Equal(2, result.RetrievalOnly.Count);
        Assert.Equal(2, EvaluationSummary.Of(result).Modes[0].Accuracy.Frames);
    }

    /// <summary>Progress that runs an action on the reporting thread (Progress&lt;T&gt; would post it elsewhere).</summary>
    private sealed class InlineProgress(Action reported) : IProgress<double>
    {
        public void Report(double value) => reported();
    }

    [Fact]
    public void A_short_replay_localizes_real_frames_and_writes_the_report()
    {
        var drive = Queries(step: 12); // 5 queries spread over frames 300-595
        var renderer = new CpuLabelRenderer<float>(sample.Map.Gaussians);
        var modes = new[] { EvaluationMode.Retrieval, EvaluationMode.Tracking, EvaluationMode.FromTruth };

        var result = Evaluator.Run(drive, modes, () => Localizer.ForMap(sample.Map, new LocalizerOptions(), renderer));

        Assert.Empty(result.Dropped);
        var tracking = result.Modes[EvaluationMode.Tracking];
        Assert.Equal(drive.Frames.Count, tracking.Count);
        Assert.Equal(PoseSeed.InitialPose, tracking[0].Result.Seed);
        Assert.All(tracking, o => Assert.NotNull(o.Result.MapFromCamera));
        // Measured on this sample: every tracked frame within 15 cm (the README table has the full numbers).
        Assert.All(tracking, o => Assert.True(o.TranslationError < 0.15, $"tracking frame {o.Frame.Stamp}: {o.TranslationError * 100:F1} cm"));
        Assert.All(result.Modes[EvaluationMode.Retrieval], o => Assert.Contains(o.Result.Seed, new[] { PoseSeed.Retrieval, PoseSeed.None }));
        Assert.All(result.Modes[EvaluationMode.FromTruth], o =>
        {
            Assert.Equal(PoseSeed.InitialPose, o.Result.Seed);
            Assert.Equal(o.Frame.GroundTruth, o.Result.SeedMapFromCamera);
        });
        Assert.Equal(0, result.OdometryOnly[0].TranslationError, 9);
        Assert.Equal(drive.Frames.Count, result.RetrievalOnly.Count);

        var summary = EvaluationSummary.Of(result);
        Assert.NotNull(summary.Modes.Single(m => m.Mode == EvaluationMode.Retrieval).CausesOutsideFromTruth); // counted: MetricsTests
        string dir = _temp.Combine("eval");
        var written = EvaluationReport.Write(dir, result, summary, new Dictionary<string, string> { ["bag"] = Sample.Bag });

        foreach (var name in new[] { "metrics.json", "frames.csv", "report.md", "trajectory.svg", "error_over_time.svg", "error_cdf.svg", "odometry_drift.svg", "ground_truth.tum", "estimate_tracking.tum", "estimate_retrieval.tum", "estimate_from-truth.tum", "baseline_odometry.tum", "baseline_retrieval.tum" })
            Assert.Contains(Path.Combine(dir, name), written);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
        var trackingJson = metrics.RootElement.GetProperty("modes").GetProperty("tracking");
        Assert.Equal(drive.Frames.Count, trackingJson.GetProperty("accuracy").GetProperty("frames").GetInt32());
        Assert.True(trackingJson.GetProperty("latency_ms").GetProperty("total").GetProperty("p50").GetDouble() > 0);
        var stored = StoredEvaluation.Load(dir); // what `mosaic compare` reads
        var trackingSummary = summary.Modes.Single(m => m.Mode == EvaluationMode.Tracking).Accuracy;
        Assert.Equal(trackingSummary.MedianTranslation, stored.Modes["tracking"].Accuracy.MedianTranslation, 6);
        Assert.All(trackingSummary.Recalls.Zip(stored.Modes["tracking"].Accuracy.Recalls), r => Assert.Equal(r.First, r.Second, 6));
        // Scored against its own ground truth, every mode and baseline of the run reads what metrics.json says (`mosaic compare --gt`).
        string ownTruth = Path.Combine(dir, "ground_truth.tum");
        var rescored = StoredEvaluation.LoadAgainst(dir, TumTrajectory.Parse(File.ReadLines(ownTruth), ownTruth));
        Assert.Equal(stored.Modes.Keys, rescored.Modes.Keys);
        foreach (var (name, mode) in stored.Modes)
        {
            var again = rescored.Modes[name].Accuracy;
            Assert.Equal(mode.Accuracy.Frames, again.Frames);
            Assert.Equal(mode.Accuracy.MedianTranslation, again.MedianTranslation, 6);
            Assert.Equal(mode.Accuracy.MedianRotationDeg, again.MedianRotationDeg, 4);
            Assert.Equal(mode.Accuracy.Recalls, again.Recalls);
        }
        var rows = File.ReadAllLines(Path.Combine(dir, "frames.csv"));
        Assert.Equal(3 * drive.Frames.Count + 1, rows.Length);
        Assert.All(rows, row => Assert.Equal(rows[0].Split(',').Length, row.Split(',').Length));
        var header = rows[0].Split(',').ToList();
        Assert.Equal(["bias_correction_m", "odometry_drift", "position_sigma_m", "rotation_sigma_deg", "sharpened", "refined_again"], header[^6..]);
        string Cell(string row, string column) => row.Split(',')[header.IndexOf(column)];
        Assert.All(rows.Skip(1), row => Assert.Equal("", Cell(row, "bias_correction_m"))); // the correction is off by default
        // Only accepted frames are finished on the sharpened map, and metrics.json counts them.
        Assert.All(rows.Skip(1).Where(r => Cell(r, "sharpened") == "True"), r => Assert.Equal("True", Cell(r, "accepted")));
        Assert.Equal(rows.Skip(1).Count(r => r.StartsWith("tracking,") && Cell(r, "sharpened") == "True"), trackingJson.GetProperty("frames_sharpened").GetInt32());
        // A frame refined again was not finished directly; only tracking frames are.
        Assert.All(rows.Skip(1).Where(r => Cell(r, "refined_again") == "True"), r => Assert.StartsWith("tracking,", r));
        Assert.Equal(rows.Skip(1).Count(r => r.StartsWith("tracking,") && Cell(r, "refined_again") == "True"), trackingJson.GetProperty("frames_refined_again").GetInt32());
        // Every frame's assumed drift is one of the fusion's candidates (config/mosaic.yaml: 5 % doubling up to 80 %),
        // and metrics.json's is the last tracking frame's.
        var trackingDrifts = rows.Skip(1).Where(r => r.StartsWith("tracking,")).Select(r => double.Parse(Cell(r, "odometry_drift"), CultureInfo.InvariantCulture)).ToList();
        Assert.All(trackingDrifts, d => Assert.Contains(d, new[] { 0.05, 0.1, 0.2, 0.4, 0.8 }));
        Assert.Equal(trackingDrifts[^1], trackingJson.GetProperty("final_odometry_drift").GetDouble(), 6);
        var covarianceJson = trackingJson.GetProperty("covariance");
        Assert.Equal(summary.Modes.Single(m => m.Mode == EvaluationMode.Tracking).Accuracy.Frames - summary.Modes.Single(m => m.Mode == EvaluationMode.Tracking).Rejected,
            covarianceJson.GetProperty("frames").GetInt32());
        // Real frames' errors lie within twice the published sigma (none did with the refiner's covariance alone).
        Assert.InRange(covarianceJson.GetProperty("within_two_sigma").GetDouble(), 0.8, 1);
        Assert.Contains("Published covariance: median sigma", File.ReadAllText(Path.Combine(dir, "report.md")));
        // An accepted frame's published covariance holds at least the measurement's variance (5 cm per axis: √3 · 5 cm at a
        // first fix, less once odometry adds to it); a rejected frame has none.
        Assert.All(rows.Skip(1), row =>
        {
            bool accepted = Cell(row, "accepted") == "True";
            Assert.Equal(accepted, Cell(row, "position_sigma_m") != "");
            if (accepted)
                Assert.InRange(double.Parse(Cell(row, "position_sigma_m"), CultureInfo.InvariantCulture), 0.005, 0.2);
        });
        Assert.Equal(drive.Frames.Count + 1, File.ReadAllLines(Path.Combine(dir, "estimate_tracking.tum")).Length);
        Assert.Contains(",from_truth_translation_error_m,", rows[0]);
        Assert.Equal(summary.Modes.Single(m => m.Mode == EvaluationMode.Tracking).CausesOutsideFromTruth!.Values.Sum(),
            trackingJson.GetProperty("failures_outside_from_truth_by_cause").EnumerateObject().Sum(c => c.Value.GetInt32()));
        Assert.Equal(summary.Modes.Single(m => m.Mode == EvaluationMode.FromTruth).Accuracy.MedianTranslation, stored.Modes["from-truth"].Accuracy.MedianTranslation, 6);
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(dir, "trajectory.svg")));
        Assert.Contains("![error CDF](error_cdf.svg)", File.ReadAllText(Path.Combine(dir, "report.md")));
        Assert.Contains("![odometry drift](odometry_drift.svg)", File.ReadAllText(Path.Combine(dir, "report.md")));
        Assert.Contains("assumed by tracking (learnt from its fixes)", File.ReadAllText(Path.Combine(dir, "odometry_drift.svg")));
        // The sample's odometry was made with 2 % drift per metre and 0.02 rad per radian (tests/data/README.md).
        var drift = result.OdometryDrift!;
        Assert.True(drift.PerMetre is > 0.015 and < 0.03 && drift.PerRadian is > 0.015 and < 0.03, drift.ToString());
        var driftJson = metrics.RootElement.GetProperty("baselines").GetProperty("odometry_drift");
        Assert.Equal(drift.PerMetre, driftJson.GetProperty("per_metre").GetDouble(), 6);
        Assert.Contains(summary.OdometryDriftText()! + summary.LearntOdometryDriftText(), File.ReadAllText(Path.Combine(dir, "report.md")));
        Assert.StartsWith("; tracking ended assuming ", summary.LearntOdometryDriftText());
    }
}
