using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Core.Synthetic;
using Mosaic.Localization.Depth;
using Mosaic.Localization.Retrieval;
using Mosaic.Localization.Segmentation;
using Mosaic.Rendering;

namespace Mosaic.Localization.Tests;

/// <summary>
/// The localizer's seeds, gates and states on the synthetic room, where the truth is exact: query
/// images are the map's labels painted in palette colours, and the test segmenter reads them back.
/// </summary>
public class LocalizerTests
{
    private const int K = 16;
    /// <summary>Frames a second apart: a camera odometry says stood still is refined again after localizer.update_max_interval, as a relocalisation that failed is retried.</summary>
    private const long Second = 1_000_000_000;
    /// <summary>Frames of a 10 Hz camera: each fix counts as a whole measurement (localizer.measurement_correlation_time).</summary>
    private const long Frame = 100_000_000;
    private static readonly CameraModel Camera = new(SyntheticRoom.Camera.AtLevel(1), DistortionModel.None);
    private static readonly Lazy<CpuLabelRenderer<float>> Room = new(() => new CpuLabelRenderer<float>(SyntheticRoom.Generate(60_000, K, seed: 7)));
    /// <summary>The room coarsened to 6 cm cubes: the localizer's coarse copy of the map.</summary>
    private static readonly Lazy<CpuLabelRenderer<float>> CoarseRoom = new(() => new CpuLabelRenderer<float>(SyntheticRoom.Generate(60_000, K, seed: 7).Coarsened(0.06)));
    private static readonly LocalizerOptions Options = new() { CoarsestLevel = 3, FinestLevel = 0, MaxIterationsPerLevel = 15 };
    /// <summary>The room with every Gaussian half as wide: the localizer's sharpened copy of the map.</summary>
    private static readonly Lazy<CpuLabelRenderer<float>> SharpRoom = new(() => new CpuLabelRenderer<float>(SyntheticRoom.Generate(60_000, K, seed: 7).Sharpened(0.5)));

    /// <summary>Reads palette colours back as labels (black = ignore): the ideal segmenter.</summary>
    private sealed class PaletteSegmenter : ISegmenter
    {
        public int LabelCount => K;
        public int Level => 0;
        public string Definition() => "type: palette\n";
        public (byte R, byte G, byte B)[] LabelColors(double channelMean = 128) => [.. Enumerable.Range(0, K).Select(k => LabelPalette.Color((ushort)k))];

        public Image<ushort> Segment(RgbImage image)
        {
            var labels = new Image<ushort>(image.Width, image.Height);
            for (int p = 0; p < labels.Data.Length; p++)
            {
                var (r, g, b) = (image.Rgb[3 * p], image.Rgb[3 * p + 1], image.Rgb[3 * p + 2]);
                labels.Data[p] = Labels.Ignore;
                for (ushort k = 0; k < K; k++)
                    if (LabelPalette.Color(k) == (r, g, b))
                        labels.Data[p] = k;
            }
            return labels;
        }
    }

    private static RgbImage Photo(Se3 mapFromCamera)
    {
        var labels = Room.Value.Render(mapFromCamera.Inverse(), Camera.Intrinsics).HardLabels();
        return new RgbImage(labels.Width, labels.Height, LabelPalette.Colorize(labels));
    }

    private static KeyframeDatabase Keyframes(IEnumerable<Se3> poses) => new(Camera.Intrinsics, GlobalDescriptor.Length(K),
        poses.Select((pose, i) => new Keyframe(i, pose, GlobalDescriptor.Compute(Room.Value.Render(pose.Inverse(), Camera.Intrinsics).HardLabels(), K))).ToList());

    private static Localizer Create(KeyframeDatabase? keyframes = null, LocalizerOptions? options = null) =>
        new(Room.Value, new PaletteSegmenter(), keyframes, options ?? Options);

    private static Se3 Nudge(Se3 pose, double metres, double degrees) =>
        pose * Se3.Exp(new Tangent(new Vector3d(metres, -metres, metres) / Math.Sqrt(3), new Vector3d(1, 1, -1) * (degrees * Math.PI / 180 / Math.Sqrt(3))));

    /// <summary>A short walk: 4 frames 3 cm and 1 degree apart.</summary>
    private static List<Se3> Walk(int seed) =>
        Enumerable.Range(0, 4).Select(i => SyntheticRoom.RandomCameraPose(new Random(seed)) * Se3.Exp(new Tangent(new Vector3d(0.03 * i, 0, 0), new Vector3d(0, 0.017 * i, 0)))).ToList();

    [Fact]
    public void From_an_initial_pose_it_tracks_with_odometry_and_stays_within_a_centimetre()
    {
        var truth = Walk(11);
        var odomFromMap = Se3.Exp(new Tangent(new Vector3d(3, -1, 0.2), new Vector3d(0, 0, 1.1)));
        var localizer = Create();
        localizer.SetInitialPose(Nudge(truth[0], 0.05, 2));

        var results = truth.Select((pose, i) => localizer.Process(new LocalizerFrame(i * Frame, Photo(pose), Camera, odomFromMap * pose))).ToList();

        Assert.Equal([PoseSeed.InitialPose, PoseSeed.Odometry, PoseSeed.Odometry, PoseSeed.Odometry], results.Select(r => r.Seed));
        Assert.All(results, r => Assert.True(r.Accepted, $"frame {r.Stamp} rejected: {r.Rejection}"));
        Assert.All(results, r => Assert.Equal(LocalizerState.Tracking, r.State));
        for (int i = 0; i < truth.Count; i++)
        {
            var (t, rot) = Se3.Distance(results[i].MapFromCamera!.Value, truth[i]);
            Assert.True(t < 0.01 && rot < 0.3 * Math.PI / 180, $"frame {i}: {t * 100:F2} cm, {rot * 180 / Math.PI:F2} deg");
        }
        Assert.All(results, r => Assert.NotNull(r.Covariance));
        Assert.Equal(TimeSpan.Zero, results[1].Times.Hypotheses);
    }

