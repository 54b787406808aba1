namespace Mosaic.Localization.Parameters;

/// <summary>
/// The localization node's parameters as far as localizing a drive goes (config/mosaic.yaml, node key
/// <see cref="NodeName"/>): input topics, frames, the odometry source and the <see cref="LocalizerOptions"/>.
/// <c>mosaic eval</c> reads the same file, so a bag is replayed exactly as the node would see it.
/// </summary>
public sealed class LocalizationParameters
{
    /// <summary>The node key of the localizer's section in a parameter file.</summary>
    public const string NodeName = "mosaic";

    /// <summary>The map directory (from <c>mosaic map build</c>); the node needs it, <c>mosaic eval --map</c> overrides it.</summary>
    public string Map { get; set; } = "";

    /// <summary>Input and output topics.</summary>
    public LocalizationTopics Topics { get; set; } = new();

    /// <summary>Frame names (REP-105).</summary>
    public LocalizationFrames Frames { get; set; } = new();

    /// <summary>Where odometry comes from.</summary>
    public OdometryParameters Odometry { get; set; } = new();

    /// <summary>Pairing of depth images with colour images, when <see cref="LocalizationTopics.Depth"/> is set.</summary>
    public DepthParameters Depth { get; set; } = new();

    /// <summary>The localizer itself.</summary>
    public LocalizerOptions Localizer { get; set; } = new();

    /// <summary>What the node publishes besides the pose.</summary>
    public PublishParameters Publish { get; set; } = new();

    /// <summary>Where rendering and refinement run.</summary>
    public ComputeParameters Compute { get; set; } = new();

    /// <summary>Stamp the node's own messages (diagnostics) with /clock time instead of the system clock (ROS convention).</summary>
    public bool UseSimTime { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter out of range.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { ("topics.image", Topics.Image), ("topics.camera_info", Topics.CameraInfo), ("topics.tf", Topics.Tf), ("topics.tf_static", Topics.TfStatic),
                     ("topics.initial_pose", Topics.InitialPose), ("topics.pose", Topics.Pose), ("topics.diagnostics", Topics.Diagnostics),
                     ("topics.debug_query_labels", Topics.DebugQueryLabels), ("topics.debug_rendered_labels", Topics.DebugRenderedLabels), ("topics.map_cloud", Topics.MapCloud),
                     ("frames.map", Frames.Map), ("frames.odom", Frames.Odom), ("frames.base", Frames.Base) })
        {
            if (string.IsNullOrWhiteSpace(value))
                throw new ArgumentException($"{name} must not be empty");
        }
        if (Odometry.Source is not ("topic" or "tf" or "none"))
            throw new ArgumentException($"odometry.source '{Odometry.Source}' must be topic, tf or none");
        if (Odometry.Source == "topic" && string.IsNullOrWhiteSpace(Topics.Odometry))
            throw new ArgumentException("topics.odometry must not be empty when odometry.source is topic");
        if (!(Odometry.Tolerance > 0))
            throw new ArgumentException($"odometry.tolerance {Odometry.Tolerance} must be positive");
        if (!string.IsNullOrWhiteSpace(Topics.Depth) && string.IsNullOrWhiteSpace(Topics.DepthCameraInfo))
            throw new ArgumentException("topics.depth_camera_info must not be empty when topics.depth is set");
        if (!(Depth.Tolerance > 0))
            throw new ArgumentException($"depth.tolerance {Depth.Tolerance} must be positive");
        if (!(Publish.TransformTolerance >= 0))
            throw new ArgumentException($"publish.transform_tolerance {Publish.TransformTolerance} must not be negative");
        if (!(Publish.DiagnosticsPeriod > 0))
            throw new ArgumentException($"publish.diagnostics_period {Publish.DiagnosticsPeriod} must be positive");
        if (Compute.Backend is not ("auto" or "cpu" or "cuda"))
            throw new ArgumentException($"compute.backend '{Compute.Backend}' must be auto, cpu or cuda");
        if (Compute.Device < 0)
            throw new ArgumentException($"compute.device {Compute.Device} must not be negative");
        Localizer.Validate();
    }

    /// <summary>The defaults, then the node's sections of <paramref name="paths"/> in order, then the <c>-p</c> <paramref name="overrides"/>; validated.</summary>
    /// <exception cref="FormatException">Not YAML, no file has the section, or an unknown parameter.</exception>
    /// <exception cref="ArgumentException">A value out of range.</exception>
    public static LocalizationParameters Load(IReadOnlyList<string> paths, IReadOnlyList<(string Name, string Value)> overrides) =>
        ParameterFile.Load<LocalizationParameters>(paths, overrides, NodeName, p => p.Validate());
}

