using System.Globalization;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;

namespace Mosaic.Mapping;

/// <summary>
/// One synchronised RGB-D frame with its pose: what the map builder consumes. The colour and depth
/// cameras may differ; <see cref="ColorFromDepth"/> joins them.
/// </summary>
/// <param name="Stamp">Colour image stamp (ns).</param>
/// <param name="Color">The colour image.</param>
/// <param name="ColorCamera">The colour camera (with its distortion).</param>
/// <param name="Depth">Depth in metres; NaN where invalid.</param>
/// <param name="DepthCamera">The depth camera (with its distortion).</param>
/// <param name="MapFromColor">T_map_color of the colour optical frame at <see cref="Stamp"/>.</param>
/// <param name="ColorFromDepth">T_color_depth, the depth optical frame in the colour optical frame.</param>
public sealed record RgbdFrame(long Stamp, RgbImage Color, CameraModel ColorCamera, Image<float> Depth, CameraModel DepthCamera, Se3 MapFromColor, Se3 ColorFromDepth);

/// <summary>A colour image that has a depth partner and a pose: a keyframe candidate.</summary>
/// <param name="ColorStamp">Colour image stamp (ns).</param>
/// <param name="DepthStamp">Stamp of the depth image paired with it (ns).</param>
/// <param name="MapFromColor">T_map_color at <paramref name="ColorStamp"/>.</param>
public sealed record FrameCandidate(long ColorStamp, long DepthStamp, Se3 MapFromColor)
{
    /// <summary>
    /// The warning for this frame left out of a pass by <see cref="BagFrameSource.ReadFrames"/>, e.g.
    /// "keyframe at 12.345 s left out: colour image undecodable: ..." (<paramref name="what"/> = "keyframe").
    /// </summary>
    public string LeftOut(string what, string reason) =>
        string.Create(CultureInfo.InvariantCulture, $"{what} at {ColorStamp * 1e-9:F3} s left out: {reason}");
}
