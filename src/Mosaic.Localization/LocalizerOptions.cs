using System.Globalization;

namespace Mosaic.Localization;

/// <summary>
/// Settings of the <see cref="Localizer"/> (the <c>localizer</c> section of config/localization.yaml).
/// Pyramid levels are absolute: 0 is the camera's full resolution. Validated by <see cref="Validate"/>.
/// </summary>
public sealed record LocalizerOptions
{
    /// <summary>Coarsest pyramid level of the final refinement, and the level retrieval hypotheses are refined at.</summary>
    public int CoarsestLevel { get; init; } = 4;

    /// <summary>
    /// Coarsest pyramid level of the refinement of a tracking frame seeded by the odometry prediction,
    /// which starts a few centimetres off: the level above it only costs time (on redkitchen, 30 % of a
    /// tracking frame's latency, with the same poses; docs/localization-redkitchen.md). An explicit initial
    /// pose, a previous pose without odometry and a retrieval hypothesis start at <see cref="CoarsestLevel"/>.
    /// </summary>
    public int TrackingCoarsestLevel { get; init; } = 3;

    /// <summary>Finest pyramid level of the final refinement; at least the segmenter's level.</summary>
    public int FinestLevel { get; init; } = 2;

    /// <summary>Most iterations per pyramid level; each is one evaluation with gradient (<see cref="RefinerOptions.MaxIterationsPerLevel"/>).</summary>
    public int MaxIterationsPerLevel { get; init; } = 20;

    /// <summary>A level ends when an accepted step lowers the loss by less than this fraction ...</summary>
    public double RelativeLossTolerance { get; init; } = 1e-4;

    /// <summary>
    /// <see cref="RelativeLossTolerance"/> of a tracking frame's refinement from the odometry prediction,
    /// which starts close: on redkitchen 1e-3 took such a frame about 25 % less time and moved no pose
    /// by more than 2.3 mm. A retrieval hypothesis starts far off, and stopping its final refinement
    /// that early at 80×60 left two split-1 frames 33-38 cm off that 1e-4 placed within 2.4 cm
    /// (docs/localization-redkitchen.md), so the other refinements keep <see cref="RelativeLossTolerance"/>.
    /// </summary>
    public double TrackingRelativeLossTolerance { get; init; } = 1e-3;

    /// <summary>... or moves the camera less than this (metres) ...</summary>
    public double MinTranslationStep { get; init; } = 1e-4;

    /// <summary>... and turns it less than this (degrees).</summary>
    public double MinRotationStepDeg { get; init; } = 0.01;

    /// <summary>
    /// Whether refinement charges a query pixel the map leaves uncovered the covered pixels' mean loss
    /// instead of log K, so that it gains nothing by dragging the map over unmapped parts of the image
    /// (<see cref="RefinerOptions.CoverageNeutral"/>).
    /// </summary>
    public bool CoverageNeutral { get; init; } = true;

    /// <summary>
    /// Rounds of the final refinement's correction for the bias of hard-label queries (<see cref="RefinerOptions.BiasCorrectionRounds"/>);
    /// each costs one render at the query's resolution and a short refinement at the finest level.
    /// 0 (off) by default: on redkitchen it helped split 2 and hurt split 1 (docs/localization-redkitchen.md).
    /// </summary>
    public int BiasCorrectionRounds { get; init; }

    /// <summary>Keyframes retrieved by global descriptor when relocalising (top-k).</summary>
    public int RetrievalCandidates { get; init; } = 3;

    /// <summary>
    /// Retrieved keyframes closer than this (metres) and <see cref="RetrievalSeparationDeg"/> to a
    /// better-ranked one are skipped, so the k hypotheses are not k views of one place.
    /// </summary>
    public double RetrievalSeparation { get; init; } = 0.15;

    /// <summary>See <see cref="RetrievalSeparation"/>.</summary>
    public double RetrievalSeparationDeg { get; init; } = 10;

    /// <summary>Each retrieval hypothesis is refined at this many of the coarsest levels; the best one's refinement then goes on from the level below them.</summary>
    public int HypothesisLevels { get; init; } = 1;