    [Fact]
    public void An_odometry_prediction_is_refined_from_the_tracking_level_and_an_initial_pose_from_the_coarsest()
    {
        var truth = Walk(11);
        var localizer = Create(options: Options with { TrackingCoarsestLevel = 1 });
        localizer.SetInitialPose(Nudge(truth[0], 0.05, 2));

        var results = truth.Take(2).Select((pose, i) => localizer.Process(new LocalizerFrame(i * Frame, Photo(pose), Camera, pose))).ToList();

        Assert.Equal([PoseSeed.InitialPose, PoseSeed.Odometry], results.Select(r => r.Seed));
        Assert.Equal([3, 1], results.Select(r => r.Refined!.Levels[0].Level));
        Assert.True(results[1].Accepted, results[1].Rejection.ToString());
        Assert.True(Se3.Distance(results[1].MapFromCamera!.Value, truth[1]).Translation < 0.01);
    }

    [Fact]
    public void Only_an_odometry_prediction_stops_at_the_tracking_loss_tolerance()
    {
        var truth = Walk(11);
        IReadOnlyList<int> Iterations(double trackingTolerance)
        {
            var localizer = Create(options: Options with { TrackingRelativeLossTolerance = trackingTolerance });
            localizer.SetInitialPose(Nudge(truth[0], 0.05, 2));
            return truth.Take(2).Select((pose, i) => localizer.Process(new LocalizerFrame(i * Frame, Photo(pose), Camera, pose)).Refined!.Iterations).ToList();
        }

        var strict = Iterations(0);
        var loose = Iterations(0.5); // a level ends at its first accepted step unless it halves the loss

        Assert.Equal(strict[0], loose[0]); // the initial pose's refinement keeps relative_loss_tolerance
        Assert.True(loose[1] < strict[1], $"tracking frame: {loose[1]} iterations with the loose tolerance, {strict[1]} with none");
    }

    /// <summary>
    /// With the ideal segmenter the query's labels are the map's own, the case the bias correction is
    /// for: it reaches the final refinement and brings every tracked frame to within 1.5 mm, where the
    /// uncorrected poses end 3.5-4.2 mm off (measured: corrected 0.1-1.0 mm; the localizer's step and
    /// loss tolerances are looser than the refiner's defaults).
    /// </summary>
    [Fact]
    public void Bias_correction_rounds_reach_the_final_refinement()
    {
        var truth = Walk(11);
        double[] Errors(int rounds)
        {
            var localizer = Create(options: Options with { BiasCorrectionRounds = rounds });
            localizer.SetInitialPose(Nudge(truth[0], 0.05, 2));
            var results = truth.Select((pose, i) => localizer.Process(new LocalizerFrame(i * Frame, Photo(pose), Camera, pose))).ToList();
            // A round that moves the estimate less than the step tolerances ends the correction early.
            Assert.All(results, r => Assert.InRange(r.Refined!.Correction?.Rounds ?? 0, Math.Min(rounds, 1), rounds));
            return results.Select((r, i) => Se3.Distance(r.MapFromCamera!.Value, truth[i]).Translation).ToArray();
        }

        var plain = Errors(0);
        var corrected = Errors(3);
        Assert.All(corrected, e => Assert.True(e < 0.0015, $"corrected frame {e * 1000:F2} mm off"));
        Assert.All(plain, e => Assert.True(e > 0.003, $"an uncorrected frame {e * 1000:F2} mm off should show the bias"));
    }

    [Fact]
    public void Without_a_pose_it_relocalises_from_the_retrieved_keyframes()
    {
        var truth = SyntheticRoom.RandomCameraPose(new Random(21));
        var others = Enumerable.Range(30, 6).Select(s => SyntheticRoom.RandomCameraPose(new Random(s)));
        var localizer = Create(Keyframes(others.Append(Nudge(truth, 0.08, 4))));

        var result = localizer.Process(new LocalizerFrame(0, Photo(truth), Camera));

        Assert.Equal(PoseSeed.Retrieval, result.Seed);
        Assert.True(result.Accepted, result.Rejection.ToString());
        Assert.InRange(result.Hypotheses.Count, 1, Options.RetrievalCandidates);
        Assert.Contains(result.Hypotheses, h => h.Keyframe?.Stamp == 6);
        var (t, r) = Se3.Distance(result.MapFromCamera!.Value, truth);
        Assert.True(t < 0.01 && r < 0.3 * Math.PI / 180, $"{t * 100:F2} cm, {r * 180 / Math.PI:F2} deg");
        Assert.True(result.Times.Hypotheses > TimeSpan.Zero);
        // The hypotheses were refined at the coarsest level; the final refinement goes on below it.
        Assert.Equal(Options.CoarsestLevel - Options.HypothesisLevels, result.Refined!.Levels[0].Level);
    }

    /// <summary>Counts evaluations with and without gradient per image width.</summary>
    private sealed class CountingRenderer(ILabelRenderer inner) : ILabelRenderer
    {
        public Dictionary<int, int> GradientEvaluations { get; } = [];
        public Dictionary<int, int> LossEvaluations { get; } = [];
        public int LabelCount => inner.LabelCount;

        public void Clear()
        {
            GradientEvaluations.Clear();
            LossEvaluations.Clear();
        }

        public bool ReportsUncoveredTerms => inner.ReportsUncoveredTerms;

        public RenderedLabels Render(Se3 camFromMap, PinholeCamera camera) => inner.Render(camFromMap, camera);

        public LossEvaluation Evaluate(Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, bool withGradient, IReadOnlyList<double>? uncoveredLoss = null)
        {
            var counts = withGradient ? GradientEvaluations : LossEvaluations;
            counts[camera.Width] = counts.GetValueOrDefault(camera.Width) + 1;
            return inner.Evaluate(camFromMap, camera, query, withGradient, uncoveredLoss);
        }
    }

