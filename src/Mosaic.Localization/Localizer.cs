using System.Diagnostics;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Localization.Depth;
using Mosaic.Localization.Retrieval;
using Mosaic.Localization.Segmentation;
using Mosaic.Rendering;

namespace Mosaic.Localization;

/// <summary>Where the <see cref="Localizer"/> stands after a frame (DESIGN.md §8).</summary>
public enum LocalizerState
{
    /// <summary>No pose yet: waiting for an initial pose or a successful retrieval.</summary>
    Uninitialised,

    /// <summary>The last frame was accepted, or fewer than max_rejected_frames in a row were rejected.</summary>
    Tracking,

    /// <summary>max_rejected_frames in a row were rejected; the pose is carried by odometry alone and the next frame relocalises.</summary>
    Lost,

    /// <summary>A relocalisation by retrieval failed; the next frame tries again.</summary>
    Relocalising,
}

/// <summary>Where a frame's refinement started.</summary>
public enum PoseSeed
{
    /// <summary>Nothing to start from (no pose, no keyframes).</summary>
    None,

    /// <summary>An explicit initial pose (like RViz's /initialpose).</summary>
    InitialPose,

    /// <summary>The previous pose composed with the odometry increment between the two frames.</summary>
    Odometry,

    /// <summary>The previous pose unchanged (no odometry).</summary>
    PreviousPose,

    /// <summary>The best of the top-k retrieved keyframes.</summary>
    Retrieval,
}

/// <summary>Why a frame's pose was not accepted.</summary>
public enum Rejection
{
    /// <summary>Accepted.</summary>
    None,

    /// <summary>The map covers too little of the query at the refined pose.</summary>
    LowCoverage,

    /// <summary>The labels disagree too much at the refined pose.</summary>
    HighLoss,

    /// <summary>Refinement moved the pose farther from its odometry seed than odometry can drift.</summary>
    LargeCorrection,

    /// <summary>Nothing to refine from: no pose and no keyframes.</summary>
    NoSeed,

    /// <summary>
    /// A relocalisation that passed the other gates but lies farther from the odometry prediction than
    /// odometry can drift, and that too few of the following frames have relocalised to again
    /// (<see cref="LocalizerOptions.RelocalisationConfirmations"/>).
    /// </summary>
    Unconfirmed,

    /// <summary>
    /// Not refined: the camera has moved and turned less than <see cref="LocalizerOptions.UpdateMinTranslation"/>
    /// and <see cref="LocalizerOptions.UpdateMinRotationDeg"/> since the last refined frame, which was accepted or a
    /// relocalisation that found no place; the pose is the odometry prediction.
    /// </summary>
    NotMoved,
}

/// <summary>One camera frame handed to the <see cref="Localizer"/>.</summary>
/// <param name="Stamp">Image stamp, nanoseconds.</param>
/// <param name="Image">The colour image as the camera gave it (raw, possibly distorted).</param>
/// <param name="Camera">The camera model of <paramref name="Image"/>.</param>
/// <param name="OdomFromCamera">The camera's pose in the odometry frame at <paramref name="Stamp"/>, when odometry is available.</param>
/// <param name="Depth">The depth image taken with <paramref name="Image"/>, for depth refinement (RGB-D cameras); null: colour only.</param>
public sealed record LocalizerFrame(long Stamp, RgbImage Image, CameraModel Camera, Se3? OdomFromCamera = null, DepthReadings? Depth = null);

/// <summary>A depth image and where its camera sits relative to the colour camera.</summary>
/// <param name="Metres">Depth in metres, NaN or 0 where there is no reading.</param>
/// <param name="Camera">The depth camera's model.</param>
/// <param name="ColorFromDepth">T_color_depth: the depth camera's pose in the colour camera's frame.</param>
public sealed record DepthReadings(Image<float> Metres, CameraModel Camera, Se3 ColorFromDepth);

/// <summary>Wall time of each stage of one frame.</summary>
/// <param name="Segment">Segmentation (and undistortion of the labels).</param>
/// <param name="Retrieve">Global descriptor and keyframe ranking.</param>
/// <param name="Hypotheses">Coarse refinement of the retrieved hypotheses.</param>
/// <param name="Refine">The full coarse-to-fine refinement.</param>
/// <param name="Depth">Depth refinement (zero for a colour-only frame or a rejected one).</param>
public sealed record StageTimes(TimeSpan Segment, TimeSpan Retrieve, TimeSpan Hypotheses, TimeSpan Refine, TimeSpan Depth = default)
{
    /// <summary>Sum of the stages.</summary>
    public TimeSpan Total => Segment + Retrieve + Hypotheses + Refine + Depth;
}

/// <summary>A relocalisation hypothesis (a retrieved keyframe, or the odometry prediction) and what coarse refinement made of it.</summary>
/// <param name="Keyframe">The retrieved keyframe; null for the odometry prediction.</param>
/// <param name="Similarity">Descriptor similarity to the query, in [0, 1] (NaN for the prediction).</param>
/// <param name="Refined">The pose after coarse refinement.</param>
/// <param name="Loss">Loss after coarse refinement.</param>
/// <param name="Coverage">Coverage after coarse refinement.</param>
public sealed record RetrievalHypothesis(Keyframe? Keyframe, double Similarity, Se3 Refined, double Loss, double Coverage);

