namespace Mosaic.Core.Maps;

/// <summary>
/// The contents of <c>map.yaml</c>: what the map is, how it was built, and the sha256 of every other
/// file in the map directory. Property names appear in the file in snake_case.
/// </summary>
public sealed class MapManifest
{
    /// <summary>The value of <see cref="Format"/> in every Mosaic map.</summary>
    public const string FormatName = "mosaic-privacy-map";

    /// <summary>The format version this build writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Always <see cref="FormatName"/>: the file's magic.</summary>
    public string Format { get; set; } = FormatName;

    /// <summary>Format version.</summary>
    public int Version { get; set; } = CurrentVersion;

    /// <summary>The frame the Gaussians are expressed in (REP-105: usually "map").</summary>
    public string FrameId { get; set; } = "map";

    /// <summary>Number of labels K.</summary>
    public int LabelCount { get; set; }

    /// <summary>Number of Gaussians in gaussians.ply.</summary>
    public long GaussianCount { get; set; }

    /// <summary>How the map was made.</summary>
    public MapProvenance Provenance { get; set; } = new();

    /// <summary>sha256 (lower-case hex) of every other file in the map directory, by file name.</summary>
    public Dictionary<string, string> Files { get; set; } = new();
}

/// <summary>Where a map came from: tool, time, input and parameters.</summary>
public sealed class MapProvenance
{
    /// <summary>The command that built the map.</summary>
    public string Tool { get; set; } = "";

    /// <summary>UTC creation time, ISO 8601.</summary>
    public string Created { get; set; } = "";

    /// <summary>The input the map was built from (a bag path, "synthetic", ...).</summary>
    public string Source { get; set; } = "";

    /// <summary>Build parameters as written by the builder.</summary>
    public Dictionary<string, string> Parameters { get; set; } = new();
}
