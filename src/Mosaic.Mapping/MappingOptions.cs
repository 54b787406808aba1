using Mosaic.Localization.Segmentation;
using Mosaic.Localization.Parameters;
using Mosaic.Mapping.Segmentation;

namespace Mosaic.Mapping;

/// <summary>
/// Every setting of <c>mosaic map build</c>, as in config/mapping.yaml (a ROS 2 parameter file whose
/// node key is <see cref="NodeName"/>). Property names appear in YAML in snake_case; each class
/// validates its own values with an error naming the parameter.
/// </summary>
public sealed class MappingOptions
{
    /// <summary>The node key of the map builder's section in a parameter file.</summary>
    public const string NodeName = "mosaic_map_builder";

    /// <summary>Input topics.</summary>
    public TopicOptions Topics { get; set; } = new();

    /// <summary>Frame names.</summary>
    public FrameOptions Frames { get; set; } = new();

    /// <summary>Where camera poses come from.</summary>
    public PoseOptions Pose { get; set; } = new();

    /// <summary>Colour/depth synchronisation and the time window.</summary>
    public SyncOptions Sync { get; set; } = new();

    /// <summary>Keyframe selection.</summary>
    public KeyframeOptions Keyframes { get; set; } = new();

    /// <summary>Depth fusion into Gaussians.</summary>
    public FusionOptions Fusion { get; set; } = new();

    /// <summary>The segmenter learned (or fitted) on the keyframes.</summary>
    public SegmenterOptions Segmenter { get; set; } = new();

    /// <summary>Label uplifting and smoothing.</summary>
    public UpliftingOptions Uplifting { get; set; } = new();

    /// <summary>The retrieval database.</summary>
    public RetrievalOptions Retrieval { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter out of range.</summary>
    public void Validate()
    {
        Topics.Validate();
        Pose.Validate();
        Sync.Validate();
        Keyframes.Validate();
        Fusion.Validate();
        Segmenter.Validate(Uplifting);
        Uplifting.Validate();
        Retrieval.Validate();
        if (string.IsNullOrWhiteSpace(Frames.Map))
            throw new ArgumentException("frames.map must not be empty");
    }

    /// <summary>
    /// The defaults, then the map builder's sections (node key <see cref="NodeName"/> or <c>/**</c>, then
    /// <c>ros__parameters</c>) of <paramref name="paths"/> in order, then the <c>-p</c>
    /// <paramref name="overrides"/>; validated. Unknown parameters are errors.
    /// </summary>
    /// <exception cref="FormatException">A file is not valid YAML, no file has the section, or a parameter is unknown.</exception>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public static MappingOptions Load(IReadOnlyList<string> paths, IReadOnlyList<(string Name, string Value)> overrides) =>
        ParameterFile.Load<MappingOptions>(paths, overrides, NodeName, o => o.Validate());

    /// <summary>The settings as flat dotted names and values, for the map's provenance.</summary>
    public Dictionary<string, string> Flatten() => ParameterFile.Flatten(this);
}

/// <summary>Input topics (defaults: the topics of <c>mosaic bag import-7scenes</c>).</summary>
public sealed class TopicOptions
{
    /// <summary>sensor_msgs/Image or CompressedImage of the colour camera.</summary>
    public string ColorImage { get; set; } = "/camera/color/image_raw/compressed";

    /// <summary>sensor_msgs/CameraInfo of the colour camera.</summary>
    public string ColorInfo { get; set; } = "/camera/color/camera_info";

    /// <summary>sensor_msgs/Image (16UC1 mm or 32FC1 m) or CompressedImage (compressedDepth) of the depth camera.</summary>
    public string DepthImage { get; set; } = "/camera/depth/image_raw/compressedDepth";

    /// <summary>sensor_msgs/CameraInfo of the depth camera.</summary>
    public string DepthInfo { get; set; } = "/camera/depth/camera_info";

    /// <summary>Static transforms (tf2_msgs/TFMessage): camera extrinsics.</summary>
    public string TfStatic { get; set; } = "/tf_static";