/// <summary>What the <see cref="Localizer"/> made of one frame.</summary>
/// <param name="Stamp">The frame's stamp.</param>
/// <param name="State">State after this frame.</param>
/// <param name="Accepted">Whether the refined pose passed the quality gates.</param>
/// <param name="MapFromCamera">
/// The camera pose: the refined pose (finished on the sharpened map when <paramref name="Sharpened"/> is
/// set, depth-refined when <paramref name="DepthRefined"/>) when accepted, fused with the odometry
/// prediction while tracking; otherwise the odometry prediction (null when there is none).
/// </param>
/// <param name="Covariance">
/// Row-major 6×6 covariance of the published pose, over the tangent of <see cref="RefinementResult.Covariance"/>:
/// the refinement's plus, on the diagonal, the variance per axis the odometry fusion holds for the pose
/// (<see cref="OdometryFusion.Variance"/>; the measurement's, <see cref="LocalizerOptions.MeasurementSigma"/>²
/// or <see cref="LocalizerOptions.DepthSigma"/>², reduced by what odometry adds); when depth-refined, the
/// fusion's alone; null when not accepted.
/// </param>
/// <param name="Seed">Where the refinement started.</param>
/// <param name="SeedMapFromCamera">The pose the refinement started from.</param>
/// <param name="Refined">
/// The refinement's result, accepted or not; null when nothing was refined. For a tracking frame finished on
/// the sharpened copy directly (<see cref="LocalizerOptions.SharpMapTracking"/>) it is that refinement, with
/// the full map's loss and coverage at its pose.
/// </param>
/// <param name="Rejection">Why the refined pose was rejected, or why nothing was refined; <see cref="Rejection.None"/> when accepted.</param>
/// <param name="Times">Per-stage wall times.</param>
/// <param name="Hypotheses">Retrieval hypotheses, best-ranked first (empty when retrieval did not run).</param>
/// <param name="QueryLabels">The query's labels at the segmenter's level, undistorted; null when the frame was not refined because the camera had hardly moved (<see cref="Rejection.NotMoved"/>), which is not even segmented.</param>
/// <param name="Depth">What aligning the frame's depth with the map gave, starting from the accepted label pose; null when not run.</param>
/// <param name="DepthRefined">Whether <paramref name="Depth"/> passed its gates and gave the pose.</param>
/// <param name="Sharpened">
/// The refinement on the sharpened copy of the map that finished an accepted pose whose loss was below
/// <see cref="LocalizerOptions.SharpMapMaxLoss"/>, from <paramref name="Refined"/>'s pose, or
/// <paramref name="Refined"/> itself where a tracking frame was finished on the copy directly
/// (<see cref="LocalizerOptions.SharpMapTracking"/>); it gives the pose and the refinement's part of the
/// covariance. Null when the pose was not finished.
/// </param>
/// <param name="RefinedAgain">
/// Whether a tracking frame was refined on the sharpened copy directly (<see cref="LocalizerOptions.SharpMapTracking"/>),
/// judged too loose by the full map and refined again as any other frame: its refine time counts both.
/// </param>
/// <param name="OdometryDrift">
/// The drift the fusion with odometry assumes after this frame, learnt between
/// <see cref="LocalizerOptions.OdometryDrift"/> and <see cref="LocalizerOptions.OdometryDriftMax"/>
/// (<see cref="OdometryFusion.Drift"/>); NaN in a result not made by a <see cref="Localizer"/>.
/// </param>
public sealed record LocalizationResult(
    long Stamp,
    LocalizerState State,
    bool Accepted,
    Se3? MapFromCamera,
    double[]? Covariance,
    PoseSeed Seed,
    Se3? SeedMapFromCamera,
    RefinementResult? Refined,
    Rejection Rejection,
    StageTimes Times,
    IReadOnlyList<RetrievalHypothesis> Hypotheses,
    Image<ushort>? QueryLabels,
    DepthAlignmentResult? Depth = null,
    bool DepthRefined = false,
    double OdometryDrift = double.NaN,
    RefinementResult? Sharpened = null,
    bool RefinedAgain = false);

