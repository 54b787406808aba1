using System.Globalization;
using Mosaic.Ros.Bags;
using Mosaic.Ros.Images;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tf;

namespace Mosaic.Ros.Import;

/// <summary>What <see cref="SevenScenesImporter"/> reads and writes.</summary>
public sealed record SevenScenesImportOptions
{
    /// <summary>The scene folder: <c>frames/</c>, <c>rgb-poses-dslam.txt</c> (e.g. ../shared/data/redkitchen).</summary>
    public required string Source { get; init; }

    /// <summary>The bag directory to create.</summary>
    public required string Output { get; init; }

    /// <summary>First frame index (inclusive).</summary>
    public int FirstFrame { get; init; }

    /// <summary>Last frame index (inclusive); -1 for the last frame present.</summary>
    public int LastFrame { get; init; } = -1;

    /// <summary>Keep every n-th frame.</summary>
    public int Step { get; init; } = 1;

    /// <summary>"mcap" or "sqlite3".</summary>
    public string Storage { get; init; } = "mcap";

    /// <summary>Stamp of frame 0 in nanoseconds; frames follow at <see cref="FrameRate"/>.</summary>
    public long StartTime { get; init; } = 1_600_000_000L * 1_000_000_000L;

    /// <summary>Kinect v1 frame rate.</summary>
    public double FrameRate { get; init; } = 30;

    /// <summary>
    /// Synthetic odometry error, metres per metre travelled: every increment of the true body motion
    /// gets this share of its length added along one fixed direction in the body frame (drawn from
    /// <see cref="OdometrySeed"/>), so /odom drifts away from the truth linearly with distance, like
    /// wheel odometry with a scale and alignment error. 0 = /odom is the exact ground truth.
    /// </summary>
    public double OdometryDrift { get; init; }

    /// <summary>Synthetic heading error, radians per radian turned, about one fixed body axis (drawn from the seed).</summary>
    public double OdometryRotationDrift { get; init; }

    /// <summary>Seed of the drift directions: same seed, same odometry.</summary>
    public int OdometrySeed { get; init; } = 1;
}

/// <summary>What an import wrote.</summary>
public sealed record SevenScenesImportResult(int Frames, int SkippedWithoutPose, long Bytes, string TumPath);

/// <summary>
/// Turns a Microsoft 7-Scenes sequence into a rosbag2 recording with ROS conventions (see
/// <see cref="Topics"/> and <see cref="Frames"/>): colour JPEGs and depth PNGs are stored with their
/// original bytes; the colour camera's pose comes from the dSLAM pseudo ground truth.
/// </summary>
public static class SevenScenesImporter
{
    /// <summary>Topic names the importer writes.</summary>
    public static class Topics
    {
        /// <summary>sensor_msgs/CompressedImage, format "jpeg" (the original file bytes).</summary>
        public const string ColorImage = "/camera/color/image_raw/compressed";
        /// <summary>sensor_msgs/CameraInfo of the colour camera (fx = fy = 525, cx = 320, cy = 240).</summary>
        public const string ColorInfo = "/camera/color/camera_info";
        /// <summary>sensor_msgs/CompressedImage, "16UC1; compressedDepth png" (the original PNG bytes, millimetres).</summary>
        public const string DepthImage = "/camera/depth/image_raw/compressedDepth";
        /// <summary>sensor_msgs/CameraInfo of the depth camera (fx = fy = 585, cx = 320, cy = 240).</summary>
        public const string DepthInfo = "/camera/depth/camera_info";
        /// <summary>tf2_msgs/TFMessage: base_link -> colour optical -> depth optical.</summary>
        public const string TfStatic = "/tf_static";
        /// <summary>tf2_msgs/TFMessage: odom -> base_link, equal to /odom.</summary>
        public const string Tf = "/tf";
        /// <summary>nav_msgs/Odometry odom -> base_link, synthetic: made from ground truth, exact or with a seeded drift.</summary>
        public const string Odometry = "/odom";
        /// <summary>geometry_msgs/PoseStamped: ground-truth pose of base_link in map.</summary>
        public const string GroundTruth = "/ground_truth/pose";
    }