    /// <summary>
    /// Most iterations per level of a retrieval hypothesis's coarse refinement, which only has to rank
    /// it. On redkitchen, with the hypotheses on the full map, 10 gave the same poses as 20 on both splits in
    /// 80-90 % of a retrieval frame's time, but one frame fewer on the demo's 20, so the default stays 20
    /// (docs/localization-redkitchen.md).
    /// </summary>
    public int HypothesisMaxIterations { get; init; } = 20;

    /// <summary>
    /// The coarse levels of every refinement (<see cref="CoarseMapLevel"/> and up) run on a copy of
    /// the map coarsened to cubes of this edge (metres; see <see cref="Mosaic.Core.Maps.MapCoarsening"/>),
    /// and retrieval hypotheses refined there are ranked by the full map's loss where they end; 0
    /// refines every level on the full map. At 80×60 and below a pixel spans several centimetres, so the
    /// coarse copy renders nearly the same labels from a fraction of the Gaussians: on redkitchen, 4 cm
    /// cut the hypotheses' time by about 3 times and a tracking frame's by about 25 %, with the same poses
    /// (docs/localization-redkitchen.md); on an H200 the CUDA backend's hypotheses took 52 instead of 119 ms
    /// at p50 on the demo (README "The CUDA backend"). A backend other than the CPU's needs the coarse
    /// copy's renderer passed to <see cref="Localizer.ForMap"/>, as <c>mosaic eval</c> and the node do.
    /// </summary>
    public double CoarseMapVoxel { get; init; } = 0.04;

    /// <summary>
    /// Pyramid levels at or coarser than this are refined on the coarse copy of the map
    /// (<see cref="CoarseMapVoxel"/>), but never <see cref="FinestLevel"/>: the loss and coverage the
    /// gates judge always come from the full map.
    /// </summary>
    public int CoarseMapLevel { get; init; } = 3;

    /// <summary>
    /// An accepted pose whose loss is below this (nats) is refined once more at <see cref="FinestLevel"/>,
    /// from where it is, on a sharpened copy of the map (<see cref="SharpMapScale"/>), and that refinement
    /// gives the pose and its covariance; the gates have judged the full map's loss and coverage already.
    /// Where the labels fit that well, crisper label boundaries pin the pose more precisely; where they
    /// fit worse, narrow Gaussians pull towards whatever labels lie nearest, so the gate keeps them out.
    /// On redkitchen split 2 (accepted frames end at a median of 1.2 nats) it took retrieval from 2.3 to
    /// 1.9 cm and tracking from 3.1 to 2.7 cm, and left split 1, whose frames end at 1.7 nats, as it was
    /// (README "Localizing a drive"). 0 turns it off. A backend other than the CPU's needs the sharpened
    /// copy's renderer passed to <see cref="Localizer.ForMap"/>, as <c>mosaic eval</c> and the node do.
    /// </summary>
    public double SharpMapMaxLoss { get; init; } = 1.3;

    /// <summary>The factor by which the sharpened copy of the map (<see cref="SharpMapMaxLoss"/>) narrows every Gaussian along each axis, in (0, 1].</summary>
    public double SharpMapScale { get; init; } = 0.5;

    /// <summary>
    /// While tracking, a frame that follows one finished on the sharpened map (<see cref="SharpMapMaxLoss"/>)
    /// is refined at <see cref="FinestLevel"/> on the sharpened copy directly, without the full map's
    /// refinement there first, and the full map then judges the pose with one loss evaluation: where its
    /// loss is below <see cref="SharpMapMaxLoss"/> the frame is finished, and the gates judge that loss and
    /// coverage as any other frame's; otherwise it is refined again as any other frame is. Labels that fit
    /// one frame well mostly fit the next: on redkitchen split 2 a tracking frame took about a quarter less
    /// time (89-90 against 120-122 ms at p50) and ended 0.03 cm farther from the truth on median (README
    /// "Localizing a drive"). False refines every frame on the full map first.
    /// </summary>
    public bool SharpMapTracking { get; init; } = true;