    /// <summary>Dynamic transforms, read when <c>pose.source</c> is tf.</summary>
    public string Tf { get; set; } = "/tf";

    internal void Validate()
    {
        foreach (var (name, value) in new[] { ("color_image", ColorImage), ("color_info", ColorInfo), ("depth_image", DepthImage), ("depth_info", DepthInfo) })
            if (string.IsNullOrWhiteSpace(value))
                throw new ArgumentException($"topics.{name} must not be empty");
    }
}

/// <summary>Frame names.</summary>
public sealed class FrameOptions
{
    /// <summary>The frame the map is built in (REP-105: map). Poses must be given in this frame.</summary>
    public string Map { get; set; } = "map";
}

/// <summary>Where the colour camera's pose comes from.</summary>
public sealed class PoseOptions
{
    /// <summary>
    /// tf: look up frames.map → camera in /tf + /tf_static. topic: a nav_msgs/Odometry,
    /// geometry_msgs/PoseStamped or PoseWithCovarianceStamped topic giving a body frame in frames.map.
    /// tum: a TUM trajectory file (timestamp tx ty tz qx qy qz qw) of tum_frame in frames.map.
    /// </summary>
    public string Source { get; set; } = "tf";

    /// <summary>The pose topic (source: topic).</summary>
    public string Topic { get; set; } = "/ground_truth/pose";

    /// <summary>
    /// The frame whose pose a PoseStamped topic or a TUM file gives (Odometry names its own
    /// child_frame_id); empty means the colour camera's frame. Joined to the camera by /tf_static.
    /// </summary>
    public string BodyFrame { get; set; } = "base_link";

    /// <summary>The TUM trajectory file (source: tum).</summary>
    public string TumFile { get; set; } = "";

    /// <summary>Largest gap (s) between an image stamp and the pose samples around it.</summary>
    public double Tolerance { get; set; } = 0.05;

    internal void Validate()
    {
        if (Source is not ("tf" or "topic" or "tum"))
            throw new ArgumentException($"pose.source '{Source}' must be tf, topic or tum");
        if (Source == "topic" && string.IsNullOrWhiteSpace(Topic))
            throw new ArgumentException("pose.topic must be set when pose.source is topic");
        if (Source == "tum" && string.IsNullOrWhiteSpace(TumFile))
            throw new ArgumentException("pose.tum_file must be set when pose.source is tum");
        if (!(Tolerance >= 0))
            throw new ArgumentException($"pose.tolerance {Tolerance} must be non-negative");
    }
}

/// <summary>Colour/depth synchronisation and the part of the bag used.</summary>
public sealed class SyncOptions
{
    /// <summary>Largest stamp difference (s) between a colour image and the depth image paired with it.</summary>
    public double Tolerance { get; set; } = 0.02;

    /// <summary>Seconds from the bag's first message at which mapping starts.</summary>
    public double Start { get; set; }

    /// <summary>Seconds from the bag's first message at which mapping ends; negative: the end of the bag.</summary>
    public double End { get; set; } = -1;

    internal void Validate()
    {
        if (!(Tolerance >= 0))
            throw new ArgumentException($"sync.tolerance {Tolerance} must be non-negative");
        if (!(Start >= 0) || (End >= 0 && End <= Start))
            throw new ArgumentException($"sync.start {Start} and sync.end {End} make an empty window");
    }
}

/// <summary>Keyframe selection by motion since the last keyframe.</summary>
public sealed class KeyframeOptions
{
    /// <summary>A frame becomes a keyframe after this much translation (m)...</summary>
    public double MinTranslation { get; set; } = 0.05;

    /// <summary>...or this much rotation (degrees) since the last keyframe.</summary>
    public double MinRotationDeg { get; set; } = 5;

    /// <summary>At most this many keyframes (evenly thinned when more qualify); 0 = no limit.</summary>
    public int MaxCount { get; set; }