/// <summary>
/// The localization pipeline, one frame at a time: segment → seed → refine → accept/reject
/// (DESIGN.md §6, §8). Seeds are an explicit initial pose, the previous pose moved by odometry, or
/// the top-k keyframes by global descriptor (each refined coarsely, the best on down to the finest level). Quality
/// gates (coverage, loss, size of the correction against odometry) accept or reject; an accepted pose of
/// low loss is finished on a sharpened copy of the map (<see cref="LocalizerOptions.SharpMapMaxLoss"/>); after
/// <see cref="LocalizerOptions.MaxRejectedFrames"/> rejections in a row it relocalises by retrieval,
/// and with odometry it trusts a relocalisation that contradicts the odometry prediction only once
/// the following frames have found the same place (<see cref="LocalizerOptions.RelocalisationConfirmations"/>).
/// A frame with depth readings has its accepted pose moved to where its depth fits the map's surfaces
/// when that alignment passes its own gates (depth refinement; the labels find the place, the
/// geometry pins it).
/// Plain algorithm: no I/O, no logging; not thread-safe (one frame at a time).
/// </summary>
public sealed class Localizer
{
    private readonly ISegmenter _segmenter;
    private readonly KeyframeDatabase? _keyframes;
    private readonly LocalizerOptions _options;
    private readonly PoseRefiner _refiner;
    /// <summary>The final refinement of odometry predictions: from <see cref="LocalizerOptions.TrackingCoarsestLevel"/>, stopping at <see cref="LocalizerOptions.TrackingRelativeLossTolerance"/>.</summary>
    private readonly PoseRefiner _trackingRefiner;
    /// <summary>
    /// Who refines the retrieval hypotheses coarsely, one hypothesis at a time each: the first on the renderers
    /// the localizer was given, the others, where the backend can fork its renderers, on forks of them, so that
    /// hypotheses are refined side by side (at 40×30 a refinement keeps barely more than one core busy).
    /// </summary>
    private readonly PoseRefiner[] _hypothesisRefiners;
    /// <summary>The full map's renderer, which scores hypotheses refined on the coarse copy of the map; null when they are refined on the full map.</summary>
    private readonly ILabelRenderer? _hypothesisScorer;
    /// <summary>The level (relative to the segmenter's) at which hypotheses end their refinement and are ranked.</summary>
    private readonly int _hypothesisLevel;
    /// <summary>The final refinement of the best retrieval hypothesis, from the level below <see cref="LocalizerOptions.HypothesisLevels"/>.</summary>
    private readonly PoseRefiner _fromHypothesisRefiner;
    private readonly Lazy<DepthAlignment>? _depthAlignment;
    /// <summary>Finishes accepted poses of low loss on the sharpened copy of the map (<see cref="LocalizerOptions.SharpMapMaxLoss"/>); null without that copy's renderer.</summary>
    private readonly PoseRefiner? _sharpRefiner;
    /// <summary>
    /// Refines a tracking frame after a finished one as <see cref="_trackingRefiner"/> does, but at the finest
    /// level on the sharpened copy (<see cref="LocalizerOptions.SharpMapTracking"/>); null when that is off.
    /// </summary>
    private readonly PoseRefiner? _sharpTrackingRefiner;
    /// <summary>Judges a pose refined by <see cref="_sharpTrackingRefiner"/>: the full map's loss and coverage at the finest level.</summary>
    private readonly ILabelRenderer _renderer;
    /// <summary>The finest refinement level, relative to the segmenter's.</summary>
    private readonly int _finestLevel;
    /// <summary>Whether the last frame refined was finished on the sharpened map.</summary>
    private bool _lastFinished;
    private Undistorter? _undistorter;

    private readonly OdometryFusion _fusion;
    private (Se3 Odometry, long Stamp)? _lastOdometry;
    /// <summary>The odometry and stamp of the last refined frame, from which <see cref="NotMoved"/> measures.</summary>
    private (Se3 Odometry, long Stamp)? _lastRefined;
    private Se3? _initialPose;
    private double _travelledSinceFix;
    /// <summary>The stamp of the last fix given to the fusion, from which the next one's share is measured (<see cref="LocalizerOptions.MeasurementCorrelationTime"/>).</summary>
    private long? _lastFixStamp;
    private int _rejectedInRow;
    /// <summary>
    /// A relocalised pose that contradicted the odometry prediction, moved by odometry to the last frame,
    /// and how many relocalisations in a row have found it; null when there is none.
    /// </summary>
    private (Se3 Pose, int Found)? _unconfirmed;