    /// <summary>Frame names the importer writes.</summary>
    public static class Frames
    {
        /// <summary>The 7-Scenes world frame.</summary>
        public const string Map = "map";
        /// <summary>Odometry frame: equal to map at the first frame; /odom drifts from the truth by the configured synthetic error.</summary>
        public const string Odom = "odom";
        /// <summary>The body (REP-103: x forward, y left, z up), rigidly attached to the colour camera.</summary>
        public const string BaseLink = "base_link";
        /// <summary>Colour camera optical frame (z forward, x right, y down).</summary>
        public const string ColorOptical = "camera_color_optical_frame";
        /// <summary>Depth camera optical frame.</summary>
        public const string DepthOptical = "camera_depth_optical_frame";
    }

    /// <summary>d_to_rgb of the 7-Scenes setup: X_rgb = d_to_rgb * X_depth, i.e. the pose of the depth camera in the colour camera.</summary>
    public static readonly double[] DepthToColor =
    [
        9.9996518012567637e-01, 2.6765126468950343e-03, -7.9041012313000904e-03, -2.5558943178152542e-02,
        -2.7409311281316700e-03, 9.9996302803027592e-01, -8.1504520778013286e-03, 1.0109636268061706e-04,
        7.8819942130445332e-03, 8.1718328771890631e-03, 9.9993554558014031e-01, 2.0318321729487039e-03,
    ];

    // Optical frame in base_link: z_optical = x_base, x_optical = -y_base, y_optical = -z_base.
    private static readonly RigidTransform BaseFromColor = new(new Quaternion(-0.5, 0.5, -0.5, 0.5), new Vector3(0, 0, 0));

    /// <summary>Writes the bag and a TUM trajectory (<c>ground_truth.tum</c> beside it: colour optical frame in map).</summary>
    public static SevenScenesImportResult Import(SevenScenesImportOptions options, IProgress<double>? progress = null)
    {
        string frames = Path.Combine(options.Source, "frames");
        string posesPath = Path.Combine(options.Source, "rgb-poses-dslam.txt");
        if (!Directory.Exists(frames)) throw new DirectoryNotFoundException($"{frames}: not found (expected a 7-Scenes scene folder)");
        if (!File.Exists(posesPath)) throw new FileNotFoundException($"{posesPath}: not found (the dSLAM pseudo ground truth of the colour camera)");
        if (options.Step < 1) throw new ArgumentException("step must be at least 1");
        if (!(options.OdometryDrift >= 0) || !(options.OdometryRotationDrift >= 0)) throw new ArgumentException("odometry drift must be non-negative");
        var poses = ReadDslamPoses(posesPath);
        int last = options.LastFrame >= 0 ? options.LastFrame : Directory.EnumerateFiles(frames, "frame-*.color.jpg").Count() - 1;
        if (options.FirstFrame < 0 || last < options.FirstFrame)
        {
            throw new ArgumentException($"frame range {options.FirstFrame}..{last} is empty");
        }
        string tumPath = options.Output.TrimEnd('/', '\\') + ".tum";
        int written = 0, skipped = 0;
        var tum = new List<string> { "# timestamp tx ty tz qx qy qz qw  (camera_color_optical_frame in map, 7-Scenes dSLAM pseudo ground truth)" };
        using (var writer = Rosbag2Writer.Create(options.Output, new Rosbag2WriterOptions { StorageIdentifier = options.Storage }))
        {
            writer.AddTopic<CompressedImage>(Topics.ColorImage);
            writer.AddTopic<CameraInfo>(Topics.ColorInfo);
            writer.AddTopic<CompressedImage>(Topics.DepthImage);
            writer.AddTopic<CameraInfo>(Topics.DepthInfo);
            writer.AddTopic<TFMessage>(Topics.TfStatic, StaticQos);
            writer.AddTopic<TFMessage>(Topics.Tf);
            writer.AddTopic<Odometry>(Topics.Odometry);
            writer.AddTopic<PoseStamped>(Topics.GroundTruth);

            long stamp0 = options.StartTime + FrameTime(options, options.FirstFrame);
            writer.Write(Topics.TfStatic, stamp0, StaticTransforms(RosTime.FromNanoseconds(stamp0)));
            int total = (last - options.FirstFrame) / options.Step + 1;
            var odometry = new DriftingOdometry(options.OdometryDrift, options.OdometryRotationDrift, options.OdometrySeed);
            for (int index = options.FirstFrame; index <= last; index += options.Step)
            {
                string name = $"frame-{index:D6}";
                string color = Path.Combine(frames, name + ".color.jpg");
                string depth = Path.Combine(frames, name + ".depth.png");
                if (!File.Exists(color) || !File.Exists(depth))
                {
                    throw new FileNotFoundException($"{name}: colour or depth file missing in {frames}");
                }
                if (!poses.TryGetValue(index, out var mapFromColor))
                {
                    skipped++;
                    continue;
                }
                long t = options.StartTime + FrameTime(options, index);
                var stamp = RosTime.FromNanoseconds(t);
                writer.Write(Topics.ColorImage, t, new CompressedImage(new Header(stamp, Frames.ColorOptical), "jpeg", File.ReadAllBytes(color)));
                writer.Write(Topics.ColorInfo, t, CameraInfoFor(new Header(stamp, Frames.ColorOptical), 525));
                writer.Write(Topics.DepthImage, t, ImageCodecs.CompressedDepthFromPng(new Header(stamp, Frames.DepthOptical), File.ReadAllBytes(depth)));
                writer.Write(Topics.DepthInfo, t, CameraInfoFor(new Header(stamp, Frames.DepthOptical), 585));

                var mapFromBase = mapFromColor.Compose(BaseFromColor.Inverse());
                var basePose = new Pose(new Point(mapFromBase.Translation.X, mapFromBase.Translation.Y, mapFromBase.Translation.Z), mapFromBase.Rotation);
                var odomFromBase = odometry.Next(mapFromBase);
                var odomPose = new Pose(new Point(odomFromBase.Translation.X, odomFromBase.Translation.Y, odomFromBase.Translation.Z), odomFromBase.Rotation);
                writer.Write(Topics.Odometry, t, new Odometry(new Header(stamp, Frames.Odom), Frames.BaseLink,
                    new PoseWithCovariance(odomPose, new double[36]), new TwistWithCovariance(new Twist(default, default), new double[36])));
                writer.Write(Topics.Tf, t, new TFMessage([new TransformStamped(new Header(stamp, Frames.Odom), Frames.BaseLink, odomFromBase.ToMessage())]));
                writer.Write(Topics.GroundTruth, t, new PoseStamped(new Header(stamp, Frames.Map), basePose));
                var c = mapFromColor;
                tum.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{stamp.Seconds:F9} {c.Translation.X:R} {c.Translation.Y:R} {c.Translation.Z:R} {c.Rotation.X:R} {c.Rotation.Y:R} {c.Rotation.Z:R} {c.Rotation.W:R}"));
                written++;
                progress?.Report((double)written / total);
            }
        }
        File.WriteAllLines(tumPath, tum);
        long bytes = Directory.EnumerateFiles(options.Output).Sum(f => new FileInfo(f).Length);
        return new SevenScenesImportResult(written, skipped, bytes, tumPath);
    }

