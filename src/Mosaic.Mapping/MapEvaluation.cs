using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Localization.Depth;
using Mosaic.Localization.Segmentation;
using Mosaic.Rendering;

namespace Mosaic.Mapping;

/// <summary>How close a picture reconstructed from map data comes to the real image.</summary>
/// <param name="Psnr">Mean PSNR (dB) over frames, on pixels the map covers.</param>
/// <param name="Ssim">Mean SSIM over frames, on windows the map covers.</param>
public sealed record InversionScore(double Psnr, double Ssim);

/// <summary>One held-out frame kept for pictures.</summary>
public sealed record EvaluationSample(long Stamp, RgbImage Real, Image<ushort> Query, Image<ushort> Rendered, RgbImage LabelMeanColor, RgbImage TrueColor);

/// <summary>
/// What <see cref="MapEvaluation"/> measured on held-out frames (not keyframes of the map).
/// </summary>
/// <param name="Frames">Held-out frames evaluated.</param>
/// <param name="MappingFrames">Keyframes of the map found in the bag and decoded (used by the inversion attacks).</param>
/// <param name="Labels">Label agreement between segmented queries and the map rendered at the true pose, and coverage.</param>
/// <param name="MedianDepthError">Median |rendered − measured depth| (m) over covered pixels with a depth reading.</param>
/// <param name="LabelMeanColor">Attack: each rendered label painted with the mean colour of its pixels in the mapping images.</param>
/// <param name="DefinitionColor">Attack without images: each label painted with the colour decoded from segmenter.yaml alone (<see cref="ISegmenter.LabelColors"/>).</param>
/// <param name="TrueColorMap">Reference: a map that stores true colours per Gaussian (what a privacy map must not be).</param>
/// <param name="FlatColor">Reference: every pixel the mean colour of the mapping images.</param>
/// <param name="Samples">A few frames for pictures.</param>
public sealed record MapEvaluationResult(int Frames, int MappingFrames, LabelAgreementResult Labels, double MedianDepthError,
    InversionScore LabelMeanColor, InversionScore DefinitionColor, InversionScore TrueColorMap, InversionScore FlatColor, IReadOnlyList<EvaluationSample> Samples);