    /// <summary>
    /// A localizer against the map behind <paramref name="renderer"/>, segmenting queries with
    /// <paramref name="segmenter"/> (the map's own) and relocalising with <paramref name="keyframes"/>
    /// (null: only initial poses can start it). <paramref name="coarseRenderer"/>, when given,
    /// renders a coarsened copy of the same map, on which every refinement's levels from
    /// <see cref="LocalizerOptions.CoarseMapLevel"/> up run (<see cref="LocalizerOptions.CoarseMapVoxel"/>;
    /// <see cref="ForMap"/> makes it); without it every level is refined on the full map.
    /// <paramref name="depthAlignment"/>, over the same map, refines frames that carry depth (made on the
    /// first such frame: a colour-only localizer never indexes the map's centres); without it their depth is not used.
    /// <paramref name="sharpRenderer"/>, when given, renders the sharpened copy of the same map
    /// (<see cref="LocalizerOptions.SharpMapScale"/>), on which accepted poses of low loss are finished; without
    /// it, or with <see cref="LocalizerOptions.SharpMapMaxLoss"/> 0, they are not.
    /// </summary>
    public Localizer(ILabelRenderer renderer, ISegmenter segmenter, KeyframeDatabase? keyframes, LocalizerOptions? options = null, ILabelRenderer? coarseRenderer = null,
        Lazy<DepthAlignment>? depthAlignment = null, ILabelRenderer? sharpRenderer = null)
    {
        _options = options ?? new LocalizerOptions();
        _options.Validate();
        if (segmenter.LabelCount != renderer.LabelCount)
            throw new ArgumentException($"the segmenter has {segmenter.LabelCount} labels but the map has {renderer.LabelCount}");
        if (_options.FinestLevel < segmenter.Level)
            throw new ArgumentException($"localizer.finest_level {_options.FinestLevel} is finer than the segmenter's level {segmenter.Level}");
        if (keyframes is not null && keyframes.DescriptorLength != GlobalDescriptor.Length(segmenter.LabelCount))
            throw new ArgumentException($"keyframe descriptors have length {keyframes.DescriptorLength}, expected {GlobalDescriptor.Length(segmenter.LabelCount)} for {segmenter.LabelCount} labels");
        _segmenter = segmenter;
        _keyframes = keyframes;
        _fusion = new OdometryFusion(_options.OdometryDrift, _options.OdometryDriftMax);
        _depthAlignment = depthAlignment;
        int coarsest = _options.CoarsestLevel - segmenter.Level;
        var final = new RefinerOptions
        {
            CoarsestLevel = coarsest,
            FinestLevel = _options.FinestLevel - segmenter.Level,
            MaxIterationsPerLevel = _options.MaxIterationsPerLevel,
            RelativeLossTolerance = _options.RelativeLossTolerance,
            MinTranslationStep = _options.MinTranslationStep,
            MinRotationStep = _options.MinRotationStepDeg * Math.PI / 180,
            CoverageNeutral = _options.CoverageNeutral,
            BiasCorrectionRounds = _options.BiasCorrectionRounds,
            CoarseMapLevel = Math.Max(_options.CoarseMapLevel, _options.FinestLevel + 1) - segmenter.Level,
        };
        _refiner = new PoseRefiner(renderer, final, coarseRenderer);
        (_renderer, _finestLevel) = (renderer, final.FinestLevel);
        var tracking = final with
        {
            CoarsestLevel = _options.TrackingCoarsestLevel - segmenter.Level,
            RelativeLossTolerance = _options.TrackingRelativeLossTolerance,
        };
        _trackingRefiner = new PoseRefiner(renderer, tracking, coarseRenderer);
        if (sharpRenderer is not null && _options.SharpMapMaxLoss > 0)
        {
            if (sharpRenderer.LabelCount != renderer.LabelCount)
                throw new ArgumentException($"the sharpened map has {sharpRenderer.LabelCount} labels but the map has {renderer.LabelCount}");
            _sharpRefiner = new PoseRefiner(sharpRenderer, final with { CoarsestLevel = final.FinestLevel, BiasCorrectionRounds = 0 });
            if (_options.SharpMapTracking)
                _sharpTrackingRefiner = new PoseRefiner(renderer, tracking with { BiasCorrectionRounds = 0 }, coarseRenderer, finestRenderer: sharpRenderer);
        }
        _hypothesisLevel = coarsest - _options.HypothesisLevels + 1;
        var hypothesisOptions = final with { FinestLevel = _hypothesisLevel, MaxIterationsPerLevel = _options.HypothesisMaxIterations, BiasCorrectionRounds = 0 };
        bool onCoarseMapOnly = coarseRenderer is not null && _hypothesisLevel >= final.CoarseMapLevel;
        _hypothesisScorer = onCoarseMapOnly ? renderer : null;
        var refiners = new List<PoseRefiner> { new(renderer, hypothesisOptions, coarseRenderer) };
        int wanted = Math.Min(Environment.ProcessorCount, _options.RetrievalCandidates + 1);
        while (refiners.Count < wanted)
        {
            // Hypotheses refined on the coarse copy alone never render the full map, so only the coarse renderer is forked.
            var fullFork = onCoarseMapOnly ? renderer : renderer.Fork();
            var coarseFork = coarseRenderer?.Fork();
            if (fullFork is null || (coarseRenderer is not null && coarseFork is null))
                break;
            refiners.Add(new PoseRefiner(fullFork, hypothesisOptions, coarseFork));
        }
        _hypothesisRefiners = [.. refiners];
        // The best hypothesis has been refined at the coarsest levels already; the final refinement goes on from there.
        _fromHypothesisRefiner = new PoseRefiner(renderer, final with { CoarsestLevel = Math.Max(final.FinestLevel, coarsest - _options.HypothesisLevels) }, coarseRenderer);
    }

    /// <summary>
    /// A localizer for a map built by <c>mosaic map build</c> (its segmenter and keyframes), rendered by
    /// <paramref name="renderer"/> (default: the CPU backend). The coarse levels are refined on the map
    /// coarsened to <see cref="LocalizerOptions.CoarseMapVoxel"/>, rendered by
    /// <paramref name="coarseRenderer"/>; with the CPU backend that renderer is made here when none is
    /// given, and another backend without one refines every level on the full map. The same goes for the
    /// sharpened copy (<see cref="LocalizerOptions.SharpMapScale"/>) and <paramref name="sharpRenderer"/>.
    /// Frames with depth are depth-refined against the map's Gaussians. The caller keeps ownership of the
    /// renderers it passes.
    /// </summary>
    /// <exception cref="ArgumentException">The map carries no segmenter.</exception>
    public static Localizer ForMap(PrivacyMap map, LocalizerOptions? options = null, ILabelRenderer? renderer = null, ILabelRenderer? coarseRenderer = null,
        ILabelRenderer? sharpRenderer = null)
    {
        if (map.SegmenterDefinition is null)
            throw new ArgumentException("the map carries no segmenter.yaml; build it with `mosaic map build`");
        var segmenter = Segmenters.Load(map.SegmenterDefinition, "segmenter.yaml");
        options ??= new LocalizerOptions();
        var cpu = renderer is null ? new CpuLabelRenderer<float>(map.Gaussians) : renderer as CpuLabelRenderer<float>;
        if (coarseRenderer is null && cpu is not null && options.CoarseMapVoxel > 0)
            coarseRenderer = new CpuLabelRenderer<float>(map.Gaussians.Coarsened(options.CoarseMapVoxel), cpu.Settings);
        if (sharpRenderer is null && cpu is not null && options.SharpMapMaxLoss > 0)
            sharpRenderer = new CpuLabelRenderer<float>(map.Gaussians.Sharpened(options.SharpMapScale), cpu.Settings);
        return new Localizer(renderer ?? cpu!, segmenter, map.Keyframes, options, coarseRenderer,
            new Lazy<DepthAlignment>(() => new DepthAlignment(map.Gaussians, new DepthAlignmentOptions { PixelStride = options.DepthPixelStride })), sharpRenderer);
    }

