using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Localization.Retrieval;
using Mosaic.Localization.Segmentation;
using Mosaic.Mapping.Segmentation;
using Mosaic.Rendering;

namespace Mosaic.Mapping;

/// <summary>Progress of one build stage: <see cref="Fraction"/> in [0, 1].</summary>
public readonly record struct BuildProgress(string Stage, double Fraction);

/// <summary>What a build produced and how it went.</summary>
/// <param name="Map">The privacy map, ready to save.</param>
/// <param name="Segmenter">The segmenter fitted on the keyframes (its definition is in the map).</param>
/// <param name="Report">Counts, coverage and timings.</param>
public sealed record BuildResult(PrivacyMap Map, ISegmenter Segmenter, BuildReport Report);

/// <summary>The map builder's report (also stored in the map as build_report.yaml).</summary>
public sealed class BuildReport
{
    /// <summary>Colour images in the time window.</summary>
    public int ColorImages { get; set; }
    /// <summary>Skipped: no depth image within the sync tolerance.</summary>
    public int SkippedWithoutDepth { get; set; }
    /// <summary>Skipped: no pose at the image stamp.</summary>
    public int SkippedWithoutPose { get; set; }
    /// <summary>Frames with depth and pose.</summary>
    public int Candidates { get; set; }
    /// <summary>Keyframes used.</summary>
    public int Keyframes { get; set; }
    /// <summary>Keyframes left out because their colour or depth image could not be decoded (each one is also a warning).</summary>
    public int UndecodableKeyframes { get; set; }
    /// <summary>Depth fusion counts.</summary>
    public FusionStatistics? Fusion { get; set; }
    /// <summary>Gaussians removed because no keyframe saw them.</summary>
    public int UnseenGaussians { get; set; }
    /// <summary>Gaussians whose label smoothing changed.</summary>
    public int RelabelledBySmoothing { get; set; }
    /// <summary>Gaussians that carry a second label (<see cref="UpliftingOptions.SecondLabelShare"/>).</summary>
    public int SecondLabels { get; set; }
    /// <summary>Gaussians in the map.</summary>
    public int Gaussians { get; set; }
    /// <summary>Number of labels K.</summary>
    public int LabelCount { get; set; }
    /// <summary>Mean share of keyframe pixels the finished map covers (A ≥ 0.5), at the retrieval level.</summary>
    public double KeyframeCoverage { get; set; }
    /// <summary>How the learned segmenter's training went (null for the colour codebook).</summary>
    public TrainingReport? Training { get; set; }
    /// <summary>Seconds per stage, in order.</summary>
    public List<(string Stage, double Seconds)> Timings { get; } = [];
    /// <summary>Warnings from the input.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>The report as YAML text.</summary>
    public string ToYaml()
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.Append("# Mosaic map build report\n");
        s.Append(c, $"color_images: {ColorImages}\nskipped_without_depth: {SkippedWithoutDepth}\nskipped_without_pose: {SkippedWithoutPose}\n");
        s.Append(c, $"candidates: {Candidates}\nkeyframes: {Keyframes}\nundecodable_keyframes: {UndecodableKeyframes}\n");
        if (Fusion is not null)
        {
            s.Append(c, $"fusion:\n  points: {Fusion.Points}\n  edge_points: {Fusion.EdgePoints}\n  voxels: {Fusion.Voxels}\n");
            s.Append(c, $"  sparse_voxels: {Fusion.SparseVoxels}\n  isolated_voxels: {Fusion.IsolatedVoxels}\n  gaussians: {Fusion.Gaussians}\n");
        }
        s.Append(c, $"unseen_gaussians: {UnseenGaussians}\nrelabelled_by_smoothing: {RelabelledBySmoothing}\nsecond_labels: {SecondLabels}\ngaussians: {Gaussians}\nlabel_count: {LabelCount}\n");
        if (Training is not null)
        {
            s.Append(c, $"segmenter_training:\n  views: {Training.Views}\n  samples: {Training.Samples}\n  voxels: {Training.Voxels}\n");
            s.Append(c, $"  seconds: {Training.Seconds:F2}\n  stopped_by_budget: {(Training.StoppedByBudget ? "true" : "false")}\n  rounds:  # loss (nats), view consistency, labels used\n");
            foreach (var round in Training.Rounds)
                s.Append(c, $"    - [{round.Loss:F4}, {round.ViewConsistency:F4}, {round.LabelsUsed}]\n");
        }
        s.Append(c, $"keyframe_coverage: {KeyframeCoverage:F4}\ntimings_s:\n");
        foreach (var (stage, seconds) in Timings)
            s.Append(c, $"  {stage.Replace(' ', '_')}: {seconds:F3}\n");
        if (Warnings.Count > 0)
        {
            s.Append("warnings:\n");
            foreach (var w in Warnings)
                s.Append($"  - \"{w.Replace("\"", "'")}\"\n");
        }
        return s.ToString();
    }
}