    /// <summary>
    /// A pose finished on the sharpened map (<see cref="SharpMapMaxLoss"/>) counts as a measurement whose
    /// translation has <see cref="MeasurementSigma"/> times this, in (0, 1]: its labels fit the map well, and
    /// the finish pins its position nearer the truth than the fixes the sigma was chosen on. On redkitchen
    /// split 2, where most frames are finished, 0.6 took tracking from 2.7 to 2.2 cm, with every tracked
    /// frame still within twice the published sigma. Its rotation keeps <see cref="MeasurementSigmaDeg"/>:
    /// the same factor there gained 0.02 deg and left one split-1 run's published rotation sigma too small
    /// (README "Odometry quality"). 1 counts a finished pose as any other fix.
    /// </summary>
    public double SharpMapSigmaFactor { get; init; } = 0.6;

    /// <summary>Gate: reject a pose whose final share of labelled query pixels covered by the map is below this.</summary>
    public double MinCoverage { get; init; } = 0.4;

    /// <summary>
    /// Gate: reject a pose whose final loss (mean cross-entropy, nats) is above this. Maps with second
    /// labels (the map builder's default) lower every loss by 0.2-0.3 nats on redkitchen; 2.775 keeps
    /// the gate about as selective there as 3.0 was for one label per Gaussian (README "Second labels").
    /// </summary>
    public double MaxLoss { get; init; } = DefaultMaxLoss;

    private const double DefaultMaxLoss = 2.775;

    /// <summary>Gate when tracking: reject a refinement that moves the camera more than this (metres) away from its seed.</summary>
    public double MaxCorrection { get; init; } = 0.25;

    /// <summary>Gate when tracking: reject a refinement that turns the camera more than this (degrees) away from its seed.</summary>
    public double MaxCorrectionDeg { get; init; } = 10;

    /// <summary>
    /// Odometry is trusted to drift by at most this share of the distance travelled since the last
    /// accepted pose; the correction gates widen by it. It is also the least drift the fusion with
    /// odometry assumes (<see cref="OdometryDriftMax"/>).
    /// </summary>
    public double OdometryDrift { get; init; } = 0.05;

    /// <summary>
    /// The most drift the fusion with odometry may learn (<see cref="OdometryFusion"/>): filters that
    /// assume <see cref="OdometryDrift"/>, twice that, and so on up to this run side by side, and the pose
    /// is the one whose corrections fit the fixes best, so odometry worse than assumed is trusted less.
    /// Equal to <see cref="OdometryDrift"/>: the fusion assumes that drift only. The gates keep
    /// <see cref="OdometryDrift"/>.
    /// </summary>
    public double OdometryDriftMax { get; init; } = 0.8;

    /// <summary>
    /// Standard deviation (metres) of a refined pose's translation as a measurement. While tracking
    /// with odometry, the published pose fuses the odometry prediction and the refined pose, each
    /// weighted by its variance (a per-axis Kalman update): the prediction's variance grows by
    /// (drift × distance)² per frame (for frames <see cref="MeasurementCorrelationTime"/> apart or more), with the drift learnt between <see cref="OdometryDrift"/> and
    /// <see cref="OdometryDriftMax"/>. 0 turns fusion off: the refined pose is published as is.
    /// </summary>
    public double MeasurementSigma { get; init; } = 0.05;

    /// <summary>Standard deviation (degrees) of a refined pose's rotation as a measurement; see <see cref="MeasurementSigma"/>.</summary>
    public double MeasurementSigmaDeg { get; init; } = 1.5;

    /// <summary>
    /// Seconds over which refined poses share their errors, and odometry increments their drift. A refined
    /// pose is off by an offset that persists while the camera sees the same surfaces, not by noise that is
    /// new every frame, so fixes closer than this are not independent: a fix Δt after the previous one
    /// counts as Δt / this of a measurement (its variance divided by that share, its likelihood in the
    /// learnt drift's score multiplied by it). An odometry increment over Δt adds its drift's variance
    /// divided by the same share, as a drift that points one way adds up over the correlation time rather
    /// than averaging out. Without it a camera at 30 Hz made the fusion three times as sure of itself as at
    /// 10 Hz with the same errors, and learn a drift the odometry did not have (README "Camera rate").
    /// Fixes this far apart or farther are unchanged. 0 counts every fix and increment as whole.
    /// </summary>
    public double MeasurementCorrelationTime { get; init; } = 0.1;