    /// <summary>The state after the last frame.</summary>
    public LocalizerState State { get; private set; } = LocalizerState.Uninitialised;

    /// <summary>The segmenter applied to every query.</summary>
    public ISegmenter Segmenter => _segmenter;

    /// <summary>
    /// Seeds the next frame with <paramref name="mapFromCamera"/> (like RViz's /initialpose): it is
    /// refined and gated on coverage and loss, not on the size of the correction.
    /// </summary>
    public void SetInitialPose(Se3 mapFromCamera) => _initialPose = mapFromCamera;

    /// <summary>Forgets the pose: the next frame starts uninitialised.</summary>
    public void Reset()
    {
        (_lastOdometry, _lastRefined, _initialPose, _travelledSinceFix, _rejectedInRow, _unconfirmed, _lastFixStamp) = (null, null, null, 0, 0, null, null);
        _lastFinished = false;
        _fusion.Reset();
        State = LocalizerState.Uninitialised;
    }

    /// <summary>Localizes one frame; frames must come in stamp order.</summary>
    public LocalizationResult Process(LocalizerFrame frame)
    {
        var clock = Stopwatch.StartNew();
        Se3? prediction = Predict(frame, out var motionSeed);
        _lastOdometry = frame.OdomFromCamera is { } current ? (current, frame.Stamp) : null;
        if (_initialPose is null && NotMoved(frame, motionSeed))
        {
            // Not even segmented: a parked robot costs next to nothing. State, rejections and the fusion
            // stand, and the pose is the prediction, as for a rejected frame.
            return new LocalizationResult(frame.Stamp, State, false, _fusion.Pose, null, motionSeed, prediction, null, Rejection.NotMoved,
                new StageTimes(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero), [], null, OdometryDrift: _fusion.Drift);
        }
        _lastRefined = frame.OdomFromCamera is { } odometry ? (odometry, frame.Stamp) : null;

        var labels = SegmentQuery(frame);
        var query = LabelDistributionImage.FromLabels(labels, _segmenter.LabelCount);
        var camera = frame.Camera.Intrinsics.AtLevel(_segmenter.Level);
        var segmentTime = clock.Elapsed;
        var retrieveTime = TimeSpan.Zero;
        var hypothesesTime = TimeSpan.Zero;
        IReadOnlyList<RetrievalHypothesis> hypotheses = [];
        PoseSeed seed;
        Se3? start;
        bool gateCorrection = false, relocalising = false;
        if (_initialPose is { } initial)
        {
            (seed, start) = (PoseSeed.InitialPose, initial);
            _initialPose = null;
        }
        else if (prediction is not null && _rejectedInRow < _options.MaxRejectedFrames)
        {
            (seed, start, gateCorrection) = (motionSeed, prediction, true);
        }
        else
        {
            relocalising = true;
            clock.Restart();
            var ranked = RankKeyframes(labels);
            retrieveTime = clock.Elapsed;
            clock.Restart();
            hypotheses = RefineHypotheses(query, camera, ranked, prediction);
            hypothesesTime = clock.Elapsed;
            var best = Best(hypotheses);
            (seed, start) = best is null ? (PoseSeed.None, (Se3?)null) : (best.Keyframe is null ? motionSeed : PoseSeed.Retrieval, best.Refined);
        }

        RefinementResult? refined = null, finishedDirectly = null;
        var rejection = Rejection.NoSeed;
        clock.Restart();
        bool tracking = gateCorrection && seed == PoseSeed.Odometry, refinedAgain = false;
        if (start is { } from)
        {
            bool finishDirectly = tracking && _lastFinished && _sharpTrackingRefiner is not null;
            finishedDirectly = finishDirectly ? FinishDirectly(query, camera, from) : null;
            refinedAgain = finishDirectly && finishedDirectly is null;
            var refiner = relocalising ? _fromHypothesisRefiner
                : tracking ? _trackingRefiner
                : _refiner;
            refined = finishedDirectly ?? refiner.Refine(query, camera, from);
            rejection = Gate(refined, gateCorrection ? from : null);
        }
        if (relocalising)
            rejection = Confirm(rejection, refined?.MapFromCamera, motionSeed == PoseSeed.Odometry ? prediction : null);
        else
            _unconfirmed = null;
        bool accepted = rejection == Rejection.None;
        var sharpened = !accepted ? null
            : finishedDirectly is not null ? finishedDirectly
            : _sharpRefiner is not null && refined!.Loss < _options.SharpMapMaxLoss ? _sharpRefiner.Refine(query, camera, refined.MapFromCamera)
            : null;
        _lastFinished = sharpened is not null;
        var refineTime = clock.Elapsed;

        // The pose the labels give: the sharpened map's where that finished it.
        var labelPose = sharpened ?? refined;
        DepthAlignmentResult? depth = null;
        bool depthRefined = false;
        var depthTime = TimeSpan.Zero;
        if (accepted && frame.Depth is { } readings && _depthAlignment?.Value is { } alignment)
        {
            clock.Restart();
            depth = alignment.Align(alignment.Points(readings.Metres, readings.Camera, readings.ColorFromDepth), labelPose!.MapFromCamera);
            depthRefined = TrustDepth(depth, labelPose.MapFromCamera);
            depthTime = clock.Elapsed;
        }
        double[]? covariance = null;
        if (accepted)
        {
            var (measurement, sigma, sigmaDeg) = depthRefined
                ? (depth!.MapFromCamera, _options.DepthSigma, _options.DepthSigmaDeg)
                : sharpened is not null ? (sharpened.MapFromCamera, _options.MeasurementSigma * _options.SharpMapSigmaFactor, _options.MeasurementSigmaDeg)
                : (labelPose!.MapFromCamera, _options.MeasurementSigma, _options.MeasurementSigmaDeg);
            double sigmaRad = sigmaDeg * Math.PI / 180;
            if (seed == PoseSeed.Odometry)
                _fusion.Update(measurement, sigma, sigmaRad, _lastFixStamp is { } last ? Share(last, frame.Stamp) : 1);
            else
                _fusion.Start(measurement, sigma, sigmaRad);
            _lastFixStamp = frame.Stamp;
            (_rejectedInRow, _travelledSinceFix) = (0, 0);
            State = LocalizerState.Tracking;
            covariance = PublishedCovariance(depthRefined ? null : labelPose!.Covariance, _fusion.Variance);
        }
        else
        {
            // The pose stays the prediction: the fusion has moved it by odometry already.
            _rejectedInRow++;
            State = _fusion.Pose is null ? LocalizerState.Uninitialised
                : relocalising ? LocalizerState.Relocalising
                : _rejectedInRow >= _options.MaxRejectedFrames ? LocalizerState.Lost
                : LocalizerState.Tracking;
        }
        return new LocalizationResult(frame.Stamp, State, accepted, _fusion.Pose, covariance, seed, start, refined, rejection,
            new StageTimes(segmentTime, retrieveTime, hypothesesTime, refineTime, depthTime), hypotheses, labels, depth, depthRefined, _fusion.Drift, sharpened, refinedAgain);
    }