    internal void Validate()
    {
        if (!(MinTranslation >= 0) || !(MinRotationDeg >= 0))
            throw new ArgumentException("keyframes.min_translation and keyframes.min_rotation_deg must be non-negative");
        if (MaxCount < 0)
            throw new ArgumentException($"keyframes.max_count {MaxCount} must be non-negative");
    }
}

/// <summary>Depth fusion into one Gaussian per occupied voxel.</summary>
public sealed class FusionOptions
{
    /// <summary>Voxel edge (m): sets the map's resolution and size.</summary>
    public double VoxelSize { get; set; } = 0.02;

    /// <summary>Depth readings nearer than this (m) are ignored.</summary>
    public double MinDepth { get; set; } = 0.3;

    /// <summary>Depth readings farther than this (m) are ignored.</summary>
    public double MaxDepth { get; set; } = 4.0;

    /// <summary>Use every n-th depth pixel in each direction.</summary>
    public int PixelStride { get; set; } = 2;

    /// <summary>
    /// A pixel is a depth edge, and ignored, when a 4-neighbour is invalid or differs by more than this
    /// fraction of its depth (flying pixels between foreground and background).
    /// </summary>
    public double DepthEdgeRatio { get; set; } = 0.03;

    /// <summary>Voxels with fewer depth points are dropped.</summary>
    public int MinPoints { get; set; } = 4;

    /// <summary>Voxels seen in fewer keyframes are dropped.</summary>
    public int MinViews { get; set; } = 2;

    /// <summary>Voxels with fewer occupied voxels among their 26 neighbours are dropped (isolated outliers).</summary>
    public int MinNeighbours { get; set; } = 3;

    /// <summary>Opacity of every Gaussian, in (0, 1).</summary>
    public double Opacity { get; set; } = 0.9;

    /// <summary>
    /// Each standard deviation of a voxel's points is multiplied by this before clamping: points
    /// spread uniformly over a voxel have a deviation of only 0.29 voxel, which leaves see-through gaps
    /// between neighbouring Gaussians; widening them closes the surface.
    /// </summary>
    public double ScaleFactor { get; set; } = 1.5;

    /// <summary>Smallest Gaussian standard deviation, as a fraction of the voxel size.</summary>
    public double MinScale { get; set; } = 0.1;

    /// <summary>Largest Gaussian standard deviation, as a fraction of the voxel size.</summary>
    public double MaxScale { get; set; } = 1.0;

    internal void Validate()
    {
        if (!(VoxelSize >= 0.001 && VoxelSize <= 1))
            throw new ArgumentException($"fusion.voxel_size {VoxelSize} must be in [0.001, 1] m");
        if (!(MinDepth >= 0) || !(MaxDepth > MinDepth))
            throw new ArgumentException($"fusion.min_depth {MinDepth} and fusion.max_depth {MaxDepth} make an empty range");
        if (PixelStride < 1)
            throw new ArgumentException($"fusion.pixel_stride {PixelStride} must be at least 1");
        if (!(DepthEdgeRatio > 0))
            throw new ArgumentException($"fusion.depth_edge_ratio {DepthEdgeRatio} must be positive");
        if (MinPoints < 1 || MinViews < 1 || MinNeighbours < 0 || MinNeighbours > 26)
            throw new ArgumentException("fusion.min_points and fusion.min_views must be at least 1, fusion.min_neighbours in [0, 26]");
        if (!(Opacity > 0 && Opacity < 1))
            throw new ArgumentException($"fusion.opacity {Opacity} must be in (0, 1)");
        if (!(ScaleFactor > 0))
            throw new ArgumentException($"fusion.scale_factor {ScaleFactor} must be positive");
        if (!(MinScale > 0) || !(MaxScale >= MinScale))
            throw new ArgumentException($"fusion.min_scale {MinScale} and fusion.max_scale {MaxScale} must satisfy 0 < min <= max");
    }
}

/// <summary>The segmenter the map builder fits or trains, and stores in the map.</summary>
public sealed class SegmenterOptions
{
    /// <summary>
    /// learned: <see cref="LearnedSegmenter"/>, trained on the keyframes for cross-view consistency (the
    /// default: it localizes better, README "Localizing a drive"); color_codebook: the learning-free
    /// <see cref="ColorCodebookSegmenter"/>, three times cheaper per query and the same for every seed.
    /// </summary>
    public string Kind { get; set; } = LearnedSegmenter.TypeName;