    [Fact]
    public void Hypotheses_are_refined_on_the_coarse_map_and_ranked_by_the_full_maps_loss()
    {
        var truth = SyntheticRoom.RandomCameraPose(new Random(21));
        var keyframes = Keyframes(Enumerable.Range(30, 6).Select(s => SyntheticRoom.RandomCameraPose(new Random(s))).Append(Nudge(truth, 0.08, 4)));
        var (full, coarse) = (new CountingRenderer(Room.Value), new CountingRenderer(CoarseRoom.Value));
        var localizer = new Localizer(full, new PaletteSegmenter(), keyframes, Options, coarseRenderer: coarse);

        var result = localizer.Process(new LocalizerFrame(0, Photo(truth), Camera));

        int coarsestWidth = Camera.Intrinsics.AtLevel(Options.CoarsestLevel).Width;
        Assert.True(coarse.GradientEvaluations[coarsestWidth] >= result.Hypotheses.Count);
        Assert.Equal([coarsestWidth], coarse.GradientEvaluations.Keys);
        // The full map refines no hypothesis; it scores each once where its refinement ended.
        Assert.False(full.GradientEvaluations.ContainsKey(coarsestWidth));
        Assert.Equal(result.Hypotheses.Count, full.LossEvaluations[coarsestWidth]);
        var best = result.Hypotheses.Single(h => h.Refined == result.SeedMapFromCamera);
        var query = LabelDistributionImage.FromLabels(result.QueryLabels!, K).Downsample(1 << Options.CoarsestLevel);
        Assert.Equal(Room.Value.Evaluate(best.Refined.Inverse(), Camera.Intrinsics.AtLevel(Options.CoarsestLevel), query, withGradient: false).Loss, best.Loss, 6);
        Assert.True(result.Accepted, result.Rejection.ToString());
        var (t, r) = Se3.Distance(result.MapFromCamera!.Value, truth);
        Assert.True(t < 0.01 && r < 0.3 * Math.PI / 180, $"{t * 100:F2} cm, {r * 180 / Math.PI:F2} deg");
    }

    [Fact]
    public void A_tracking_frame_is_refined_on_the_coarse_map_down_to_the_coarse_map_level_and_on_the_full_map_below()
    {
        var truth = Walk(11);
        var (full, coarse) = (new CountingRenderer(Room.Value), new CountingRenderer(CoarseRoom.Value));
        var options = Options with { TrackingCoarsestLevel = 2, CoarseMapLevel = 2 };
        var localizer = new Localizer(full, new PaletteSegmenter(), null, options, coarseRenderer: coarse);
        localizer.SetInitialPose(Nudge(truth[0], 0.05, 2));
        localizer.Process(new LocalizerFrame(0, Photo(truth[0]), Camera, truth[0]));
        var (coarseBefore, fullBefore) = (new Dictionary<int, int>(coarse.GradientEvaluations), new Dictionary<int, int>(full.GradientEvaluations));

        var tracked = localizer.Process(new LocalizerFrame(Frame, Photo(truth[1]), Camera, truth[1]));

        int Width(int level) => Camera.Intrinsics.AtLevel(level).Width;
        Dictionary<int, int> Added(Dictionary<int, int> after, Dictionary<int, int> before) =>
            after.Where(e => e.Value > before.GetValueOrDefault(e.Key)).ToDictionary(e => e.Key, e => e.Value - before.GetValueOrDefault(e.Key));
        Assert.Equal(PoseSeed.Odometry, tracked.Seed);
        Assert.Equal([Width(2)], Added(coarse.GradientEvaluations, coarseBefore).Keys);
        Assert.Equal([Width(1), Width(0)], Added(full.GradientEvaluations, fullBefore).Keys.Order());
        // The initial pose's refinement used the coarse copy at levels 3 and 2 only.
        Assert.Equal([Width(3), Width(2)], coarseBefore.Keys.Order());
        Assert.True(tracked.Accepted, tracked.Rejection.ToString());
        var (t, r) = Se3.Distance(tracked.MapFromCamera!.Value, truth[1]);
        Assert.True(t < 0.01 && r < 0.3 * Math.PI / 180, $"{t * 100:F2} cm, {r * 180 / Math.PI:F2} deg");
    }

    [Fact]
    public void The_finest_level_is_refined_on_the_full_map_even_when_the_coarse_map_level_reaches_it()
    {
        var truth = Walk(11);
        var (full, coarse) = (new CountingRenderer(Room.Value), new CountingRenderer(CoarseRoom.Value));
        var localizer = new Localizer(full, new PaletteSegmenter(), null, Options with { CoarseMapLevel = 1 }, coarseRenderer: coarse);
        localizer.SetInitialPose(Nudge(truth[0], 0.05, 2));

        var result = localizer.Process(new LocalizerFrame(0, Photo(truth[0]), Camera, truth[0]));

        int Width(int level) => Camera.Intrinsics.AtLevel(level).Width;
        Assert.Equal([Width(3), Width(2), Width(1)], coarse.GradientEvaluations.Keys.Order());
        Assert.Equal([Width(0)], full.GradientEvaluations.Keys);
        Assert.True(result.Accepted, result.Rejection.ToString());
    }

    [Fact]
    public void Each_hypothesis_is_refined_with_at_most_its_own_iteration_limit()
    {
        var truth = SyntheticRoom.RandomCameraPose(new Random(21));
        var keyframes = Keyframes(Enumerable.Range(30, 6).Select(s => SyntheticRoom.RandomCameraPose(new Random(s))).Append(Nudge(truth, 0.08, 4)));
        var counting = new CountingRenderer(Room.Value);
        var localizer = new Localizer(counting, new PaletteSegmenter(), keyframes, Options with { HypothesisMaxIterations = 2 });

        var result = localizer.Process(new LocalizerFrame(0, Photo(truth), Camera));

        // Only the hypotheses are refined at the coarsest level: one evaluation at the start, then at most one per iteration.
        int coarsestWidth = Camera.Intrinsics.AtLevel(Options.CoarsestLevel).Width;
        Assert.InRange(counting.GradientEvaluations[coarsestWidth], result.Hypotheses.Count, result.Hypotheses.Count * (1 + 2));
        Assert.True(result.Accepted, result.Rejection.ToString());
    }

    [Fact]
    public void Retrieval_ranks_the_keyframe_of_the_same_view_first()
    {
        var poses = Enumerable.Range(40, 8).Select(s => SyntheticRoom.RandomCameraPose(new Random(s))).ToList();
        var localizer = Create(Keyframes(poses));
        var labels = new PaletteSegmenter().Segment(Photo(poses[5]));

        var ranked = localizer.RankKeyframes(labels);

        Assert.Equal(5, ranked[0].Keyframe.Stamp);
        Assert.Equal(1, ranked[0].Similarity, 6);
        Assert.True(ranked.Zip(ranked.Skip(1)).All(p => p.First.Similarity >= p.Second.Similarity));
    }