    /// <summary>
    /// A tracking frame after a finished one (<see cref="LocalizerOptions.SharpMapTracking"/>): refined from
    /// <paramref name="prediction"/> with the finest level on the sharpened copy, and judged by the full map's
    /// loss and coverage at the pose it reaches, which the result carries. Null when the full map's loss there
    /// is not below <see cref="LocalizerOptions.SharpMapMaxLoss"/>: such a frame's labels fit too loosely for
    /// the sharpened copy, and it is refined as any other.
    /// </summary>
    private RefinementResult? FinishDirectly(LabelDistributionImage query, PinholeCamera camera, Se3 prediction)
    {
        var finished = _sharpTrackingRefiner!.Refine(query, camera, prediction);
        var judged = _renderer.Evaluate(finished.MapFromCamera.Inverse(), camera.AtLevel(_finestLevel), query.Downsample(1 << _finestLevel), withGradient: false);
        return judged.Loss < _options.SharpMapMaxLoss ? finished with { Loss = judged.Loss, Coverage = judged.Coverage } : null;
    }

    /// <summary>
    /// The map's keyframes ranked by global-descriptor similarity to <paramref name="labels"/> (the
    /// query's labels at the segmenter's level), best first; empty when the map has no keyframes.
    /// </summary>
    public IReadOnlyList<(Keyframe Keyframe, double Similarity)> RankKeyframes(Image<ushort> labels)
    {
        if (_keyframes is null)
            return [];
        var descriptor = GlobalDescriptor.Compute(labels, _segmenter.LabelCount);
        return _keyframes.Keyframes
            .Select(k => (Keyframe: k, Similarity: GlobalDescriptor.Similarity(descriptor, k.Descriptor)))
            .OrderByDescending(k => k.Similarity)
            .ToList();
    }

    /// <summary>The frame's labels at the segmenter's level, undistorted: what <see cref="Process"/> refines against.</summary>
    public Image<ushort> SegmentQuery(LocalizerFrame frame)
    {
        var raw = _segmenter.Segment(frame.Image);
        if (frame.Camera.IsPinhole)
            return raw;
        var source = frame.Camera.AtLevel(_segmenter.Level);
        if (_undistorter is null || _undistorter.Source.Intrinsics != source.Intrinsics || !_undistorter.Source.Coefficients.SequenceEqual(source.Coefficients))
            _undistorter = new Undistorter(source, source.Intrinsics);
        return _undistorter.ResampleNearest(raw);
    }