    /// <summary>Number of labels K.</summary>
    public int LabelCount { get; set; } = 32;

    /// <summary>Pyramid level of segmentation and uplifting (1 = half resolution).</summary>
    public int Level { get; set; } = 1;

    /// <summary>Seed of sampling, initialisation and k-means++.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>learned: distances (px at level) at which the head also reads the features around a pixel (see <see cref="LearnedSegmenterOptions.ContextTaps"/>).</summary>
    public int[] ContextTaps { get; set; } = [];

    /// <summary>learned: hidden units of the head.</summary>
    public int HiddenCount { get; set; } = 32;

    /// <summary>learned: radius (px at level) of the box filter over label probabilities before the argmax.</summary>
    public int OutputSmoothing { get; set; } = 3;

    /// <summary>learned: every n-th pixel in x and y with depth is a training sample.</summary>
    public int PixelStride { get; set; } = 3;

    /// <summary>learned: edge (m) of the voxels whose pixels count as seeing the same surface.</summary>
    public double CorrespondenceVoxel { get; set; } = 0.06;

    /// <summary>learned: self-labelling rounds.</summary>
    public int Rounds { get; set; } = 10;

    /// <summary>learned: Adam steps per round.</summary>
    public int StepsPerRound { get; set; } = 150;

    /// <summary>learned: samples per step.</summary>
    public int BatchSize { get; set; } = 1024;

    /// <summary>learned: Adam step size.</summary>
    public double LearningRate { get; set; } = 0.01;

    /// <summary>learned: Sinkhorn temperature.</summary>
    public double SinkhornEpsilon { get; set; } = 0.05;

    /// <summary>learned: Sinkhorn normalisation rounds (see <see cref="LearnedSegmenterOptions.SinkhornIterations"/>).</summary>
    public int SinkhornIterations { get; set; } = 30;

    /// <summary>learned: seconds after which training stops early; 0 = no limit.</summary>
    public double TimeBudget { get; set; } = 120;

    /// <summary>color_codebook: pixels sampled per keyframe for fitting.</summary>
    public int SamplesPerImage { get; set; } = 2000;

    /// <summary>color_codebook: Lloyd iterations.</summary>
    public int Iterations { get; set; } = 30;

    /// <summary>color_codebook: box filter radius of the colour features.</summary>
    public int SmoothingRadius { get; set; } = 1;

    /// <summary>color_codebook: window radius of the texture feature.</summary>
    public int TextureRadius { get; set; } = 2;

    /// <summary>color_codebook: weight of the chromaticity features.</summary>
    public double ChromaWeight { get; set; } = 1;

    /// <summary>color_codebook: weight of the lightness feature.</summary>
    public double LightnessWeight { get; set; } = 1;

    /// <summary>color_codebook: weight of the texture feature.</summary>
    public double TextureWeight { get; set; } = 0.5;

    /// <summary>The same settings for <see cref="ColorCodebookSegmenter.Fit"/>.</summary>
    public CodebookOptions ToCodebookOptions() => new()
    {
        LabelCount = LabelCount, Level = Level, Seed = Seed, SamplesPerImage = SamplesPerImage, Iterations = Iterations,
        SmoothingRadius = SmoothingRadius, TextureRadius = TextureRadius,
        ChromaWeight = ChromaWeight, LightnessWeight = LightnessWeight, TextureWeight = TextureWeight,
    };

