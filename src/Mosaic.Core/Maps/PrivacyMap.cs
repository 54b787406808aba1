namespace Mosaic.Core.Maps;

/// <summary>A privacy map: labelled Gaussians in a named frame, plus where they came from.</summary>
public sealed class PrivacyMap
{
    /// <summary>The frame the Gaussians are expressed in.</summary>
    public string FrameId { get; }

    /// <summary>The labelled Gaussians.</summary>
    public GaussianMap Gaussians { get; }

    /// <summary>How the map was built.</summary>
    public MapProvenance Provenance { get; }

    /// <summary>The retrieval database (keyframes.bin), when the map has one.</summary>
    public KeyframeDatabase? Keyframes { get; init; }

    /// <summary>
    /// The definition of the segmenter that labelled the map (segmenter.yaml, YAML text), when the map
    /// has one: queries must be segmented with it. Its privacy cost is documented in the README.
    /// </summary>
    public string? SegmenterDefinition { get; init; }

    /// <summary>The map builder's report (build_report.yaml: counts, coverage, timings), when present.</summary>
    public string? BuildReport { get; init; }

    /// <summary>Creates a map; <paramref name="frameId"/> must be non-empty.</summary>
    public PrivacyMap(string frameId, GaussianMap gaussians, MapProvenance provenance)
    {
        if (string.IsNullOrWhiteSpace(frameId))
            throw new ArgumentException("a map needs a frame id", nameof(frameId));
        (FrameId, Gaussians, Provenance) = (frameId, gaussians, provenance);
    }
}