/// <summary>
/// Measures a built map against a drive: label consistency and depth fidelity on frames the map was
/// not built from, and how well an attacker could paint pictures from the map (inversion).
/// </summary>
public static class MapEvaluation
{
    /// <summary>
    /// Runs the evaluation. <paramref name="options"/>' sync window selects the held-out frames. A frame
    /// whose image cannot be decoded is left out; it and the drive's own warnings go to <paramref name="warning"/>.
    /// </summary>
    public static MapEvaluationResult Run(PrivacyMap map, string bagPath, MappingOptions options, int step, int samples, IProgress<double>? progress = null,
        Action<string>? warning = null)
    {
        var warned = new HashSet<string>();
        void Warn(string message)
        {
            if (warned.Add(message))
                warning?.Invoke(message);
        }
        if (map.SegmenterDefinition is null || map.Keyframes is null)
            throw new MappingInputException("the map has no segmenter or keyframes (build it with `mosaic map build`)");
        var segmenter = Segmenters.Load(map.SegmenterDefinition, "segmenter.yaml");
        int k = map.Gaussians.LabelCount;
        var renderer = new CpuLabelRenderer<float>(map.Gaussians);

        // The mapping images: the map's keyframes, read back from the bag.
        var mappingOptions = MappingOptionsWithWindow(options, 0, -1);
        var mappingSource = BagFrameSource.Scan(bagPath, mappingOptions);
        foreach (var w in mappingSource.Warnings)
            Warn(w);
        if (!mappingSource.ColorCamera.IsPinhole)
            throw new MappingInputException("map evaluation compares pixels directly and supports undistorted colour cameras only");
        var camera = mappingSource.ColorCamera.Intrinsics.AtLevel(segmenter.Level);
        var keyStamps = map.Keyframes.Keyframes.Select(f => f.Stamp).ToHashSet();
        var mappingFrames = mappingSource.Candidates.Where(c => keyStamps.Contains(c.ColorStamp)).ToList();
        var labelColorSums = new double[k * 3];
        var labelCounts = new long[k];
        var gaussianColors = new float[map.Gaussians.Count * 3];
        var gaussianWeights = new float[map.Gaussians.Count];
        var flat = new double[3];
        long flatCount = 0;
        int mappingRead = 0;
        var lostKeyframes = new List<string>();
        foreach (var frame in mappingSource.ReadFrames(mappingFrames, "keyframe", lostKeyframes, Warn))
        {
            mappingRead++;
            var image = frame.Color.AtLevel(segmenter.Level);
            var camFromMap = frame.MapFromColor.Inverse();
            var labels = renderer.RenderHardLabels(camFromMap, camera);
            var features = new float[image.Rgb.Length];
            for (int p = 0; p < labels.Data.Length; p++)
            {
                for (int c = 0; c < 3; c++)
                {
                    features[3 * p + c] = image.Rgb[3 * p + c];
                    flat[c] += image.Rgb[3 * p + c];
                }
                flatCount++;
                if (labels.Data[p] == Labels.Ignore)
                    continue;
                labelCounts[labels.Data[p]]++;
                for (int c = 0; c < 3; c++)
                    labelColorSums[labels.Data[p] * 3 + c] += image.Rgb[3 * p + c];
            }
            renderer.UpliftFeatures(camFromMap, camera, features, 3, gaussianColors, gaussianWeights);
        }
        if (mappingRead == 0 && lostKeyframes.Count > 0)
            throw new MappingInputException($"{bagPath}: none of the map's {mappingFrames.Count} keyframes' images could be decoded ({lostKeyframes[0]})");
        if (flatCount == 0)
            throw new MappingInputException($"{bagPath}: none of the map's keyframes is in this bag; evaluate against the drive the map was built from");
        var labelMean = new (byte, byte, byte)[k];
        for (int l = 0; l < k; l++)
            labelMean[l] = labelCounts[l] == 0 ? ((byte)0, (byte)0, (byte)0) : (Byte(labelColorSums[3 * l] / labelCounts[l]), Byte(labelColorSums[3 * l + 1] / labelCounts[l]), Byte(labelColorSums[3 * l + 2] / labelCounts[l]));
        var flatColor = (Byte(flat[0] / flatCount), Byte(flat[1] / flatCount), Byte(flat[2] / flatCount));
        for (int i = 0; i < gaussianWeights.Length; i++)
            for (int c = 0; c < 3; c++)
                gaussianColors[3 * i + c] = gaussianWeights[i] > 0 ? gaussianColors[3 * i + c] / gaussianWeights[i] : 0;
        var definitionColors = segmenter.LabelColors();

        // The held-out frames.
        var heldOutSource = BagFrameSource.Scan(bagPath, options);
        foreach (var w in heldOutSource.Warnings)
            Warn(w);
        var heldOut = heldOutSource.Candidates.Where(c => !keyStamps.Contains(c.ColorStamp)).Where((_, i) => i % step == 0).ToList();
        if (heldOut.Count == 0)
            throw new MappingInputException($"{bagPath}: no held-out frame in the chosen window");
        var sampleIndices = Enumerable.Range(0, samples).Select(i => (int)((i + 0.5) * heldOut.Count / samples)).ToHashSet();
        var agreement = new LabelAgreement(k);
        var surfaces = new CentreGrid(map.Gaussians, LabelAgreement.SurfaceRadius);
        var depthErrors = new List<float>();
        var scores = new double[4, 2];
        var scoreCounts = new int[4, 2];
        var kept = new List<EvaluationSample>();
        int index = 0;
        var lostFrames = new List<string>();
        foreach (var frame in heldOutSource.ReadFrames(heldOut, "frame", lostFrames, Warn))
        {
            var image = frame.Color.AtLevel(segmenter.Level);
            var query = segmenter.Segment(frame.Color);
            var camFromMap = frame.MapFromColor.Inverse();
            var rendered = renderer.Render(camFromMap, camera);
            var labels = rendered.HardLabels();
            var measured = DepthRegistration.Register(frame.Depth, frame.DepthCamera, frame.ColorFromDepth, new CameraModel(camera, DistortionModel.None));
            agreement.Add(query, labels, SurfaceLabels.Lookup(surfaces, map.Gaussians.Labels, measured, camera, frame.MapFromColor), frame.Stamp);
            var mask = labels.Data.Select(l => l != Labels.Ignore).ToArray();
            for (int p = 0; p < measured.Length; p++)
                if (mask[p] && !float.IsNaN(measured[p]) && !float.IsNaN(rendered.Depth[p]))
                    depthErrors.Add(Math.Abs(rendered.Depth[p] - measured[p]));

            var labelMeanImage = Paint(labels, labelMean);
            var trueColor = renderer.RenderFeatures(camFromMap, camera, gaussianColors, 3);
            var trueColorImage = new RgbImage(camera.Width, camera.Height, trueColor.Select(v => float.IsNaN(v) ? (byte)0 : Byte(v)).ToArray());
            var estimates = new[]
            {
                labelMeanImage,
                Paint(labels, definitionColors),
                trueColorImage,
                Paint(labels, Enumerable.Repeat(flatColor, k).ToArray()),
            };
            for (int e = 0; e < estimates.Length; e++)
            {
                Add(scores, scoreCounts, e, 0, ImageQuality.Psnr(image, estimates[e], mask));
                Add(scores, scoreCounts, e, 1, ImageQuality.Ssim(image, estimates[e], mask));
            }
            if (sampleIndices.Contains(index))
                kept.Add(new EvaluationSample(frame.Stamp, image, query, labels, labelMeanImage, trueColorImage));
            index++;
            progress?.Report((double)(index + lostFrames.Count) / heldOut.Count);
        }
        if (index == 0 && lostFrames.Count > 0)
            throw new MappingInputException($"{bagPath}: none of the {heldOut.Count} held-out frames' images could be decoded ({lostFrames[0]})");
        InversionScore Score(int e) => new(scores[e, 0] / Math.Max(1, scoreCounts[e, 0]), scores[e, 1] / Math.Max(1, scoreCounts[e, 1]));
        depthErrors.Sort();
        return new MapEvaluationResult(index, mappingRead, agreement.Result(),
            depthErrors.Count == 0 ? double.NaN : depthErrors[depthErrors.Count / 2],
            Score(0), Score(1), Score(2), Score(3), kept);
    }

    private static void Add(double[,] sums, int[,] counts, int e, int metric, double value)
    {
        if (!double.IsFinite(value))
            return;
        sums[e, metric] += value;
        counts[e, metric]++;
    }

    private static byte Byte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);

    private static RgbImage Paint(Image<ushort> labels, (byte R, byte G, byte B)[] colors)
    {
        var rgb = new byte[3 * labels.Data.Length];
        for (int p = 0; p < labels.Data.Length; p++)
        {
            ushort l = labels.Data[p];
            if (l == Labels.Ignore)
                continue;
            (rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]) = colors[l];
        }
        return new RgbImage(labels.Width, labels.Height, rgb);
    }

    private static MappingOptions MappingOptionsWithWindow(MappingOptions options, double start, double end)
    {
        var copy = new MappingOptions
        {
            Topics = options.Topics, Frames = options.Frames, Pose = options.Pose, Keyframes = options.Keyframes,
            Fusion = options.Fusion, Segmenter = options.Segmenter, Uplifting = options.Uplifting, Retrieval = options.Retrieval,
            Sync = new SyncOptions { Tolerance = options.Sync.Tolerance, Start = start, End = end },
        };
        return copy;
    }
}
