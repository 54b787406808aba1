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

    /// <summary>
    /// The poses of a TUM file's lines, in file order. Lines that are empty or start with '#' are
    /// skipped; values may be separated by spaces, tabs or commas. A stamp is read as a double and
    /// rounded to the nanosecond, so stamps of today's epoch come out within about 100 ns of what was
    /// written: match them to other stamps with a tolerance.
    /// </summary>
    /// <param name="lines">The file's lines.</param>
    /// <param name="source">The file's name, for errors.</param>
    /// <exception cref="FormatException">A line is not 'timestamp tx ty tz qx qy qz qw' with a unit quaternion; the message names the source and line.</exception>
    public static IReadOnlyList<TumPose> Parse(IEnumerable<string> lines, string source)
    {
        var poses = new List<TumPose>();
        int number = 0;
        foreach (string line in lines)
        {
            number++;
            var parts = line.Split((char[])[' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || parts[0].StartsWith('#'))
                continue;
            var values = new double[8];
            if (parts.Length != 8 || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) && double.IsFinite(values[i])).All(ok => ok))
                throw new FormatException($"{source}:{number}: expected 'timestamp tx ty tz qx qy qz qw', found '{line.Trim()}'");
            var rotation = new Quaterniond(values[7], values[4], values[5], values[6]);
            if (Math.Abs(rotation.Norm - 1) > 0.05)
                throw new FormatException($"{source}:{number}: the quaternion (qx qy qz qw) has norm {rotation.Norm:G4}, not 1");
            poses.Add(new TumPose((long)Math.Round(values[0] * 1e9), new Vector3d(values[1], values[2], values[3]), rotation));
        }
        return poses;
    }
}

/// <summary>One line of a TUM file, as written (the quaternion not normalised).</summary>
/// <param name="Stamp">Nanoseconds.</param>
/// <param name="Translation">tx ty tz.</param>
/// <param name="Rotation">qw qx qy qz.</param>
public readonly record struct TumPose(long Stamp, Vector3d Translation, Quaterniond Rotation)
{
    /// <summary>The pose, its quaternion normalised.</summary>
    public Se3 ToSe3() => Se3.FromQuaternion(Rotation.Normalized(), Translation);
}