/// <summary>
/// The map builder (DESIGN.md §7): bag → synchronised frames with poses → keyframes → depth fusion
/// → segmenter trained (or fitted) on the keyframes → keyframe labels → LUDVIG uplifting → graph smoothing →
/// hard labels → retrieval database of label images rendered from the map.
/// </summary>
public sealed class MapBuilder
{
    /// <summary>Stage names, in the order they run (for progress displays).</summary>
    public static readonly IReadOnlyList<string> Stages =
        ["scanning bag", "fusing depth", "fitting segmenter", "segmenting keyframes", "uplifting labels", "smoothing labels", "rendering keyframes"];

    private readonly MappingOptions _options;

    /// <summary>A builder with validated options.</summary>
    public MapBuilder(MappingOptions options)
    {
        options.Validate();
        _options = options;
    }

    /// <summary>Builds a map from the drive in <paramref name="bagPath"/>.</summary>
    /// <exception cref="MappingInputException">The drive lacks what the options ask for, or yields no map.</exception>
    public BuildResult Build(string bagPath, IProgress<BuildProgress>? progress = null)
    {
        var report = new BuildReport();
        var clock = Stopwatch.StartNew();
        void Done(string stage)
        {
            report.Timings.Add((stage, clock.Elapsed.TotalSeconds));
            progress?.Report(new BuildProgress(stage, 1));
            clock.Restart();
        }
        IProgress<double> StageProgress(string stage) => new SynchronousProgress(f => progress?.Report(new BuildProgress(stage, f)));

        var source = BagFrameSource.Scan(bagPath, _options, StageProgress(Stages[0]));
        report.ColorImages = source.ColorImages;
        report.SkippedWithoutDepth = source.SkippedWithoutDepth;
        report.SkippedWithoutPose = source.SkippedWithoutPose;
        report.Candidates = source.Candidates.Count;
        report.Warnings.AddRange(source.Warnings);
        var keyframes = KeyframeSelector.Select(source.Candidates, _options.Keyframes);
        report.Keyframes = keyframes.Count;
        if (keyframes.Count == 0)
            throw new MappingInputException($"{bagPath}: none of the {source.ColorImages} colour images has both a depth image and a pose " +
                $"({source.SkippedWithoutDepth} without depth within {_options.Sync.Tolerance} s, {source.SkippedWithoutPose} without a pose sample within pose.tolerance {_options.Pose.Tolerance} s)");
        Done(Stages[0]);

        var fusion = new DepthFusion(_options.Fusion);
        var trainer = _options.Segmenter.Kind == LearnedSegmenter.TypeName ? new SegmenterTrainer(_options.Segmenter.ToLearnedOptions(_options.Uplifting)) : null;
        var images = new List<(RgbImage Image, Se3 MapFromColor, long Stamp)>();
        var undecodable = new List<string>();
        foreach (var frame in source.ReadFrames(keyframes, "keyframe", undecodable, warning: null))
        {
            fusion.Add(frame.Depth, frame.DepthCamera, frame.MapFromColor * frame.ColorFromDepth);
            trainer?.AddView(frame);
            images.Add((frame.Color, frame.MapFromColor, frame.Stamp));
            progress?.Report(new BuildProgress(Stages[1], (double)(images.Count + undecodable.Count) / keyframes.Count));
        }
        report.UndecodableKeyframes = undecodable.Count;
        report.Keyframes = images.Count;
        report.Warnings.AddRange(undecodable);
        if (images.Count == 0)
            throw new MappingInputException($"{bagPath}: no keyframe's images could be decoded ({undecodable[0]})");
        int k = _options.Segmenter.LabelCount;
        var (geometry, fusionStatistics) = fusion.Build(k);
        report.Fusion = fusionStatistics;
        if (geometry.Count == 0)
            throw new MappingInputException($"{bagPath}: depth fusion kept no voxel ({fusionStatistics.Points} points in {fusionStatistics.Voxels} voxels " +
                $"from {keyframes.Count} keyframe{(keyframes.Count == 1 ? "" : "s")}; check fusion.min_depth/max_depth, the depth topic's units and fusion.min_views, {_options.Fusion.MinViews})");
        Done(Stages[1]);

        ISegmenter segmenter;
        if (trainer is null)
        {
            segmenter = ColorCodebookSegmenter.Fit(images.Select(i => i.Image).ToList(), _options.Segmenter.ToCodebookOptions());
        }
        else
        {
            try
            {
                (segmenter, report.Training) = trainer.Train(StageProgress(Stages[2]));
            }
            catch (InvalidOperationException e)
            {
                throw new MappingInputException($"{bagPath}: {e.Message}");
            }
            if (report.Training.StoppedByBudget)
                report.Warnings.Add($"segmenter training stopped by segmenter.time_budget ({_options.Segmenter.TimeBudget} s) after {report.Training.Rounds.Count} of {_options.Segmenter.Rounds} rounds; the result depends on this machine's speed");
        }
        Done(Stages[2]);

        int level = segmenter.Level;
        var colorAtLevel = source.ColorCamera.AtLevel(level);
        var pinhole = colorAtLevel.Intrinsics;
        var undistorter = colorAtLevel.IsPinhole ? null : new Undistorter(colorAtLevel, pinhole);
        var labelImages = new Image<ushort>[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var labels = segmenter.Segment(images[i].Image);
            labelImages[i] = undistorter?.ResampleNearest(labels) ?? labels;
            progress?.Report(new BuildProgress(Stages[3], (double)(i + 1) / images.Count));
        }
        Done(Stages[3]);

        var sums = new float[geometry.Count * k];
        var uplifter = new CpuLabelRenderer<float>(geometry);
        for (int i = 0; i < images.Count; i++)
        {
            uplifter.UpliftLabels(images[i].MapFromColor.Inverse(), pinhole, labelImages[i], sums);
            progress?.Report(new BuildProgress(Stages[4], (double)(i + 1) / images.Count));
        }
        Done(Stages[4]);

        var map = Smooth(geometry, sums, k, report);
        if (map.Count == 0)
            throw new MappingInputException($"{bagPath}: no Gaussian was seen by a keyframe with weight >= uplifting.min_weight {_options.Uplifting.MinWeight}");
        Done(Stages[5]);

        var renderer = new CpuLabelRenderer<float>(map);
        var retrievalCamera = source.ColorCamera.Intrinsics.AtLevel(_options.Retrieval.Level);
        var database = new List<Keyframe>();
        double coverage = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var labels = renderer.RenderHardLabels(images[i].MapFromColor.Inverse(), retrievalCamera);
            coverage += labels.Data.Count(l => l != Labels.Ignore) / (double)labels.Data.Length;
            database.Add(new Keyframe(images[i].Stamp, images[i].MapFromColor, GlobalDescriptor.Compute(labels, k)));
            progress?.Report(new BuildProgress(Stages[6], (double)(i + 1) / images.Count));
        }
        report.KeyframeCoverage = coverage / images.Count;
        report.Gaussians = map.Count;
        report.LabelCount = k;
        Done(Stages[6]);