    /// <summary>
    /// What share of the correlation time (<see cref="LocalizerOptions.MeasurementCorrelationTime"/>) lies
    /// between two stamps (ns), at most 1: how much of an independent measurement a fix that long after
    /// the previous one carries, and how much of the odometry's drift over that stretch is new. At least
    /// a thousandth, so that a repeated stamp leaves the fusion defined.
    /// </summary>
    private double Share(long since, long stamp)
    {
        double correlation = _options.MeasurementCorrelationTime;
        return correlation == 0 ? 1 : Math.Clamp((stamp - since) * 1e-9 / correlation, MinShare, 1);
    }

    /// <summary>The least share <see cref="Share"/> gives.</summary>
    private const double MinShare = 1e-3;

    /// <summary>The previous pose moved by the odometry increment since the previous frame (or unchanged without odometry).</summary>
    private Se3? Predict(LocalizerFrame frame, out PoseSeed seed)
    {
        seed = PoseSeed.PreviousPose;
        if (_fusion.Pose is not { } pose)
            return null;
        if (frame.OdomFromCamera is not { } now || _lastOdometry is not { } before)
            return pose;
        seed = PoseSeed.Odometry;
        var increment = before.Odometry.Inverse() * now;
        _travelledSinceFix += increment.Translation.Norm;
        _fusion.Predict(increment, Share(before.Stamp, frame.Stamp));
        if (_unconfirmed is { } unconfirmed)
            _unconfirmed = unconfirmed with { Pose = unconfirmed.Pose * increment };
        return _fusion.Pose;
    }

    /// <summary>
    /// Whether the frame can go unrefined (<see cref="LocalizerOptions.UpdateMinTranslation"/>): since the last
    /// refined frame the camera has moved and turned less than the update thresholds, within
    /// <see cref="LocalizerOptions.UpdateMaxInterval"/>, and that frame was either accepted while tracking or a
    /// relocalisation that found no place (the same view would fail again: a robot parked outside the map retries
    /// once a second). After a rejection while tracking every frame is refined, so that the localizer gets lost
    /// and relocalises without waiting.
    /// </summary>
    private bool NotMoved(LocalizerFrame frame, PoseSeed seed)
    {
        // A relocalisation that found a place odometry cannot explain goes on at frame rate: the frames that confirm it are progress.
        bool settled = State == LocalizerState.Tracking ? _rejectedInRow == 0 : State == LocalizerState.Relocalising && _unconfirmed is null;
        if (seed != PoseSeed.Odometry || !settled || _lastRefined is not { } last || frame.OdomFromCamera is not { } now)
            return false;
        var (moved, turned) = Se3.Distance(last.Odometry, now);
        return moved < _options.UpdateMinTranslation && turned < _options.UpdateMinRotationDeg * Math.PI / 180
            && frame.Stamp - last.Stamp < _options.UpdateMaxInterval * 1e9;
    }

    /// <summary>
    /// Whether a depth alignment may replace the label pose it started from: enough of the depth on
    /// the map's surfaces, every direction constrained, converged, and not far from the label pose
    /// (the labels chose the place; depth only pins it).
    /// </summary>
    private bool TrustDepth(DepthAlignmentResult depth, Se3 labelPose)
    {
        var (dt, dr) = Se3.Distance(labelPose, depth.MapFromCamera);
        return depth.Trustworthy(_options.DepthMinSupport, _options.DepthMinConditioning)
            && dt <= _options.DepthMaxCorrection && dr <= _options.DepthMaxCorrectionDeg * Math.PI / 180;
    }

    /// <summary>
    /// The covariance published with an accepted pose: the refinement's (its shape: which directions the
    /// labels pin), plus the variance per axis the fusion holds for the pose. The refinement's alone treats
    /// every pixel as independent and on redkitchen was 16-22 times smaller than the errors (README, "The
    /// node"); the fusion's is the measurement noise it assumes, reduced by what odometry adds. A depth-refined
    /// pose has only the fusion's, as the refinement's belongs to the label pose it replaced.
    /// </summary>
    private static double[] PublishedCovariance(double[]? refined, (double Translation, double Rotation) fused)
    {
        var covariance = refined is null ? new double[36] : (double[])refined.Clone();
        for (int i = 0; i < 6; i++)
            covariance[7 * i] += i < 3 ? fused.Translation : fused.Rotation;
        return covariance;
    }