    /// <summary>
    /// Depth refinement (frames that carry depth readings, <see cref="LocalizerFrame.Depth"/>): a pose
    /// the label gates accepted is moved to where the frame's depth fits the map's surfaces
    /// (<see cref="Mosaic.Localization.Depth.DepthAlignment"/>, geometry only) when at least this share of the depth points
    /// lies on them at the end ...
    /// </summary>
    public double DepthMinSupport { get; init; } = 0.8;

    /// <summary>Depth refinement uses every n-th depth pixel in x and y (<see cref="Mosaic.Localization.Depth.DepthAlignmentOptions.PixelStride"/>).</summary>
    public int DepthPixelStride { get; init; } = 8;

    /// <summary>
    /// ... the surfaces seen constrain every direction (<see cref="Mosaic.Localization.Depth.DepthAlignmentResult.Conditioning"/>
    /// at least this: one flat wall leaves a sliding direction free) ...
    /// </summary>
    public double DepthMinConditioning { get; init; } = 1e-3;

    /// <summary>... and the alignment moved the label pose by at most this (metres) ...</summary>
    public double DepthMaxCorrection { get; init; } = 0.1;

    /// <summary>... and turned it by at most this (degrees); otherwise the label pose stands.</summary>
    public double DepthMaxCorrectionDeg { get; init; } = 5;

    /// <summary>
    /// Standard deviation (metres) of a depth-refined pose's translation as a measurement, in place of
    /// <see cref="MeasurementSigma"/> when it is fused with the odometry prediction.
    /// </summary>
    public double DepthSigma { get; init; } = 0.01;

    /// <summary>Standard deviation (degrees) of a depth-refined pose's rotation; see <see cref="DepthSigma"/>.</summary>
    public double DepthSigmaDeg { get; init; } = 0.5;

    /// <summary>Consecutive rejected frames after which the localizer is lost and relocalises by retrieval.</summary>
    public int MaxRejectedFrames { get; init; } = 3;

    /// <summary>
    /// With odometry, a relocalisation that lands farther from the odometry prediction than the
    /// correction gates allow (<see cref="MaxCorrection"/>, widened by <see cref="OdometryDrift"/>) is
    /// accepted only when this many following frames relocalise to the same place, moved by odometry;
    /// until then the frames are rejected as <see cref="Rejection.Unconfirmed"/> and the pose follows
    /// odometry. 0 accepts it at once. Without odometry there is nothing to contradict, and a
    /// relocalisation near the prediction is accepted at once either way.
    /// </summary>
    public int RelocalisationConfirmations { get; init; } = 3;

    /// <summary>
    /// With odometry, a frame is not refined when the camera has moved less than this (metres) and turned less
    /// than <see cref="UpdateMinRotationDeg"/> since the last refined frame, less than <see cref="UpdateMaxInterval"/>
    /// ago, and that frame was accepted while tracking or was a relocalisation that found no place: its pose is the
    /// odometry prediction (<see cref="Rejection.NotMoved"/>). As nav2 AMCL's update_min_d and update_min_a, so
    /// that a parked robot does not keep the CPU busy refining, or failing to relocalise in, the same view; the
    /// odometry's drift over half a centimetre is far below the refinement's error. After a rejection while tracking
    /// every frame is refined until the localizer is lost. Either 0: every frame is refined. On redkitchen at the
    /// camera's 30 Hz, 5 mm and 0.5 deg left 14 % of the frames unrefined with the same recall; 1 cm and 1 deg
    /// left 38 % and lost 2.7 points of it (docs/localization-redkitchen.md).
    /// </summary>
    public double UpdateMinTranslation { get; init; } = 0.005;

    /// <summary>The turn (degrees) below which a frame is not refined; see <see cref="UpdateMinTranslation"/>.</summary>
    public double UpdateMinRotationDeg { get; init; } = 0.5;