        var provenance = new MapProvenance
        {
            Tool = "mosaic map build",
            Created = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            Source = Path.GetFullPath(bagPath),
            Parameters = _options.Flatten(),
        };
        var privacyMap = new PrivacyMap(_options.Frames.Map, map, provenance)
        {
            Keyframes = new KeyframeDatabase(retrievalCamera, GlobalDescriptor.Length(k), database),
            SegmenterDefinition = segmenter.Definition(),
            BuildReport = report.ToYaml(),
        };
        return new BuildResult(privacyMap, segmenter, report);
    }

    /// <summary>
    /// Normalises each Gaussian's uplifted label weights into a distribution, drops Gaussians no
    /// keyframe saw, diffuses on the neighbour graph and takes the most likely label, keeping the second
    /// where it holds enough of the two (<see cref="UpliftingOptions.SecondLabelShare"/>).
    /// </summary>
    private GaussianMap Smooth(GaussianMap geometry, float[] sums, int k, BuildReport report)
    {
        var options = _options.Uplifting;
        int n = geometry.Count;
        var keep = new List<int>();
        for (int i = 0; i < n; i++)
        {
            double total = 0;
            for (int l = 0; l < k; l++)
                total += sums[i * k + l];
            if (total >= options.MinWeight)
                keep.Add(i);
        }
        report.UnseenGaussians = n - keep.Count;
        var map = new GaussianMap(keep.Count, k);
        var distributions = new float[keep.Count * k];
        for (int j = 0; j < keep.Count; j++)
        {
            int i = keep[j];
            Array.Copy(geometry.Positions, 3 * i, map.Positions, 3 * j, 3);
            Array.Copy(geometry.LogScales, 3 * i, map.LogScales, 3 * j, 3);
            Array.Copy(geometry.Rotations, 4 * i, map.Rotations, 4 * j, 4);
            map.OpacityLogits[j] = geometry.OpacityLogits[i];
            float total = 0;
            for (int l = 0; l < k; l++)
                total += sums[i * k + l];
            for (int l = 0; l < k; l++)
                distributions[j * k + l] = sums[i * k + l] / total;
        }
        double voxel = _options.Fusion.VoxelSize;
        var graph = NeighbourGraph.Build(map.Positions, options.Neighbours, options.Radius * voxel, voxel);
        var smoothed = LabelDiffusion.Diffuse(distributions, k, graph, options.DiffusionIterations, options.DiffusionRate);
        var before = LabelDiffusion.ArgMax(distributions, k, 0);
        var after = LabelDiffusion.ArgMax(smoothed, k, 0);
        after.CopyTo(map.Labels, 0);
        report.RelabelledBySmoothing = before.Zip(after).Count(p => p.First != p.Second);
        if (options.SecondLabelShare > 0)
            (map, report.SecondLabels) = SecondLabels.Add(map, smoothed, options.SecondLabelShare);
        return map;
    }

    /// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