    [Fact]
    public void Blind_frames_are_rejected_then_it_is_lost_then_it_relocalises()
    {
        var truth = Walk(12);
        // The only keyframe shows another part of the room: relocalising must not take it over the prediction.
        var elsewhere = SyntheticRoom.RandomCameraPose(new Random(112));
        Assert.True(Se3.Distance(elsewhere, truth[3]).Translation > 0.5, "the keyframe must be a wrong hypothesis");
        var localizer = Create(Keyframes([elsewhere]), Options with { MaxRejectedFrames = 2 });
        localizer.SetInitialPose(truth[0]);
        Assert.True(localizer.Process(new LocalizerFrame(0, Photo(truth[0]), Camera, truth[0])).Accepted);
        var black = new RgbImage(Camera.Intrinsics.Width, Camera.Intrinsics.Height, new byte[3 * Camera.Intrinsics.Width * Camera.Intrinsics.Height]);

        var blind = Enumerable.Range(1, 3).Select(i => localizer.Process(new LocalizerFrame(i * Second, black, Camera, truth[i]))).ToList();

        Assert.All(blind, r => Assert.False(r.Accepted));
        Assert.All(blind, r => Assert.Equal(Rejection.LowCoverage, r.Rejection));
        Assert.Equal([LocalizerState.Tracking, LocalizerState.Lost, LocalizerState.Relocalising], blind.Select(r => r.State));
        Assert.Equal([PoseSeed.Odometry, PoseSeed.Odometry, PoseSeed.Retrieval], blind.Select(r => r.Seed));
        // While blind, the pose is carried by odometry (exact here) from the last refined pose.
        Assert.True(Se3.Distance(blind[^1].MapFromCamera!.Value, truth[3]).Translation < 0.01);

        var back = localizer.Process(new LocalizerFrame(4 * Second, Photo(truth[3]), Camera, truth[3]));
        // Relocalising weighs the retrieved keyframes against the odometry prediction; here the prediction is right.
        Assert.Contains(back.Hypotheses, h => h.Keyframe is null);
        Assert.Contains(back.Hypotheses, h => h.Keyframe is not null);
        Assert.Equal(PoseSeed.Odometry, back.Seed);
        Assert.True(back.Accepted);
        Assert.Equal(LocalizerState.Tracking, back.State);
    }

    /// <summary>
    /// The camera is carried to another part of the room without odometry seeing it (odometry says it
    /// stood still, then moves it as the camera moves). Relocalising finds the new place at once, but
    /// odometry cannot explain the jump, so it is taken only when two more frames find the same place.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void A_relocalisation_odometry_cannot_explain_is_accepted_once_the_following_frames_find_the_same_place(int confirmations)
    {
        var here = Walk(12)[0];
        var there = Walk(112);
        Assert.True(Se3.Distance(here, there[0]).Translation > 0.5, "the camera must be carried far");
        var localizer = Create(Keyframes([there[0]]), Options with { MaxRejectedFrames = 1, RelocalisationConfirmations = confirmations });
        localizer.SetInitialPose(here);
        Assert.True(localizer.Process(new LocalizerFrame(0, Photo(here), Camera, here)).Accepted);
        // What odometry reports: no jump, then the camera's own motion.
        Se3 Odometry(int i) => here * there[0].Inverse() * there[i];

        var carried = Enumerable.Range(0, 4).Select(i => localizer.Process(new LocalizerFrame((1 + i) * Second, Photo(there[i]), Camera, Odometry(i)))).ToList();

        Assert.False(carried[0].Accepted); // tracking from where odometry says the camera is
        Assert.All(carried.Skip(1).Take(confirmations + 1), r => Assert.Equal(PoseSeed.Retrieval, r.Seed));
        var unconfirmed = carried.Skip(1).Take(confirmations).ToList();
        Assert.All(unconfirmed, r => Assert.Equal(Rejection.Unconfirmed, r.Rejection));
        Assert.All(unconfirmed, r => Assert.Equal(LocalizerState.Relocalising, r.State));
        // Until then the published pose follows odometry.
        Assert.All(unconfirmed, r => Assert.True(Se3.Distance(r.MapFromCamera!.Value, here).Translation < 0.2));
        var confirmed = carried[1 + confirmations];
        Assert.True(confirmed.Accepted, confirmed.Rejection.ToString());
        Assert.Equal(LocalizerState.Tracking, confirmed.State);
        var (t, rot) = Se3.Distance(confirmed.MapFromCamera!.Value, there[1 + confirmations]);
        Assert.True(t < 0.01 && rot < 0.3 * Math.PI / 180, $"{t * 100:F2} cm, {rot * 180 / Math.PI:F2} deg");
    }

    /// <summary>
    /// While lost, one frame shows another part of the room (a view that fits a wrong place well); the
    /// next shows the camera where odometry says it is. The wrong place is never taken, and the next
    /// frame relocalises at once next to the odometry prediction.
    /// </summary>
    [Fact]
    public void A_place_that_fits_one_frame_but_not_the_next_is_not_taken_over_odometry()
    {
        var truth = Walk(12);
        var elsewhere = Walk(112)[0];
        LocalizationResult[] Run(int confirmations)
        {
            var localizer = Create(Keyframes([elsewhere]), Options with { MaxRejectedFrames = 1, RelocalisationConfirmations = confirmations });
            localizer.SetInitialPose(truth[0]);
            var black = new RgbImage(Camera.Intrinsics.Width, Camera.Intrinsics.Height, new byte[3 * Camera.Intrinsics.Width * Camera.Intrinsics.Height]);
            RgbImage[] images = [Photo(truth[0]), black, Photo(elsewhere), Photo(truth[3])];
            return images.Select((image, i) => localizer.Process(new LocalizerFrame(i * Frame, image, Camera, truth[i]))).ToArray();
        }

        var guarded = Run(confirmations: 2);
        var trusting = Run(confirmations: 0);

        Assert.Equal(LocalizerState.Lost, guarded[1].State);
        Assert.Equal(Rejection.Unconfirmed, guarded[2].Rejection);
        Assert.True(Se3.Distance(guarded[2].MapFromCamera!.Value, truth[2]).Translation < 0.01, "an unconfirmed frame keeps the odometry prediction");
        Assert.True(guarded[3].Accepted, guarded[3].Rejection.ToString());
        Assert.Equal(LocalizerState.Tracking, guarded[3].State);
        Assert.True(Se3.Distance(guarded[3].MapFromCamera!.Value, truth[3]).Translation < 0.01);
        // Trusting every relocalisation takes the wrong place.
        Assert.True(trusting[2].Accepted);
        Assert.True(Se3.Distance(trusting[2].MapFromCamera!.Value, elsewhere).Translation < 0.01);
    }