    /// <summary>
    /// Seconds after which a frame is refined however little the camera moved (<see cref="UpdateMinTranslation"/>),
    /// so that a camera carried off without its odometry noticing (a kidnapped robot) is found out: its next
    /// refinement is rejected, the frames after it are refined until <see cref="MaxRejectedFrames"/> rejections,
    /// and then it relocalises, confirming the new place at frame rate (<see cref="RelocalisationConfirmations"/>).
    /// </summary>
    public double UpdateMaxInterval { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (FinestLevel < 0 || CoarsestLevel < FinestLevel || CoarsestLevel > 8)
            throw new ArgumentException($"localizer.coarsest_level {CoarsestLevel} / finest_level {FinestLevel}: need 8 >= coarsest_level >= finest_level >= 0");
        if (TrackingCoarsestLevel < FinestLevel || TrackingCoarsestLevel > CoarsestLevel)
            throw new ArgumentException($"localizer.tracking_coarsest_level {TrackingCoarsestLevel} must be in [finest_level, coarsest_level] = [{FinestLevel}, {CoarsestLevel}]");
        if (MaxIterationsPerLevel < 1)
            throw new ArgumentException($"localizer.max_iterations_per_level {MaxIterationsPerLevel} must be at least 1");
        if (!(RelativeLossTolerance >= 0) || !(TrackingRelativeLossTolerance >= 0) || !(MinTranslationStep >= 0) || !(MinRotationStepDeg >= 0))
            throw new ArgumentException("localizer.relative_loss_tolerance, tracking_relative_loss_tolerance, min_translation_step and min_rotation_step_deg must be non-negative");
        if (BiasCorrectionRounds is < 0 or > 10)
            throw new ArgumentException($"localizer.bias_correction_rounds {BiasCorrectionRounds} must be between 0 and 10");
        if (RetrievalCandidates < 1)
            throw new ArgumentException($"localizer.retrieval_candidates {RetrievalCandidates} must be at least 1");
        if (!(RetrievalSeparation >= 0) || !(RetrievalSeparationDeg >= 0))
            throw new ArgumentException("localizer.retrieval_separation and retrieval_separation_deg must be non-negative");
        if (HypothesisMaxIterations < 1)
            throw new ArgumentException($"localizer.hypothesis_max_iterations {HypothesisMaxIterations} must be at least 1");
        if (!(CoarseMapVoxel >= 0) || !double.IsFinite(CoarseMapVoxel))
            throw new ArgumentException($"localizer.coarse_map_voxel {CoarseMapVoxel} must be a length of at least 0 (0: the full map)");
        if (CoarseMapLevel < 1 || CoarseMapLevel > 8)
            throw new ArgumentException($"localizer.coarse_map_level {CoarseMapLevel} must be in [1, 8] (the finest level is always refined on the full map)");
        if (!(SharpMapMaxLoss >= 0) || !double.IsFinite(SharpMapMaxLoss))
            throw new ArgumentException($"localizer.sharp_map_max_loss {SharpMapMaxLoss} must be a loss of at least 0 nats (0: no sharpened refinement)");
        if (!(SharpMapScale > 0 && SharpMapScale <= 1))
            throw new ArgumentException($"localizer.sharp_map_scale {SharpMapScale} must be in (0, 1]");
        if (!(SharpMapSigmaFactor > 0 && SharpMapSigmaFactor <= 1))
            throw new ArgumentException($"localizer.sharp_map_sigma_factor {SharpMapSigmaFactor} must be in (0, 1]");
        if (HypothesisLevels < 1 || HypothesisLevels > CoarsestLevel - FinestLevel + 1)
            throw new ArgumentException($"localizer.hypothesis_levels {HypothesisLevels} must be in [1, {CoarsestLevel - FinestLevel + 1}] (the refinement's level count)");
        if (!(MinCoverage >= 0 && MinCoverage <= 1))
            throw new ArgumentException($"localizer.min_coverage {MinCoverage} must be in [0, 1]");
        if (!(MaxLoss > 0))
            throw new ArgumentException($"localizer.max_loss {MaxLoss} must be positive");
        if (!(MaxCorrection > 0) || !(MaxCorrectionDeg > 0))
            throw new ArgumentException("localizer.max_correction and max_correction_deg must be positive");
        if (!(OdometryDrift >= 0))
            throw new ArgumentException($"localizer.odometry_drift {OdometryDrift} must be non-negative");
        if (!(OdometryDriftMax >= OdometryDrift) || double.IsInfinity(OdometryDriftMax))
            throw new ArgumentException($"localizer.odometry_drift_max {OdometryDriftMax} must be finite and at least odometry_drift {OdometryDrift}");
        if (!(MeasurementSigma >= 0) || !(MeasurementSigmaDeg >= 0))
            throw new ArgumentException("localizer.measurement_sigma and measurement_sigma_deg must be non-negative");
        if (!(MeasurementCorrelationTime >= 0) || !double.IsFinite(MeasurementCorrelationTime))
            throw new ArgumentException($"localizer.measurement_correlation_time {MeasurementCorrelationTime} must be non-negative and finite");
        if (DepthPixelStride < 1)
            throw new ArgumentException($"localizer.depth_pixel_stride {DepthPixelStride} must be at least 1");
        if (!(DepthMinSupport >= 0 && DepthMinSupport <= 1) || !(DepthMinConditioning >= 0))
            throw new ArgumentException($"localizer.depth_min_support {DepthMinSupport} must be in [0, 1] and depth_min_conditioning {DepthMinConditioning} non-negative");
        if (!(DepthMaxCorrection > 0) || !(DepthMaxCorrectionDeg > 0))
            throw new ArgumentException("localizer.depth_max_correction and depth_max_correction_deg must be positive");
        if (!(DepthSigma >= 0) || !(DepthSigmaDeg >= 0))
            throw new ArgumentException("localizer.depth_sigma and depth_sigma_deg must be non-negative");
        if (MaxRejectedFrames < 1)
            throw new ArgumentException($"localizer.max_rejected_frames {MaxRejectedFrames} must be at least 1");
        if (RelocalisationConfirmations < 0)
            throw new ArgumentException($"localizer.relocalisation_confirmations {RelocalisationConfirmations} must be at least 0");
        if (!(UpdateMinTranslation >= 0) || !(UpdateMinRotationDeg >= 0) || !(UpdateMaxInterval >= 0) || !double.IsFinite(UpdateMaxInterval))
            throw new ArgumentException("localizer.update_min_translation and update_min_rotation_deg must be non-negative, update_max_interval non-negative and finite");
    }