    /// <summary>Reads rgb-poses-dslam.txt (world-to-camera, COLMAP convention) as T_map_color per frame index.</summary>
    public static Dictionary<int, RigidTransform> ReadDslamPoses(string path)
    {
        var poses = new Dictionary<int, RigidTransform>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || parts[0].StartsWith('#')) continue;
            if (parts.Length < 8) throw new FormatException($"{path}:{lineNumber}: expected 'name qw qx qy qz tx ty tz [f]'");
            int dash = parts[0].LastIndexOf("frame-", StringComparison.Ordinal);
            if (dash < 0 || !int.TryParse(parts[0].AsSpan(dash + 6, 6), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                throw new FormatException($"{path}:{lineNumber}: cannot read a frame index from '{parts[0]}'");
            }
            double P(int i) => double.Parse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture);
            var colorFromMap = new RigidTransform(new Quaternion(P(2), P(3), P(4), P(1)), new Vector3(P(5), P(6), P(7)));
            poses[index] = RigidTransform.From(colorFromMap.ToMessage()).Inverse();
        }
        return poses;
    }

    /// <summary>
    /// Odometry made from ground truth: starts equal to it (odom = map at the first frame), then
    /// integrates each true increment with a systematic, seeded error (see <see cref="SevenScenesImportOptions.OdometryDrift"/>).
    /// </summary>
    private sealed class DriftingOdometry(double drift, double rotationDrift, int seed)
    {
        private readonly Vector3 _direction = RandomUnit(new Random(seed));
        private readonly Vector3 _axis = RandomUnit(new Random(seed + 1));
        private RigidTransform? _lastTruth;
        private RigidTransform _odometry;

        public RigidTransform Next(RigidTransform truth)
        {
            if (_lastTruth is not { } last)
            {
                _odometry = truth;
            }
            else
            {
                var increment = last.Inverse().Compose(truth);
                var t = increment.Translation;
                double length = Math.Sqrt(t.X * t.X + t.Y * t.Y + t.Z * t.Z);
                double angle = 2 * Math.Acos(Math.Min(1, Math.Abs(increment.Rotation.W)));
                var error = new RigidTransform(AxisAngle(_axis, rotationDrift * angle),
                    new Vector3(drift * length * _direction.X, drift * length * _direction.Y, drift * length * _direction.Z));
                _odometry = _odometry.Compose(error.Compose(increment));
            }
            _lastTruth = truth;
            return _odometry;
        }

        private static Vector3 RandomUnit(Random random)
        {
            while (true)
            {
                double x = 2 * random.NextDouble() - 1, y = 2 * random.NextDouble() - 1, z = 2 * random.NextDouble() - 1;
                double n = Math.Sqrt(x * x + y * y + z * z);
                if (n > 0.1 && n <= 1)
                    return new Vector3(x / n, y / n, z / n);
            }
        }

        private static Quaternion AxisAngle(Vector3 axis, double angle)
        {
            double s = Math.Sin(angle / 2);
            return new Quaternion(axis.X * s, axis.Y * s, axis.Z * s, Math.Cos(angle / 2));
        }
    }

    private const string StaticQos =
        "- history: keep_last\n  depth: 1\n  reliability: reliable\n  durability: transient_local\n  deadline:\n    sec: 9223372036\n    nsec: 854775807\n" +
        "  lifespan:\n    sec: 9223372036\n    nsec: 854775807\n  liveliness: automatic\n  liveliness_lease_duration:\n    sec: 9223372036\n    nsec: 854775807\n" +
        "  avoid_ros_namespace_conventions: false";

    private static long FrameTime(SevenScenesImportOptions options, int index) => (long)Math.Round(index * 1e9 / options.FrameRate);

    private static TFMessage StaticTransforms(RosTime stamp)
    {
        var d = DepthToColor;
        var colorFromDepth = new RigidTransform(QuaternionFromMatrix(d[0], d[1], d[2], d[4], d[5], d[6], d[8], d[9], d[10]), new Vector3(d[3], d[7], d[11]));
        return new TFMessage(
        [
            new TransformStamped(new Header(stamp, Frames.BaseLink), Frames.ColorOptical, BaseFromColor.ToMessage()),
            new TransformStamped(new Header(stamp, Frames.ColorOptical), Frames.DepthOptical, colorFromDepth.ToMessage()),
        ]);
    }

    private static CameraInfo CameraInfoFor(Header header, double focal) => new(header, 480, 640, "plumb_bob",
        new double[5], [focal, 0, 320, 0, focal, 240, 0, 0, 1], [1, 0, 0, 0, 1, 0, 0, 0, 1],
        [focal, 0, 320, 0, 0, focal, 240, 0, 0, 0, 1, 0], 0, 0, new RegionOfInterest(0, 0, 0, 0, false));

    // Shepperd's method; the matrix is orthonormalized implicitly by normalizing the quaternion.
    private static Quaternion QuaternionFromMatrix(double m00, double m01, double m02, double m10, double m11, double m12, double m20, double m21, double m22)
    {
        double trace = m00 + m11 + m22;
        double x, y, z, w;
        if (trace > 0)
        {
            double s = Math.Sqrt(trace + 1) * 2;
            w = 0.25 * s; x = (m21 - m12) / s; y = (m02 - m20) / s; z = (m10 - m01) / s;
        }
        else if (m00 > m11 && m00 > m22)
        {
            double s = Math.Sqrt(1 + m00 - m11 - m22) * 2;
            w = (m21 - m12) / s; x = 0.25 * s; y = (m01 + m10) / s; z = (m02 + m20) / s;
        }
        else if (m11 > m22)
        {
            double s = Math.Sqrt(1 + m11 - m00 - m22) * 2;
            w = (m02 - m20) / s; x = (m01 + m10) / s; y = 0.25 * s; z = (m12 + m21) / s;
        }
        else
        {
            double s = Math.Sqrt(1 + m22 - m00 - m11) * 2;
            w = (m10 - m01) / s; x = (m02 + m20) / s; y = (m12 + m21) / s; z = 0.25 * s;
        }
        double n = Math.Sqrt(x * x + y * y + z * z + w * w);
        return new Quaternion(x / n, y / n, z / n, w / n);
    }
}
