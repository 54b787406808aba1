using System.Globalization;
using System.Text;

namespace Mosaic.Core.Geometry;

/// <summary>
/// The TUM trajectory format (one pose per line: timestamp tx ty tz qx qy qz qw, seconds and
/// metres), which evo and most SLAM benchmarks read.
/// </summary>
public static class TumTrajectory
{
    /// <summary>
    /// The text of a TUM file: a comment line saying what the poses are (<paramref name="description"/>),
    /// then one line per pose; stamps are nanoseconds, written as seconds with nine decimals.
    /// </summary>
    public static string Format(IEnumerable<(long Stamp, Se3 Pose)> poses, string description)
    {
        var text = new StringBuilder($"# timestamp tx ty tz qx qy qz qw ({description})\n");
        foreach (var (stamp, pose) in poses)
        {
            var q = pose.Rotation.ToQuaternion();
            var t = pose.Translation;
            text.Append(CultureInfo.InvariantCulture, $"{stamp / 1_000_000_000}.{stamp % 1_000_000_000:D9} {t.X:R} {t.Y:R} {t.Z:R} {q.X:R} {q.Y:R} {q.Z:R} {q.W:R}\n");
        }
        return text.ToString();
    }
}