    [Fact]
    public void Relocalisations_to_different_places_do_not_confirm_each_other()
    {
        var truth = Walk(12);
        var (one, other) = (Walk(112)[0], Walk(113)[0]);
        Assert.True(Se3.Distance(one, other).Translation > 0.5, "the two wrong places must be apart");
        var localizer = Create(Keyframes([one, other]), Options with { MaxRejectedFrames = 1, RelocalisationConfirmations = 1 });
        localizer.SetInitialPose(truth[0]);
        var black = new RgbImage(Camera.Intrinsics.Width, Camera.Intrinsics.Height, new byte[3 * Camera.Intrinsics.Width * Camera.Intrinsics.Height]);
        RgbImage[] images = [Photo(truth[0]), black, Photo(one), Photo(other), Photo(one)];

        // The last two frames stand still, 1 ns apart: a place found but not yet confirmed is pursued at frame rate.
        var results = images.Select((image, i) => localizer.Process(new LocalizerFrame(i * Frame, image, Camera, truth[Math.Min(i, 3)]))).ToList();

        Assert.All(results.Skip(2), r => Assert.Equal(Rejection.Unconfirmed, r.Rejection));
    }

    [Fact]
    public void A_correction_larger_than_odometry_can_drift_is_rejected()
    {
        var truth = Walk(13);
        var localizer = Create(options: Options with { MaxCorrection = 0.01, OdometryDrift = 0 });
        localizer.SetInitialPose(truth[0]);
        var first = localizer.Process(new LocalizerFrame(0, Photo(truth[0]), Camera, truth[0]));
        // Odometry claims the camera stood still; it moved 3 cm.
        var result = localizer.Process(new LocalizerFrame(Second, Photo(truth[1]), Camera, truth[0]));

        Assert.False(result.Accepted);
        Assert.Equal(Rejection.LargeCorrection, result.Rejection);
        Assert.True(Se3.Distance(first.MapFromCamera!.Value, result.MapFromCamera!.Value).Translation < 1e-9, "the pose stays where odometry puts it");
        Assert.Null(result.Covariance);
    }