    /// <summary>
    /// Settings that are valid but defeat their purpose against a map of <paramref name="labelCount"/>
    /// labels, one sentence each (empty when there are none). The loss gate is in nats, and labels
    /// that say nothing about the pose cost log K (chance); a <see cref="MaxLoss"/> near or above that
    /// cannot reject a wrong pose. At K = 16 a gate of 3.0 is above chance (2.77), and tracking on
    /// redkitchen accepted a relocalisation 1.5 m off (README "Localizing a drive"). A map without
    /// second labels (<paramref name="secondLabels"/> false) has higher losses than the default gate
    /// was measured for, so a gate below <see cref="OneLabelMaxLoss"/> rejects more of its good poses.
    /// </summary>
    public IReadOnlyList<string> Warnings(int labelCount, bool secondLabels)
    {
        var warnings = new List<string>();
        double chance = Math.Log(labelCount);
        if (MaxLoss >= MaxLossShareOfChance * chance)
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"localizer.max_loss {MaxLoss:0.###} nats is {100 * MaxLoss / chance:F0} % of chance for a map of {labelCount} labels (log {labelCount} = {chance:F2} nats), " +
                $"so the loss gate can hardly reject a wrong pose; set it to about {DefaultShareOfChance * chance:F1} (the default {DefaultMaxLoss:0.###} is {100 * DefaultShareOfChance:F0} % of chance at K = 32)"));
        if (!secondLabels && MaxLoss < OneLabelMaxLoss)
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"the map has one label per Gaussian (built before second labels, or with uplifting.second_label_share: 0), whose losses run 0.2-0.3 nats higher " +
                $"than those of maps with second labels, for which localizer.max_loss {DefaultMaxLoss:0.###} was measured; set it to {OneLabelMaxLoss:0.###} for this map (README \"Second labels\")"));
        return warnings;
    }

    /// <summary>The loss gate measured for maps with one label per Gaussian (the default until second labels).</summary>
    public const double OneLabelMaxLoss = 3.0;

    /// <summary>Above this share of log K, <see cref="Warnings"/> warns about <see cref="MaxLoss"/>.</summary>
    private const double MaxLossShareOfChance = 0.9;

    /// <summary>The default <see cref="MaxLoss"/> as a share of chance at K = 32, where it was measured.</summary>
    private static readonly double DefaultShareOfChance = DefaultMaxLoss / Math.Log(32);
}