    /// <summary>The top-k distinct keyframes, plus the odometry prediction when there is one, each refined coarsely.</summary>
    private List<RetrievalHypothesis> RefineHypotheses(LabelDistributionImage query, PinholeCamera camera, IReadOnlyList<(Keyframe Keyframe, double Similarity)> ranked, Se3? prediction)
    {
        var chosen = new List<(Keyframe Keyframe, double Similarity)>();
        double separationRad = _options.RetrievalSeparationDeg * Math.PI / 180;
        foreach (var candidate in ranked)
        {
            if (chosen.Count == _options.RetrievalCandidates)
                break;
            bool nearChosen = chosen.Any(c =>
            {
                var (dt, dr) = Se3.Distance(c.Keyframe.MapFromCamera, candidate.Keyframe.MapFromCamera);
                return dt < _options.RetrievalSeparation && dr < separationRad;
            });
            if (!nearChosen)
                chosen.Add(candidate);
        }
        var starts = chosen.Select(c => (Keyframe: (Keyframe?)c.Keyframe, c.Similarity, Start: c.Keyframe.MapFromCamera)).ToList();
        if (prediction is { } predicted)
            starts.Add((null, double.NaN, predicted));
        var refined = new RefinementResult[starts.Count];
        if (_hypothesisRefiners.Length == 1 || starts.Count == 1)
        {
            for (int i = 0; i < starts.Count; i++)
                refined[i] = _hypothesisRefiners[0].Refine(query, camera, starts[i].Start);
        }
        else
        {
            // Each hypothesis is refined on its own, so the result does not depend on which refiner takes it.
            var idle = new System.Collections.Concurrent.ConcurrentBag<PoseRefiner>(_hypothesisRefiners);
            Parallel.For(0, starts.Count, new ParallelOptions { MaxDegreeOfParallelism = _hypothesisRefiners.Length, TaskScheduler = TaskScheduler.Default }, i =>
            {
                if (!idle.TryTake(out var refiner))
                    throw new InvalidOperationException("more hypotheses refined at once than refiners");
                refined[i] = refiner.Refine(query, camera, starts[i].Start);
                idle.Add(refiner);
            });
        }
        return starts.Zip(refined, (start, result) => Scored(start.Keyframe, start.Similarity, result, query, camera)).ToList();
    }

    /// <summary>
    /// A coarsely refined hypothesis with the full map's loss and coverage at its refined pose: the coarse
    /// copy's own loss is lower and ranks differently.
    /// </summary>
    private RetrievalHypothesis Scored(Keyframe? keyframe, double similarity, RefinementResult result, LabelDistributionImage query, PinholeCamera camera)
    {
        if (_hypothesisScorer is null)
            return new RetrievalHypothesis(keyframe, similarity, result.MapFromCamera, result.Loss, result.Coverage);
        var score = _hypothesisScorer.Evaluate(result.MapFromCamera.Inverse(), camera.AtLevel(_hypothesisLevel), query.Downsample(1 << _hypothesisLevel), withGradient: false);
        return new RetrievalHypothesis(keyframe, similarity, result.MapFromCamera, score.Loss, score.Coverage);
    }

    /// <summary>Lowest loss among hypotheses that pass the coverage gate; failing that, the best covered.</summary>
    private RetrievalHypothesis? Best(IReadOnlyList<RetrievalHypothesis> hypotheses)
    {
        var covered = hypotheses.Where(h => h.Coverage >= _options.MinCoverage && double.IsFinite(h.Loss)).ToList();
        return covered.Count > 0 ? covered.MinBy(h => h.Loss) : hypotheses.MaxBy(h => h.Coverage);
    }

    private Rejection Gate(RefinementResult result, Se3? odometrySeed)
    {
        if (!(result.Coverage >= _options.MinCoverage))
            return Rejection.LowCoverage;
        if (!(result.Loss <= _options.MaxLoss))
            return Rejection.HighLoss;
        if (odometrySeed is { } seed && !WithinOdometryDrift(seed, result.MapFromCamera))
            return Rejection.LargeCorrection;
        return Rejection.None;
    }

    /// <summary>Whether <paramref name="pose"/> is as close to <paramref name="predicted"/> as odometry's drift since the last fix allows (the correction gates).</summary>
    private bool WithinOdometryDrift(Se3 predicted, Se3 pose)
    {
        var (dt, dr) = Se3.Distance(predicted, pose);
        double allowance = 1 + _options.OdometryDrift * _travelledSinceFix / _options.MaxCorrection;
        return dt <= _options.MaxCorrection * allowance && dr <= _options.MaxCorrectionDeg * Math.PI / 180 * allowance;
    }

    /// <summary>
    /// The gate of a relocalisation against the odometry prediction: a relocalised pose that odometry's
    /// drift cannot explain is either a wrong place that happens to fit (a view the map hardly covers) or
    /// a camera that really moved without odometry seeing it (carried, slipping). One frame cannot tell
    /// them apart; consecutive frames can, as a wrong fit seldom survives several frames of a changing
    /// view (docs/localization-redkitchen.md), so it is accepted once <see cref="LocalizerOptions.RelocalisationConfirmations"/> following relocalisations
    /// have found the same place. Any relocalisation that does not find it starts the count again.
    /// </summary>
    private Rejection Confirm(Rejection gated, Se3? relocalised, Se3? odometryPrediction)
    {
        var found = _unconfirmed;
        _unconfirmed = null;
        if (gated != Rejection.None || relocalised is not { } pose || odometryPrediction is not { } predicted
            || _options.RelocalisationConfirmations == 0 || WithinOdometryDrift(predicted, pose))
            return gated;
        int times = found is { } earlier && WithinOdometryDrift(earlier.Pose, pose) ? earlier.Found + 1 : 1;
        if (times > _options.RelocalisationConfirmations)
            return Rejection.None;
        _unconfirmed = (pose, times);
        return Rejection.Unconfirmed;
    }
}