    [Fact]
    public void An_accepted_pose_of_low_loss_is_finished_on_the_sharpened_map_and_one_of_higher_loss_is_not()
    {
        var truth = Walk(16)[0];
        LocalizationResult Localize(double sharpMapMaxLoss)
        {
            var localizer = new Localizer(Room.Value, new PaletteSegmenter(), null, Options with { SharpMapMaxLoss = sharpMapMaxLoss }, sharpRenderer: SharpRoom.Value);
            localizer.SetInitialPose(Nudge(truth, 0.03, 1.5));
            return localizer.Process(new LocalizerFrame(0, Photo(truth), Camera));
        }

        var finished = Localize(sharpMapMaxLoss: 10);
        var unfinished = Localize(sharpMapMaxLoss: finished.Refined!.Loss);

        Assert.True(finished.Accepted && unfinished.Accepted);
        // One more refinement at the finest level, from the full map's pose, gives the pose and the covariance.
        var sharpened = Assert.IsType<RefinementResult>(finished.Sharpened);
        Assert.Equal(Options.FinestLevel, Assert.Single(sharpened.Levels).Level);
        Assert.Equal(sharpened.MapFromCamera, finished.MapFromCamera);
        // Its position counts as a measurement with measurement_sigma times sharp_map_sigma_factor, its rotation
        // as any other fix's.
        double factor = Options.SharpMapSigmaFactor, degree = Math.PI / 180;
        Assert.True(factor < 1, "the default counts a finished position as the better measurement");
        Assert.Equal(sharpened.Covariance![0] + Math.Pow(Options.MeasurementSigma * factor, 2), finished.Covariance![0], 12);
        Assert.Equal(sharpened.Covariance[21] + Math.Pow(Options.MeasurementSigmaDeg * degree, 2), finished.Covariance[21], 12);
        // A loss not below the gate leaves the full map's pose and the measurement's own sigmas; the refinement
        // before is the same either way.
        Assert.Null(unfinished.Sharpened);
        Assert.Equal(unfinished.Refined!.MapFromCamera, unfinished.MapFromCamera);
        Assert.Equal(unfinished.Refined.Covariance![0] + Math.Pow(Options.MeasurementSigma, 2), unfinished.Covariance![0], 12);
        Assert.Equal(unfinished.Refined.Covariance[21] + Math.Pow(Options.MeasurementSigmaDeg * degree, 2), unfinished.Covariance[21], 12);
        Assert.Equal(finished.Refined.MapFromCamera, unfinished.Refined.MapFromCamera);
        // These labels were rendered from the map itself, whose own widths are then the right ones: the finish
        // leaves the pose farther from the truth here (README "the finish on a sharpened map"). A segmenter's labels
        // are nobody's rendering; there, where they fit well, the narrower copy fits them better.
        double before = Se3.Distance(unfinished.MapFromCamera!.Value, truth).Translation, after = Se3.Distance(finished.MapFromCamera!.Value, truth).Translation;
        Assert.True(after > before, $"finished {after * 1000:F1} mm from the truth, unfinished {before * 1000:F1} mm");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void While_tracking_a_frame_after_a_finished_one_is_refined_on_the_sharpened_map_directly_and_judged_by_the_full_map(bool sharpMapTracking)
    {
        var truth = Walk(17);
        var (full, sharp) = (new CountingRenderer(Room.Value), new CountingRenderer(SharpRoom.Value));
        var localizer = new Localizer(full, new PaletteSegmenter(), null, Options with { SharpMapMaxLoss = 10, SharpMapTracking = sharpMapTracking }, sharpRenderer: sharp);
        localizer.SetInitialPose(Nudge(truth[0], 0.03, 1.5));
        var first = localizer.Process(new LocalizerFrame(0, Photo(truth[0]), Camera, truth[0]));
        Assert.NotNull(first.Sharpened);
        int finest = Camera.Intrinsics.AtLevel(Options.FinestLevel).Width;
        full.Clear();
        sharp.Clear();

        var photo = Photo(truth[1]);
        var second = localizer.Process(new LocalizerFrame(Frame, photo, Camera, truth[1]));

        Assert.True(second.Accepted, second.Rejection.ToString());
        Assert.Equal(PoseSeed.Odometry, second.Seed);
        Assert.True(sharp.GradientEvaluations.GetValueOrDefault(finest) > 0);
        if (sharpMapTracking)
        {
            // No refinement on the full map at the finest level, one loss there to judge the pose; the
            // refinement that reached it is the finish, and it carries the full map's loss and coverage.
            Assert.Equal(0, full.GradientEvaluations.GetValueOrDefault(finest));
            Assert.Equal(1, full.LossEvaluations.GetValueOrDefault(finest));
            Assert.Same(second.Refined, second.Sharpened);
            Assert.False(second.RefinedAgain);
            var query = LabelDistributionImage.FromLabels(new PaletteSegmenter().Segment(photo), K);
            var judged = Room.Value.Evaluate(second.Refined!.MapFromCamera.Inverse(), Camera.Intrinsics.AtLevel(Options.FinestLevel), query.Downsample(1 << Options.FinestLevel), withGradient: false);
            Assert.Equal(judged.Loss, second.Refined.Loss, 12);
            Assert.Equal(judged.Coverage, second.Refined.Coverage, 12);
        }
        else
        {
            Assert.True(full.GradientEvaluations.GetValueOrDefault(finest) > 0);
            Assert.NotSame(second.Refined, second.Sharpened);
        }
    }

    [Fact]
    public void A_frame_whose_labels_fit_worse_than_the_finishing_gate_is_refined_on_the_full_map_after_all()
    {
        var truth = Walk(17);
        // Every third pixel of the second frame carries the next label: its loss lies well above the first's.
        var photo = Photo(truth[1]);
        var labels = new PaletteSegmenter().Segment(photo);
        for (int p = 0; p < labels.Data.Length; p += 3)
            if (labels.Data[p] != Labels.Ignore)
                labels.Data[p] = (ushort)((labels.Data[p] + 1) % K);
        var noisy = new RgbImage(labels.Width, labels.Height, LabelPalette.Colorize(labels));
        (LocalizationResult First, LocalizationResult Second, CountingRenderer Full) Track(double sharpMapMaxLoss)
        {
            var full = new CountingRenderer(Room.Value);
            var localizer = new Localizer(full, new PaletteSegmenter(), null, Options with { SharpMapMaxLoss = sharpMapMaxLoss }, sharpRenderer: SharpRoom.Value);
            localizer.SetInitialPose(Nudge(truth[0], 0.03, 1.5));
            var first = localizer.Process(new LocalizerFrame(0, Photo(truth[0]), Camera, truth[0]));
            full.Clear();
            return (first, localizer.Process(new LocalizerFrame(Frame, noisy, Camera, truth[1])), full);
        }
        var always = Track(sharpMapMaxLoss: 10);
        Assert.Same(always.Second.Refined, always.Second.Sharpened);
        Assert.True(always.Second.Refined!.Loss > 2 * always.First.Refined!.Loss, $"losses {always.First.Refined.Loss:F3}, {always.Second.Refined.Loss:F3}");

        // A gate between the two losses: the first frame is finished, the second judged too loose.
        var (_, second, full) = Track(sharpMapMaxLoss: (always.First.Refined.Loss + always.Second.Refined.Loss) / 2);

        int finest = Camera.Intrinsics.AtLevel(Options.FinestLevel).Width;
        Assert.True(full.GradientEvaluations.GetValueOrDefault(finest) > 0, "refined on the full map at the finest level");
        Assert.NotSame(second.Refined, second.Sharpened);
        Assert.True(second.RefinedAgain);
        Assert.False(always.Second.RefinedAgain);
    }

    [Theory]
    [InlineData(0.05, 100_000_000)]
    [InlineData(0.05, 33_333_333)]
    [InlineData(0.0, 100_000_000)]
    public void While_tracking_the_pose_fuses_odometry_and_refinement_by_their_variances(double measurementSigma, long interval)
    {
        var truth = Walk(15);
        var localizer = Create(options: Options with { MeasurementSigma = measurementSigma, OdometryDrift = 0.05, MeasurementCorrelationTime = 0.1 });
        localizer.SetInitialPose(truth[0]);
        var first = localizer.Process(new LocalizerFrame(0, Photo(truth[0]), Camera, truth[0]));
        // Odometry says the camera moved 3 cm but is 2 cm short of the truth.
        var odometry = truth[0] * Se3.Exp(new Tangent(new Vector3d(0.03, 0, 0), new Vector3d(0, 0.017, 0)));
        var result = localizer.Process(new LocalizerFrame(interval, Photo(truth[2]), Camera, odometry));

        Assert.True(result.Accepted, result.Rejection.ToString());
        var prediction = first.MapFromCamera!.Value * (truth[0].Inverse() * odometry);
        double toRefined = Se3.Distance(prediction, result.Refined!.MapFromCamera).Translation;
        double toPublished = Se3.Distance(prediction, result.MapFromCamera!.Value).Translation;
        if (measurementSigma == 0)
        {
            Assert.Equal(result.Refined.MapFromCamera, result.MapFromCamera);
        }
        else
        {
            // The first fix has the measurement's variance; odometry adds (5 % of 3 cm)²; the gain is
            // σ²_prediction / (σ²_prediction + σ²_measurement), a little over one half. A frame a third of
            // the correlation time after the first is a third of a measurement: both the drift's variance
            // over the increment and the measurement's count three times.
            double share = Math.Min(1, interval * 1e-9 / 0.1);
            double prior = Math.Pow(measurementSigma, 2) + Math.Pow(0.05 * 0.03, 2) / share;
            double gain = prior / (prior + Math.Pow(measurementSigma, 2) / share);
            Assert.InRange(toPublished, 0.9 * gain * toRefined, 1.1 * gain * toRefined);
            // The published covariance holds the fused pose's variance besides the refinement's.
            Assert.Equal(result.Refined.Covariance![0] + (1 - gain) * prior, result.Covariance![0], 9); // the odometry moved about 3 cm
        }
        Assert.True(toRefined > 0.015, $"the refinement corrected only {toRefined * 100:F2} cm");
    }

    private static readonly Lazy<GaussianMap> RoomMap = new(() => SyntheticRoom.Generate(60_000, K, seed: 7));

    /// <summary>
    /// The room's depth as a camera at <paramref name="mapFromCamera"/> measures it, in the colour camera's
    /// own pixels: each pixel sees the nearest Gaussian centre that projects into it (the room's
    /// surfaces are its centres; the blended depth of a render smears them).
    /// </summary>
    private static DepthReadings DepthSeenFrom(Se3 mapFromCamera)
    {
        var depth = new Image<float>(Camera.Intrinsics.Width, Camera.Intrinsics.Height);
        Array.Fill(depth.Data, float.NaN);
        var camFromMap = mapFromCamera.Inverse();
        var map = RoomMap.Value;
        for (int i = 0; i < map.Count; i++)
        {
            var p = camFromMap.Apply(new Vector3d(map.Positions[3 * i], map.Positions[3 * i + 1], map.Positions[3 * i + 2]));
            if (p.Z < 0.3)
                continue;
            var (u, v) = Camera.Project(p);
            int x = (int)Math.Round(u), y = (int)Math.Round(v);
            if (x < 0 || y < 0 || x >= depth.Width || y >= depth.Height || !(float.IsNaN(depth[x, y]) || p.Z < depth[x, y]))
                continue;
            depth.Data[y * depth.Width + x] = (float)p.Z;
        }
        return new DepthReadings(depth, Camera, Se3.Identity);
    }

    private static Localizer CreateWithDepth(LocalizerOptions? options = null) =>
        new(Room.Value, new PaletteSegmenter(), null, options ?? Options, depthAlignment: new Lazy<DepthAlignment>(() => new DepthAlignment(RoomMap.Value, new DepthAlignmentOptions { PixelStride = 1 })));

    [Fact]
    public void Depth_refinement_moves_a_pose_that_biased_labels_left_off_onto_the_surfaces()
    {
        // The labels are drawn as if from 2 cm / 0.6 deg away (a segmenter that places its boundaries off);
        // the depth is measured from the true pose.
        var truth = SyntheticRoom.RandomCameraPose(new Random(23));
        var frame = new LocalizerFrame(0, Photo(Nudge(truth, 0.02, 0.6)), Camera, Depth: DepthSeenFrom(truth));
        var labelsOnly = Create();
        var withDepth = CreateWithDepth();
        labelsOnly.SetInitialPose(truth);
        withDepth.SetInitialPose(truth);

        var fromLabels = labelsOnly.Process(frame);
        var fromDepth = withDepth.Process(frame);

        Assert.True(fromLabels.Accepted && fromDepth.Accepted);
        Assert.Null(fromLabels.Depth);
        Assert.False(fromLabels.DepthRefined);
        double labelError = Se3.Distance(fromLabels.MapFromCamera!.Value, truth).Translation;
        Assert.True(labelError > 0.01, $"the biased labels left the pose only {labelError * 100:F2} cm off");
        Assert.True(fromDepth.DepthRefined, $"support {fromDepth.Depth!.Support:P1}, conditioning {fromDepth.Depth.Conditioning:G3}, converged {fromDepth.Depth.Converged}");
        var (t, r) = Se3.Distance(fromDepth.MapFromCamera!.Value, truth);
        Assert.True(t < 0.003 && r < 0.1 * Math.PI / 180, $"depth-refined {t * 1000:F1} mm, {r * 180 / Math.PI:F3} deg from the truth; labels {labelError * 1000:F1} mm; {fromDepth.Depth}");
        // The label refinement itself is the same, to the bit; depth starts where it ended.
        Assert.Equal(fromLabels.Refined!.MapFromCamera, fromDepth.Refined!.MapFromCamera);
        Assert.True(fromDepth.Times.Depth > TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, fromLabels.Times.Depth);
        Assert.Equal(Math.Pow(Options.DepthSigma, 2), fromDepth.Covariance![0], 12);
        Assert.Equal(Math.Pow(Options.DepthSigmaDeg * Math.PI / 180, 2), fromDepth.Covariance[35], 12);
    }

    [Fact]
    public void Depth_that_does_not_fit_the_map_leaves_the_label_pose()
    {
        var truth = SyntheticRoom.RandomCameraPose(new Random(23));
        // A wall half a metre ahead that the room does not have.
        var phantom = new Image<float>(Camera.Intrinsics.Width, Camera.Intrinsics.Height);
        Array.Fill(phantom.Data, 0.5f);
        var frame = new LocalizerFrame(0, Photo(truth), Camera, Depth: new DepthReadings(phantom, Camera, Se3.Identity));
        var localizer = CreateWithDepth();
        localizer.SetInitialPose(truth);

        var result = localizer.Process(frame);

        Assert.True(result.Accepted);
        Assert.NotNull(result.Depth);
        Assert.False(result.DepthRefined);
        Assert.True(result.Depth!.Support < Options.DepthMinSupport, $"support {result.Depth.Support:P1}");
        Assert.Equal(result.Refined!.MapFromCamera, result.MapFromCamera);
        // Published: the refinement's covariance plus, on the diagonal, the measurement's variance (a first fix).
        for (int i = 0; i < 36; i++)
        {
            double measured = i % 7 != 0 ? 0 : i < 21 ? Math.Pow(Options.MeasurementSigma, 2) : Math.Pow(Options.MeasurementSigmaDeg * Math.PI / 180, 2);
            Assert.Equal(result.Refined.Covariance![i] + measured, result.Covariance![i], 15);
        }
    }

    [Fact]
    public void Uninitialised_without_keyframes_or_initial_pose_has_nothing_to_refine()
    {
        var result = Create().Process(new LocalizerFrame(0, Photo(Walk(14)[0]), Camera));

        Assert.Equal(Rejection.NoSeed, result.Rejection);
        Assert.Equal(PoseSeed.None, result.Seed);
        Assert.Null(result.MapFromCamera);
        Assert.Equal(LocalizerState.Uninitialised, result.State);
    }

    [Fact]
    public void A_camera_that_has_hardly_moved_since_the_last_refined_frame_is_not_refined_until_it_moves_or_a_second_passes()
    {
        var truth = Walk(11);
        var localizer = Create();
        localizer.SetInitialPose(truth[0]);
        var still = Nudge(truth[0], 0.004, 0.3);
        // Stamps (ms) and where odometry puts the camera: it stands nearly still, then moves 3 cm.
        (long Ms, Se3 Pose)[] frames = [(0, truth[0]), (100, still), (200, still), (1000, still), (1100, truth[1]), (1200, truth[1])];

        var results = frames.Select(f => localizer.Process(new LocalizerFrame(f.Ms * 1_000_000, Photo(f.Pose), Camera, f.Pose))).ToList();

        Assert.Equal([Rejection.None, Rejection.NotMoved, Rejection.NotMoved, Rejection.None, Rejection.None, Rejection.NotMoved], results.Select(r => r.Rejection));
        var skipped = results.Where(r => r.Rejection == Rejection.NotMoved).ToList();
        Assert.All(skipped, r => Assert.Null(r.Refined));
        Assert.All(skipped, r => Assert.Null(r.Covariance));
        Assert.All(skipped, r => Assert.Equal(LocalizerState.Tracking, r.State));
        Assert.All(skipped, r => Assert.Equal(PoseSeed.Odometry, r.Seed));
        // Its pose is the odometry prediction, and it is not even segmented.
        Assert.True(Se3.Distance(results[2].MapFromCamera!.Value, results[0].MapFromCamera!.Value * truth[0].Inverse() * still).Translation < 1e-9);
        Assert.All(skipped, r => Assert.Null(r.QueryLabels));
        Assert.All(skipped, r => Assert.Equal(TimeSpan.Zero, r.Times.Total));
    }

    [Fact]
    public void After_a_rejection_every_frame_is_refined_until_it_is_lost_and_a_failed_relocalisation_is_retried_once_a_second()
    {
        var truth = Walk(12);
        var localizer = Create();
        localizer.SetInitialPose(truth[0]);
        Assert.True(localizer.Process(new LocalizerFrame(0, Photo(truth[0]), Camera, truth[0])).Accepted);
        var black = new RgbImage(Camera.Intrinsics.Width, Camera.Intrinsics.Height, new byte[3 * Camera.Intrinsics.Width * Camera.Intrinsics.Height]);

        // Moved 3 cm into a view the map does not cover (a dock outside the map), then stands there.
        long[] ms = [100, 200, 300, 400, 500, 600, 1400];
        var results = ms.Select(t => localizer.Process(new LocalizerFrame(t * 1_000_000, black, Camera, truth[1]))).ToList();

        Assert.Equal([Rejection.LowCoverage, Rejection.LowCoverage, Rejection.LowCoverage, Rejection.LowCoverage, Rejection.NotMoved, Rejection.NotMoved, Rejection.LowCoverage],
            results.Select(r => r.Rejection));
        Assert.Equal([LocalizerState.Tracking, LocalizerState.Tracking, LocalizerState.Lost, LocalizerState.Relocalising, LocalizerState.Relocalising, LocalizerState.Relocalising, LocalizerState.Relocalising],
            results.Select(r => r.State));
    }

    [Fact]
    public void With_update_thresholds_of_zero_every_frame_is_refined()
    {
        var truth = Walk(11);
        var localizer = Create(options: Options with { UpdateMinTranslation = 0 });
        localizer.SetInitialPose(truth[0]);

        var results = Enumerable.Range(0, 3).Select(i => localizer.Process(new LocalizerFrame(i * Frame, Photo(truth[0]), Camera, truth[0]))).ToList();

        Assert.All(results, r => Assert.NotNull(r.Refined));
        Assert.All(results, r => Assert.True(r.Accepted, r.Rejection.ToString()));
    }

    [Fact]
    public void Options_out_of_range_are_named()
    {
        var e = Assert.Throws<ArgumentException>(() => Create(options: Options with { MinCoverage = 1.5 }));
        Assert.Contains("min_coverage", e.Message);
        var wrongLength = new KeyframeDatabase(Camera.Intrinsics, GlobalDescriptor.Length(8), [new Keyframe(0, Se3.Identity, new float[GlobalDescriptor.Length(8)])]);
        e = Assert.Throws<ArgumentException>(() => Create(wrongLength));
        Assert.Contains("descriptors", e.Message);
        e = Assert.Throws<ArgumentException>(() => Create(options: Options with { DepthMinSupport = 2 }));
        Assert.Contains("depth_min_support", e.Message);
        e = Assert.Throws<ArgumentException>(() => Create(options: Options with { DepthPixelStride = 0 }));
        Assert.Contains("depth_pixel_stride", e.Message);
        e = Assert.Throws<ArgumentException>(() => Create(options: Options with { UpdateMaxInterval = double.PositiveInfinity }));
        Assert.Contains("update_max_interval", e.Message);
        e = Assert.Throws<ArgumentException>(() => Create(options: Options with { MeasurementCorrelationTime = -0.1 }));
        Assert.Contains("measurement_correlation_time", e.Message);
        e = Assert.Throws<ArgumentException>(() => Create(options: Options with { SharpMapScale = 1.5 }));
        Assert.Contains("sharp_map_scale", e.Message);
        e = Assert.Throws<ArgumentException>(() => Create(options: Options with { SharpMapMaxLoss = double.NaN }));
        Assert.Contains("sharp_map_max_loss", e.Message);
        e = Assert.Throws<ArgumentException>(() => Create(options: Options with { SharpMapSigmaFactor = 0 }));
        Assert.Contains("sharp_map_sigma_factor", e.Message);
    }
}