    /// <summary>
    /// The settings for <see cref="SegmenterTrainer"/>; the targets are smoothed on the same kind of
    /// neighbour graph as the map's labels, so its settings come from <paramref name="graph"/>.
    /// </summary>
    public LearnedSegmenterOptions ToLearnedOptions(UpliftingOptions graph) => new()
    {
        LabelCount = LabelCount, Level = Level, Seed = Seed, ContextTaps = ContextTaps, HiddenCount = HiddenCount, OutputSmoothing = OutputSmoothing, PixelStride = PixelStride,
        CorrespondenceVoxel = CorrespondenceVoxel, Rounds = Rounds, StepsPerRound = StepsPerRound, BatchSize = BatchSize,
        LearningRate = LearningRate, SinkhornEpsilon = SinkhornEpsilon, SinkhornIterations = SinkhornIterations,
        Neighbours = graph.Neighbours, Radius = graph.Radius, DiffusionIterations = graph.DiffusionIterations,
        DiffusionRate = graph.DiffusionRate, TimeBudget = TimeBudget,
    };

    internal void Validate(UpliftingOptions graph)
    {
        if (Kind == LearnedSegmenter.TypeName)
            ToLearnedOptions(graph).Validate();
        else if (Kind == ColorCodebookSegmenter.TypeName)
            ToCodebookOptions().Validate();
        else
            throw new ArgumentException($"segmenter.kind '{Kind}' must be {LearnedSegmenter.TypeName} or {ColorCodebookSegmenter.TypeName}");
    }
}

/// <summary>LUDVIG uplifting and graph smoothing of labels.</summary>
public sealed class UpliftingOptions
{
    /// <summary>Neighbours per Gaussian in the smoothing graph.</summary>
    public int Neighbours { get; set; } = 8;

    /// <summary>Neighbours farther than this many voxel sizes are not linked.</summary>
    public double Radius { get; set; } = 2.5;

    /// <summary>Diffusion steps on the graph; 0 keeps the uplifted distributions.</summary>
    public int DiffusionIterations { get; set; } = 10;

    /// <summary>Share of each step taken from the neighbours (the rest anchors to the uplifted distribution).</summary>
    public double DiffusionRate { get; set; } = 0.5;

    /// <summary>Gaussians whose summed rendering weight over all keyframes is below this are never seen and are removed.</summary>
    public double MinWeight { get; set; } = 0.05;

    /// <summary>
    /// A Gaussian whose second most likely label holds more than this share of its two most likely
    /// labels' probability keeps it as a second label, and a render splits the Gaussian's weight
    /// between the two in that ratio (<see cref="SecondLabels"/>); 0 = one label per Gaussian.
    /// </summary>
    public double SecondLabelShare { get; set; } = 0.1;

    internal void Validate()
    {
        if (Neighbours < 1 || Neighbours > 64)
            throw new ArgumentException($"uplifting.neighbours {Neighbours} must be in [1, 64]");
        if (!(Radius > 0))
            throw new ArgumentException($"uplifting.radius {Radius} must be positive");
        if (DiffusionIterations < 0)
            throw new ArgumentException($"uplifting.diffusion_iterations {DiffusionIterations} must be non-negative");
        if (!(DiffusionRate >= 0 && DiffusionRate < 1))
            throw new ArgumentException($"uplifting.diffusion_rate {DiffusionRate} must be in [0, 1)");
        if (!(MinWeight >= 0))
            throw new ArgumentException($"uplifting.min_weight {MinWeight} must be non-negative");
        if (!(SecondLabelShare >= 0 && SecondLabelShare < 0.5))
            throw new ArgumentException($"uplifting.second_label_share {SecondLabelShare} must be in [0, 0.5) (0: one label per Gaussian)");
    }
}

/// <summary>The retrieval database.</summary>
public sealed class RetrievalOptions
{
    /// <summary>Pyramid level of the label images the descriptors are computed from.</summary>
    public int Level { get; set; } = 2;

    internal void Validate()
    {
        if (Level < 0 || Level > 5)
            throw new ArgumentException($"retrieval.level {Level} must be in [0, 5]");
    }
}
