using Mosaic.Core.Geometry;
using Mosaic.Core.Maps;
using Mosaic.Localization.Depth;

namespace Mosaic.Mapping;

/// <summary>One frame of a <see cref="PoseCheck"/>.</summary>
/// <param name="Stamp">Colour image stamp (ns).</param>
/// <param name="Given">The pose the drive's pose source gives (T_map_color).</param>
/// <param name="Alignment">Where the frame's own depth fits the map's surfaces, starting from <paramref name="Given"/>.</param>
/// <param name="Trusted">Whether the alignment is trustworthy (enough support, converged, all directions constrained).</param>
public sealed record PoseCheckFrame(long Stamp, Se3 Given, DepthAlignmentResult Alignment, bool Trusted)
{
    /// <summary>The aligned pose seen from the given one, T_given⁻¹ T_aligned: how far (camera axes) the depth says the given pose is off.</summary>
    public Se3 Offset => Given.Inverse() * Alignment.MapFromCamera;
}

/// <summary>When a <see cref="PoseCheck"/> trusts an alignment.</summary>
public sealed record PoseCheckOptions
{
    /// <summary>The alignment itself.</summary>
    public DepthAlignmentOptions Alignment { get; init; } = new();

    /// <summary>Least share of the frame's depth points that must lie on the map's surfaces after alignment.</summary>
    public double MinSupport { get; init; } = 0.8;

    /// <summary>Least eigenvalue ratio of the alignment's normal matrix (<see cref="DepthAlignmentResult.Conditioning"/>).</summary>
    public double MinConditioning { get; init; } = 1e-3;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        Alignment.Validate();
        if (!(MinSupport >= 0 && MinSupport <= 1))
            throw new ArgumentException($"min_support {MinSupport} must be in [0, 1]");
        if (!(MinConditioning >= 0 && MinConditioning < 1))
            throw new ArgumentException($"min_conditioning {MinConditioning} must be in [0, 1)");
    }
}

/// <summary>
/// Checks a drive's poses against a map's geometry: each frame's depth is aligned with the map's
/// surfaces (<see cref="DepthAlignment"/>), starting from the pose the drive gives. Where the given
/// pose agrees with the map, the alignment stays on it; where it has drifted (a SLAM trajectory that
/// revisits a place, a mis-registered ground truth), the alignment shows by how much, and its poses
/// are a ground truth consistent with the map. Labels are not involved, so it can judge the ground
/// truth a localization is measured against.
/// </summary>
public static class PoseCheck
{
    /// <summary>
    /// Checks every <paramref name="step"/>-th frame (colour with a depth partner and a pose) of the
    /// drive in <paramref name="bagPath"/> within <paramref name="mapping"/>'s sync window. A frame whose
    /// depth or colour image cannot be decoded is left out; it and the drive's own warnings go to
    /// <paramref name="warning"/>.
    /// </summary>
    /// <exception cref="MappingInputException">The drive lacks a topic, a transform or poses, the window holds no frame, or none can be decoded.</exception>
    public static IReadOnlyList<PoseCheckFrame> Run(GaussianMap map, string bagPath, MappingOptions mapping, int step, PoseCheckOptions? options = null,
        IProgress<double>? progress = null, Action<string>? warning = null)
    {
        if (step < 1)
            throw new ArgumentException($"step {step} must be at least 1");
        options ??= new PoseCheckOptions();
        options.Validate();
        var source = BagFrameSource.Scan(bagPath, mapping);
        foreach (var w in source.Warnings)
            warning?.Invoke(w);
        var frames = source.Candidates.Where((_, i) => i % step == 0).ToList();
        if (frames.Count == 0)
            throw new MappingInputException($"{bagPath}: no frame with depth and a pose in the chosen window");
        var alignment = new DepthAlignment(map, options.Alignment);
        var checkedFrames = new List<PoseCheckFrame>(frames.Count);
        var lost = new List<string>();
        foreach (var frame in source.ReadFrames(frames, "frame", lost, warning))
        {
            var points = alignment.Points(frame.Depth, frame.DepthCamera, frame.ColorFromDepth);
            var result = alignment.Align(points, frame.MapFromColor);
            bool trusted = result.Trustworthy(options.MinSupport, options.MinConditioning);
            checkedFrames.Add(new PoseCheckFrame(frame.Stamp, frame.MapFromColor, result, trusted));
            progress?.Report((double)(checkedFrames.Count + lost.Count) / frames.Count);
        }
        if (checkedFrames.Count == 0 && lost.Count > 0)
            throw new MappingInputException($"{bagPath}: none of the {frames.Count} frames' images could be decoded ({lost[0]})");
        return checkedFrames;
    }
}
