using Mosaic.Core.Cameras;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Localization.Depth;
using Mosaic.Localization.Segmentation;
using Mosaic.Rendering;

namespace Mosaic.Mapping;

/// <summary>What <see cref="LabelAgreement.Measure"/> found.</summary>
/// <param name="Frames">Query frames measured.</param>
/// <param name="Agreement">Share of pixels, labelled in both, whose segmented label equals the map's label rendered at the true pose.</param>
/// <param name="Coverage">Share of pixels the map covers (A ≥ 0.5) at the true pose.</param>
/// <param name="EffectiveLabels">exp(entropy) of the query labels' histogram: how many labels the segmenter really uses (K when all are equally common). Agreement is easy with few labels, so read the two together.</param>
/// <param name="Kappa">Cohen's κ of the same pixels: agreement beyond what two independent labellings with these label frequencies would reach by chance, (p_o − p_e)/(1 − p_e). Comparable across segmenters that use labels unevenly.</param>
/// <param name="PerFrame">Each frame's figures, in the order added.</param>
/// <param name="ByBoundaryDistance">The compared pixels by their distance to the render's nearest label change (<see cref="LabelBoundaries"/>), in the ranges of <see cref="LabelAgreement.BoundaryRanges"/>.</param>
/// <param name="BestPossible">How the map's own labels at the measured surfaces compare with the render, and the segmenter on the same pixels; null where no depth was given.</param>
public sealed record LabelAgreementResult(int Frames, double Agreement, double Coverage, double EffectiveLabels, double Kappa, IReadOnlyList<FrameAgreement> PerFrame,
    IReadOnlyList<BoundaryAgreement> ByBoundaryDistance, BestPossibleAgreement? BestPossible = null);

/// <summary>The compared pixels whose distance to the render's nearest label change lies in [<paramref name="From"/>, <paramref name="To"/>] px.</summary>
/// <param name="From">Smallest distance (px, chessboard, at the segmenter's level).</param>
/// <param name="To">Largest distance; <see cref="int.MaxValue"/> for the last range, which also holds frames without a label change.</param>
/// <param name="Share">Share of all compared pixels in the range.</param>
/// <param name="Agreement">Share of them whose segmented label equals the rendered one; NaN where the range is empty.</param>
public sealed record BoundaryAgreement(int From, int To, double Share, double Agreement);

/// <summary>One frame of a <see cref="LabelAgreement"/> tally.</summary>
/// <param name="Stamp">The query image's stamp (ns), as given to <see cref="LabelAgreement.Add"/>.</param>
/// <param name="Agreement">Share of the frame's pixels labelled in both whose labels agree; NaN where the map covers none of it.</param>
/// <param name="Coverage">Share of the frame's pixels the map covers.</param>
/// <param name="BestPossible">The frame's <see cref="BestPossibleAgreement.Agreement"/>; NaN without surface labels or where none lands on the map.</param>
/// <param name="SegmenterOnSurface">The frame's <see cref="BestPossibleAgreement.SegmenterAgreement"/>; NaN likewise.</param>
public sealed record FrameAgreement(long Stamp, double Agreement, double Coverage, double BestPossible, double SegmenterOnSurface);

/// <summary>
/// The agreement a segmenter that labelled every surface exactly as the map does would reach: the map's
/// labels at the surfaces the query's depth measures (<see cref="SurfaceLabels"/>) against the map
/// rendered at the true pose. Where these differ, the render shows a different surface or a different
/// part of one (pose error, depth noise, label boundaries blurred by the rendering), and a segmenter
/// agrees there only by chance.
/// </summary>
/// <param name="Share">Share of the compared pixels (labelled in both query and render) whose depth reading lands on a map surface.</param>
/// <param name="Agreement">On those pixels: how often the surface's own label equals the rendered label.</param>
/// <param name="SegmenterAgreement">On the same pixels: how often the segmented query label equals the rendered label.</param>
public sealed record BestPossibleAgreement(double Share, double Agreement, double SegmenterAgreement);