/// <summary>
/// Topics (input defaults: the topics of <c>mosaic bag import-7scenes</c>). Names without a leading
/// <c>/</c> are relative to the node's namespace; <c>~/</c> names are private to the node.
/// </summary>
public sealed class LocalizationTopics
{
    /// <summary>Camera images: sensor_msgs/Image or CompressedImage.</summary>
    public string Image { get; set; } = "/camera/color/image_raw/compressed";

    /// <summary>sensor_msgs/CameraInfo of the camera.</summary>
    public string CameraInfo { get; set; } = "/camera/color/camera_info";

    /// <summary>
    /// Depth images (sensor_msgs/Image 16UC1 mm or 32FC1 m, or compressedDepth) of an RGB-D camera,
    /// for depth refinement (<see cref="LocalizerOptions.DepthMinSupport"/>); empty (the default):
    /// colour only. <c>mosaic bag import-7scenes</c> writes them on /camera/depth/image_raw/compressedDepth.
    /// </summary>
    public string Depth { get; set; } = "";

    /// <summary>sensor_msgs/CameraInfo of the depth camera, read when <see cref="Depth"/> is set.</summary>
    public string DepthCameraInfo { get; set; } = "/camera/depth/camera_info";

    /// <summary>nav_msgs/Odometry (frames.odom → frames.base), read when odometry.source is topic.</summary>
    public string Odometry { get; set; } = "/odom";

    /// <summary>Transforms, read when odometry.source is tf.</summary>
    public string Tf { get; set; } = "/tf";

    /// <summary>Static transforms: frames.base → camera.</summary>
    public string TfStatic { get; set; } = "/tf_static";

    /// <summary>geometry_msgs/PoseWithCovarianceStamped of frames.base in frames.map, as RViz's "2D Pose Estimate" sends it.</summary>
    public string InitialPose { get; set; } = "/initialpose";

    /// <summary>Output: the localized pose of frames.base in frames.map (PoseWithCovarianceStamped, latched).</summary>
    public string Pose { get; set; } = "~/pose";

    /// <summary>Output: diagnostic_msgs/DiagnosticArray.</summary>
    public string Diagnostics { get; set; } = "/diagnostics";

    /// <summary>Output when publish.debug_images: the query's labels as a palette-coloured sensor_msgs/Image.</summary>
    public string DebugQueryLabels { get; set; } = "~/debug/query_labels";

    /// <summary>Output when publish.debug_images: the map's labels rendered at the localized pose.</summary>
    public string DebugRenderedLabels { get; set; } = "~/debug/rendered_labels";

    /// <summary>Output when publish.map_cloud: the map's Gaussians as a latched sensor_msgs/PointCloud2 in frames.map, for RViz.</summary>
    public string MapCloud { get; set; } = "~/map_cloud";
}

/// <summary>What the node publishes besides the pose.</summary>
public sealed class PublishParameters
{
    /// <summary>Broadcast frames.map → frames.odom on /tf (REP-105).</summary>
    public bool Tf { get; set; } = true;

    /// <summary>Seconds added to the image stamp of the map → odom transform, so TF users can look it up until the next fix (as AMCL).</summary>
    public double TransformTolerance { get; set; } = 1.0;

    /// <summary>Seconds between diagnostics messages.</summary>
    public double DiagnosticsPeriod { get; set; } = 1.0;

    /// <summary>Publish query and rendered label images (costs a render per frame).</summary>
    public bool DebugImages { get; set; }

    /// <summary>Publish the map's Gaussians once, latched, on topics.map_cloud (as map_server publishes its map).</summary>
    public bool MapCloud { get; set; } = true;
}

/// <summary>Where rendering and refinement run (DESIGN.md §6).</summary>
public sealed class ComputeParameters
{
    /// <summary>auto (CUDA when it initialises, else the CPU with the reason logged), cpu or cuda (CUDA or an error).</summary>
    public string Backend { get; set; } = "auto";

    /// <summary>GPU ordinal as the CUDA driver numbers them.</summary>
    public int Device { get; set; }
}

/// <summary>Frame names.</summary>
public sealed class LocalizationFrames
{
    /// <summary>The map's frame; poses are published in it.</summary>
    public string Map { get; set; } = "map";

    /// <summary>The odometry frame.</summary>
    public string Odom { get; set; } = "odom";

    /// <summary>The robot's body frame, child of odometry.</summary>
    public string Base { get; set; } = "base_link";
}

/// <summary>How depth images are paired with colour images.</summary>
public sealed class DepthParameters
{
    /// <summary>Seconds: largest stamp difference between a colour image and the depth image it is paired with.</summary>
    public double Tolerance { get; set; } = 0.02;
}

/// <summary>The odometry source.</summary>
public sealed class OdometryParameters
{
    /// <summary>topic (nav_msgs/Odometry on topics.odometry), tf (frames.odom → frames.base on topics.tf) or none.</summary>
    public string Source { get; set; } = "topic";

    /// <summary>Seconds: largest gap between an image stamp and the odometry samples around it.</summary>
    public double Tolerance { get; set; } = 0.1;
}