/// <summary>
/// Label agreement between a map and a drive: how often the map's segmenter, run on a query image,
/// gives the label the map itself shows at that image's true pose. It bounds what the
/// segmentation-based localization can do, and it is the number a better segmenter must raise.
/// </summary>
public sealed class LabelAgreement
{
    private readonly long[] _histogram, _queryBoth, _renderedBoth;
    private readonly List<FrameAgreement> _perFrame = [];
    private long _agree, _both, _covered, _pixels;
    private long _surfaceBoth, _surfaceAgree, _segmenterAgreeOnSurface;
    private bool _hasSurface;
    private readonly long[] _boundaryBoth = new long[BoundaryRanges.Count], _boundaryAgree = new long[BoundaryRanges.Count];

    /// <summary>
    /// The distance ranges (px, inclusive) of <see cref="LabelAgreementResult.ByBoundaryDistance"/>:
    /// doubling widths, since a boundary a pixel or two off costs the first ranges most.
    /// </summary>
    public static IReadOnlyList<(int From, int To)> BoundaryRanges { get; } = [(1, 1), (2, 2), (3, 4), (5, 8), (9, 16), (17, int.MaxValue)];

    /// <summary>An empty tally for <paramref name="labelCount"/> labels.</summary>
    public LabelAgreement(int labelCount) => (_histogram, _queryBoth, _renderedBoth) = (new long[labelCount], new long[labelCount], new long[labelCount]);

    /// <summary>
    /// Adds one frame: the segmented query and the map's hard labels at the true pose, and optionally the
    /// map's labels at the query's measured surfaces (<see cref="SurfaceLabels"/>), all the same size;
    /// <paramref name="stamp"/> only labels the frame's row in <see cref="LabelAgreementResult.PerFrame"/>.
    /// </summary>
    public void Add(Image<ushort> query, Image<ushort> rendered, Image<ushort>? surface = null, long stamp = 0)
    {
        if (query.Width != rendered.Width || query.Height != rendered.Height)
            throw new ArgumentException($"query labels are {query.Width}x{query.Height} but the rendered labels {rendered.Width}x{rendered.Height}");
        if (surface is not null && (surface.Width != rendered.Width || surface.Height != rendered.Height))
            throw new ArgumentException($"surface labels are {surface.Width}x{surface.Height} but the rendered labels {rendered.Width}x{rendered.Height}");
        _hasSurface |= surface is not null;
        var boundaryDistance = LabelBoundaries.Distance(rendered);
        long agree = 0, both = 0, covered = 0, surfaceBoth = 0, surfaceAgree = 0, segmenterAgreeOnSurface = 0;
        for (int p = 0; p < query.Data.Length; p++)
        {
            ushort q = query.Data[p], r = rendered.Data[p];
            if (q != Labels.Ignore && q < _histogram.Length)
                _histogram[q]++;
            if (r == Labels.Ignore)
                continue;
            covered++;
            if (q == Labels.Ignore || q >= _histogram.Length || r >= _histogram.Length)
                continue;
            both++;
            _queryBoth[q]++;
            _renderedBoth[r]++;
            if (q == r)
                agree++;
            int range = 0;
            while (boundaryDistance[p] > BoundaryRanges[range].To)
                range++;
            _boundaryBoth[range]++;
            if (q == r)
                _boundaryAgree[range]++;
            if (surface is null || surface.Data[p] == Labels.Ignore)
                continue;
            surfaceBoth++;
            if (surface.Data[p] == r)
                surfaceAgree++;
            if (q == r)
                segmenterAgreeOnSurface++;
        }
        _covered += covered;
        _surfaceBoth += surfaceBoth;
        _surfaceAgree += surfaceAgree;
        _segmenterAgreeOnSurface += segmenterAgreeOnSurface;
        _pixels += query.Data.Length;
        _agree += agree;
        _both += both;
        static double Share(long part, long whole) => whole == 0 ? double.NaN : (double)part / whole;
        _perFrame.Add(new FrameAgreement(stamp, Share(agree, both), Share(covered, query.Data.Length),
            Share(surfaceAgree, surfaceBoth), Share(segmenterAgreeOnSurface, surfaceBoth)));
    }

    /// <summary>The tally so far.</summary>
    public LabelAgreementResult Result()
    {
        double total = _histogram.Sum(), entropy = 0;
        foreach (long count in _histogram)
            if (count > 0)
                entropy -= count / total * Math.Log(count / total);
        double observed = _both == 0 ? double.NaN : (double)_agree / _both, chance = 0;
        for (int c = 0; c < _histogram.Length; c++)
            chance += (double)_queryBoth[c] / _both * _renderedBoth[c] / _both;
        return new LabelAgreementResult(_perFrame.Count, observed, _pixels == 0 ? double.NaN : (double)_covered / _pixels,
            total == 0 ? double.NaN : Math.Exp(entropy), (observed - chance) / (1 - chance), [.. _perFrame],
            [.. BoundaryRanges.Select((r, i) => new BoundaryAgreement(r.From, r.To, (double)_boundaryBoth[i] / _both,
                _boundaryBoth[i] == 0 ? double.NaN : (double)_boundaryAgree[i] / _boundaryBoth[i]))],
            _hasSurface ? new BestPossibleAgreement((double)_surfaceBoth / _both, (double)_surfaceAgree / _surfaceBoth, (double)_segmenterAgreeOnSurface / _surfaceBoth) : null);
    }

    /// <summary>
    /// Search radius (m) of <see cref="SurfaceLabels"/> in <see cref="Measure"/>: twice the default fusion
    /// voxel, so a reading finds its own voxel's Gaussian despite depth noise of a centimetre.
    /// </summary>
    public const double SurfaceRadius = 0.04;

    /// <summary>
    /// Measures <paramref name="map"/> on every <paramref name="step"/>-th frame of the drive in
    /// <paramref name="bagPath"/> within <paramref name="options"/>' sync window, with the ground-truth
    /// pose from <paramref name="options"/>' pose source. Frames that are keyframes of the map are skipped.
    /// The frames' depth gives the <see cref="BestPossibleAgreement"/> too. A frame whose image cannot be
    /// decoded is left out; it and the drive's own warnings (a camera_info that changes) go to
    /// <paramref name="warning"/>.
    /// </summary>
    /// <exception cref="MappingInputException">The map has no segmenter, or the window holds no usable frame, or none can be decoded.</exception>
    public static LabelAgreementResult Measure(PrivacyMap map, string bagPath, MappingOptions options, int step, IProgress<double>? progress = null, Action<string>? warning = null)
    {
        if (step < 1)
            throw new ArgumentException($"step {step} must be at least 1");
        if (map.SegmenterDefinition is null)
            throw new MappingInputException("the map has no segmenter.yaml (build it with `mosaic map build`)");
        var segmenter = Segmenters.Load(map.SegmenterDefinition, "segmenter.yaml");
        var source = BagFrameSource.Scan(bagPath, options);
        foreach (var w in source.Warnings)
            warning?.Invoke(w);
        var keyStamps = map.Keyframes?.Keyframes.Select(f => f.Stamp).ToHashSet() ?? [];
        var frames = source.Candidates.Where(c => !keyStamps.Contains(c.ColorStamp)).Where((_, i) => i % step == 0).ToList();
        if (frames.Count == 0)
            throw new MappingInputException($"{bagPath}: no frame with a pose in the chosen window (that is not a keyframe of the map)");
        var colorAtLevel = source.ColorCamera.AtLevel(segmenter.Level);
        var undistorter = colorAtLevel.IsPinhole ? null : new Undistorter(colorAtLevel, colorAtLevel.Intrinsics);
        var renderer = new CpuLabelRenderer<float>(map.Gaussians);
        var grid = new CentreGrid(map.Gaussians, SurfaceRadius);
        var pinhole = new CameraModel(colorAtLevel.Intrinsics, DistortionModel.None);
        var tally = new LabelAgreement(map.Gaussians.LabelCount);
        int measured = 0;
        var lost = new List<string>();
        foreach (var frame in source.ReadFrames(frames, "frame", lost, warning))
        {
            var query = segmenter.Segment(frame.Color);
            query = undistorter?.ResampleNearest(query) ?? query;
            var depth = DepthRegistration.Register(frame.Depth, frame.DepthCamera, frame.ColorFromDepth, pinhole);
            var surface = SurfaceLabels.Lookup(grid, map.Gaussians.Labels, depth, colorAtLevel.Intrinsics, frame.MapFromColor);
            tally.Add(query, renderer.RenderHardLabels(frame.MapFromColor.Inverse(), colorAtLevel.Intrinsics), surface, frame.Stamp);
            measured++;
            progress?.Report((double)(measured + lost.Count) / frames.Count);
        }
        if (measured == 0 && lost.Count > 0)
            throw new MappingInputException($"{bagPath}: none of the {frames.Count} query frames' images could be decoded ({lost[0]})");
        return tally.Result();
    }
}
