using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using Mosaic.Core.Imaging;

namespace Mosaic.Localization.Segmentation;

/// <summary>
/// The segmenter learned per map from the mapping drive: fixed multi-scale colour and texture
/// filters at a reduced resolution, standardised, then a small learned <see cref="LabelHead{T}"/>
/// that gives K label logits per pixel. Trained by the map builder (Mosaic.Mapping's
/// <c>SegmenterTraining</c>) so that pixels that see the same surface from different keyframes get
/// the same label.
/// </summary>
/// <remarks>
/// Features at pyramid level <see cref="Level"/>, all from the grey-world maps of
/// <see cref="PixelFeatures.GreyWorld"/> (so a global gain or white balance change cancels):
/// chromaticity r, g and log lightness l box-averaged over radii 1, 3 and 8 px (9 features); the
/// local mean of the lightness gradient magnitude over radii 2 and 6; the local standard deviation
/// of lightness over radius 4; and the local means of |∂l/∂x| and |∂l/∂y| over radius 3 (14 in all).
/// With <see cref="ContextTaps"/> the head also reads those 14 features at the pixels d px to the
/// right, left, below and above (clamped at the borders) for each tap distance d: a sparse, dilated
/// first layer, so a label can depend on the pixel's surroundings as well as on the pixel.
/// The definition (segmenter.yaml) stores the standardisation, the tap distances and the head's
/// weights: no image, no position. What it reveals is measured in README "What a map reveals".
/// </remarks>
public sealed class LearnedSegmenter : ISegmenter
{
    /// <summary>The <c>type:</c> of this segmenter's definitions (and the map builder's <c>segmenter.kind</c>).</summary>
    public const string TypeName = "learned";

    /// <summary>Names of the filters computed at every pixel, in order.</summary>
    public static readonly IReadOnlyList<string> BaseFeatureNames =
    [
        "chroma_r_1", "chroma_g_1", "lightness_1", "chroma_r_3", "chroma_g_3", "lightness_3", "chroma_r_8", "chroma_g_8", "lightness_8",
        "texture_2", "texture_6", "lightness_std_4", "gradient_x_3", "gradient_y_3",
    ];

    /// <summary>Largest tap distance (px at the working level) and most tap distances a segmenter may have.</summary>
    public const int MaxTapDistance = 64, MaxTapCount = 4;

    /// <summary>
    /// The names of the head's inputs for <paramref name="contextTaps"/>, in order: the filters at the
    /// pixel, then for each distance d the filters at the pixel d px to the right, left, below and
    /// above (<c>chroma_r_1_right_8</c>, ...). A definition must list exactly these.
    /// </summary>
    public static IReadOnlyList<string> FeatureNamesFor(IReadOnlyList<int> contextTaps) =>
        [.. BaseFeatureNames, .. contextTaps.SelectMany(d => new[] { "right", "left", "down", "up" }.SelectMany(side => BaseFeatureNames.Select(n => $"{n}_{side}_{d}")))];

    /// <summary>Inputs of the head, D, for <paramref name="contextTaps"/>: 14 per position read.</summary>
    public static int FeatureCountFor(IReadOnlyList<int> contextTaps) => BaseFeatureNames.Count * (1 + 4 * contextTaps.Count);

    /// <summary>Throws <see cref="ArgumentException"/> unless every tap distance is in [1, <see cref="MaxTapDistance"/>], distinct, and there are at most <see cref="MaxTapCount"/>.</summary>
    public static void ValidateTaps(IReadOnlyList<int> contextTaps)
    {
        if (contextTaps.Count > MaxTapCount || contextTaps.Any(d => d < 1 || d > MaxTapDistance) || contextTaps.Distinct().Count() != contextTaps.Count)
            throw new ArgumentException($"context_taps [{string.Join(", ", contextTaps)}]: at most {MaxTapCount} distinct distances in [1, {MaxTapDistance}] px");
    }

    /// <summary>Pixel offsets (x, y) of the positions the head reads: (0, 0), then per tap distance right, left, below, above.</summary>
    private static (int Dx, int Dy)[] Offsets(IReadOnlyList<int> contextTaps) =>
        [(0, 0), .. contextTaps.SelectMany(d => new[] { (d, 0), (-d, 0), (0, d), (0, -d) })];

    private readonly float[] _mean, _scale;
    private readonly LabelHead<float> _head;
    private readonly (int Dx, int Dy)[] _offsets;

    /// <summary>Tap distances (px at <see cref="Level"/>) at which the head also reads the filters around a pixel; empty: the pixel alone.</summary>
    public IReadOnlyList<int> ContextTaps { get; }

    /// <summary>Names of the head's inputs (<see cref="FeatureNamesFor"/>).</summary>
    public IReadOnlyList<string> FeatureNames => FeatureNamesFor(ContextTaps);

    /// <summary>Inputs of the head, D.</summary>
    public int FeatureCount => _mean.Length;

    /// <inheritdoc />
    public int LabelCount => _head.LabelCount;

    /// <inheritdoc />
    public int Level { get; }

    /// <summary>Hidden units of the head.</summary>
    public int HiddenCount => _head.HiddenCount;

    /// <summary>
    /// Radius (px at <see cref="Level"/>) of the box filter applied to each label's probability
    /// image before the most likely label is taken; 0 = none. Removes isolated pixels whose label a
    /// neighbourhood contradicts.
    /// </summary>
    public int OutputSmoothing { get; }

    /// <summary>
    /// A segmenter from its parts: <paramref name="mean"/> and <paramref name="scale"/> standardise
    /// the raw features (z = (f − mean) · scale); <paramref name="head"/> maps z to logits;
    /// <paramref name="contextTaps"/> (default none) says which features there are (<see cref="FeatureNamesFor"/>).
    /// </summary>
    public LearnedSegmenter(int level, float[] mean, float[] scale, LabelHead<float> head, int outputSmoothing = 0, IReadOnlyList<int>? contextTaps = null)
    {
        if (level < 0 || level > 4)
            throw new ArgumentException($"level {level} must be in [0, 4]");
        if (outputSmoothing < 0 || outputSmoothing > 16)
            throw new ArgumentException($"output_smoothing {outputSmoothing} must be in [0, 16]");
        contextTaps = [.. contextTaps ?? []];
        ValidateTaps(contextTaps);
        int d = FeatureCountFor(contextTaps);
        if (mean.Length != d || scale.Length != d || head.InputCount != d)
            throw new ArgumentException($"a learned segmenter with context taps [{string.Join(", ", contextTaps)}] needs {d} feature means, scales and head inputs");
        (Level, _mean, _scale, _head, OutputSmoothing, ContextTaps, _offsets) = (level, mean, scale, head, outputSmoothing, contextTaps, Offsets(contextTaps));
    }

    /// <summary>
    /// The raw features of every pixel of <paramref name="image"/> (already at the working level),
    /// pixel-major, <see cref="FeatureCountFor"/>(<paramref name="contextTaps"/>) per pixel.
    /// </summary>
    public static float[] Features(RgbImage image, IReadOnlyList<int>? contextTaps = null)
    {
        var maps = RentFeatureMaps(image);
        var offsets = Offsets(contextTaps ?? []);
        int w = image.Width, h = image.Height, b = BaseFeatureNames.Count, d = b * offsets.Length;
        var features = new float[w * h * d];
        Parallel.For(0, h, y =>
        {
            for (int t = 0; t < offsets.Length; t++)
            {
                var (dx, dy) = offsets[t];
                int row = Math.Clamp(y + dy, 0, h - 1) * w;
                for (int x = 0; x < w; x++)
                {
                    int source = row + Math.Clamp(x + dx, 0, w - 1), target = (y * w + x) * d + t * b;
                    for (int f = 0; f < b; f++)
                        features[target + f] = maps[f][source];
                }
            }
        });
        ReturnFeatureMaps(maps);
        return features;
    }

    /// <summary>
    /// The raw features of <paramref name="image"/> (already at the working level), one image per
    /// feature, in arrays from <see cref="PixelFeatures.ImagePool"/> (longer than the image; give them
    /// back with <see cref="ReturnFeatureMaps"/>): fresh image-sized arrays cost more than the filters.
    /// </summary>
    private static float[][] RentFeatureMaps(RgbImage image)
    {
        int w = image.Width, h = image.Height, n = w * h;
        var (r, g, l) = PixelFeatures.GreyWorld(image);
        // Each feature is its own filter of r, g, l or of the lightness gradient, so they run in parallel.
        var maps = new float[BaseFeatureNames.Count][];
        ReadOnlySpan<int> radii = [1, 3, 8];
        var smoothed = new (float[] Source, int Radius)[3 * radii.Length];
        for (int i = 0; i < radii.Length; i++)
            (smoothed[3 * i], smoothed[3 * i + 1], smoothed[3 * i + 2]) = ((r, radii[i]), (g, radii[i]), (l, radii[i]));
        Parallel.For(0, smoothed.Length, i => maps[i] = RentBoxFiltered(smoothed[i].Source, w, h, smoothed[i].Radius));
        var l1 = maps[2];
        var (gx, gy) = PixelFeatures.Gradient(l1, w, h);
        var magnitude = PixelFeatures.ImagePool.Rent(n);
        var absX = PixelFeatures.ImagePool.Rent(n);
        var absY = PixelFeatures.ImagePool.Rent(n);
        var square = PixelFeatures.ImagePool.Rent(n);
        for (int p = 0; p < n; p++)
        {
            magnitude[p] = MathF.Sqrt(gx[p] * gx[p] + gy[p] * gy[p]);
            absX[p] = MathF.Abs(gx[p]);
            absY[p] = MathF.Abs(gy[p]);
            square[p] = l1[p] * l1[p];
        }
        int texture = smoothed.Length;
        Parallel.Invoke(
            () => maps[texture] = RentBoxFiltered(magnitude, w, h, 2),
            () => maps[texture + 1] = RentBoxFiltered(magnitude, w, h, 6),
            () =>
            {
                var mean4 = RentBoxFiltered(l1, w, h, 4);
                PixelFeatures.BoxFilter(square, w, h, 4);
                for (int p = 0; p < n; p++)
                    square[p] = MathF.Sqrt(MathF.Max(square[p] - mean4[p] * mean4[p], 0));
                PixelFeatures.ImagePool.Return(mean4);
            },
            () => PixelFeatures.BoxFilter(absX, w, h, 3),
            () => PixelFeatures.BoxFilter(absY, w, h, 3));
        PixelFeatures.ImagePool.Return(magnitude);
        (maps[texture + 2], maps[texture + 3], maps[texture + 4]) = (square, absX, absY);
        return maps;
    }

    private static void ReturnFeatureMaps(float[][] maps)
    {
        foreach (var map in maps)
            PixelFeatures.ImagePool.Return(map);
    }

    /// <summary>The first w·h values of <paramref name="image"/> box-filtered, in an array from the pool.</summary>
    private static float[] RentBoxFiltered(float[] image, int w, int h, int radius)
    {
        var result = PixelFeatures.ImagePool.Rent(w * h);
        image.AsSpan(0, w * h).CopyTo(result);
        PixelFeatures.BoxFilter(result, w, h, radius);
        return result;
    }

    /// <summary>Standardises raw features in place with the stored mean and scale.</summary>
    public void Standardise(Span<float> features)
    {
        int d = FeatureCount;
        for (int i = 0; i < features.Length; i++)
            features[i] = (features[i] - _mean[i % d]) * _scale[i % d];
    }

    /// <inheritdoc />
    public Image<ushort> Segment(RgbImage image)
    {
        var level = image.AtLevel(Level);
        var maps = RentFeatureMaps(level);
        int w = level.Width, h = level.Height, d = FeatureCount, b = BaseFeatureNames.Count, k = LabelCount;
        var labels = new Image<ushort>(w, h);
        int radius = OutputSmoothing;
        // With smoothing, each label's probabilities are box-filtered along the rows here, one row of
        // pixels at a time, and along the columns below, where the most likely label is taken.
        var rowMeans = radius > 0 ? Enumerable.Range(0, k).Select(_ => PixelFeatures.ImagePool.Rent(w * h)).ToArray() : null;
        // Each worker's row buffers come from the pool too, like the feature maps: 200 KB per worker and
        // image at 640 px.
        var pool = PixelFeatures.ImagePool;
        Parallel.For(0, h, () => (Input: pool.Rent(d * w), Hidden: pool.Rent(_head.HiddenCount * w), Logits: pool.Rent(k * w), PerPixel: pool.Rent(2 * w)), (y, _, run) =>
        {
            for (int f = 0; f < d; f++)
            {
                var (dx, dy) = _offsets[f / b];
                var source = maps[f % b].AsSpan(Math.Clamp(y + dy, 0, h - 1) * w, w);
                var target = run.Input.AsSpan(f * w, w);
                float mean = _mean[f], scale = _scale[f];
                if (dx == 0)
                {
                    for (int x = 0; x < w; x++)
                        target[x] = (source[x] - mean) * scale;
                }
                else
                {
                    for (int x = 0; x < w; x++)
                        target[x] = (source[Math.Clamp(x + dx, 0, w - 1)] - mean) * scale;
                }
            }
            _head.ForwardRun(run.Input, w, run.Hidden, run.Logits);
            if (rowMeans is null)
            {
                MostLikely(run.Logits, k, labels.Data.AsSpan(y * w, w));
                return run;
            }
            SoftmaxRun(run.Logits, k, run.PerPixel.AsSpan(0, 2 * w));
            int c = 0;
            Span<float> Probabilities(int label) => run.Logits.AsSpan(label * w, w);
            Span<float> RowMeans(int label) => rowMeans[label].AsSpan(y * w, w);
            for (; c + 4 <= k && Vector256.IsHardwareAccelerated; c += 4)
                PixelFeatures.BoxRows(Probabilities(c), Probabilities(c + 1), Probabilities(c + 2), Probabilities(c + 3), RowMeans(c), RowMeans(c + 1), RowMeans(c + 2), RowMeans(c + 3), radius);
            for (; c < k; c++)
                PixelFeatures.BoxRow(Probabilities(c), RowMeans(c), radius);
            return run;
        }, run =>
        {
            foreach (var buffer in (ReadOnlySpan<float[]>)[run.Input, run.Hidden, run.Logits, run.PerPixel])
                pool.Return(buffer);
        });
        ReturnFeatureMaps(maps);
        if (rowMeans is null)
            return labels;
        Parallel.For(0, (w + StripWidth - 1) / StripWidth, strip =>
        {
            int x0 = strip * StripWidth, width = Math.Min(StripWidth, w - x0);
            PixelFeatures.ColumnMeans(rowMeans, w, h, radius, x0, width, (y, means) => MostLikely(means, k, labels.Data.AsSpan(y * w + x0, width)));
        });
        foreach (var buffer in rowMeans)
            PixelFeatures.ImagePool.Return(buffer);
        return labels;
    }

    /// <summary>Columns per parallel strip of the smoothing's column pass: the running sums of all labels stay in cache.</summary>
    private const int StripWidth = 64;

    /// <summary>
    /// The label of each pixel of a run: the first of the largest of its <paramref name="k"/> values,
    /// stored label-major (value c of pixel x at c · width + x), compared a vector of pixels at a time.
    /// </summary>
    private static void MostLikely(ReadOnlySpan<float> values, int k, Span<ushort> labels)
    {
        int w = labels.Length, lanes = Vector<float>.Count, x = 0;
        Span<int> index = stackalloc int[lanes];
        for (; x + lanes <= w; x += lanes)
        {
            var best = new Vector<float>(values.Slice(x, lanes));
            var bestLabel = Vector<int>.Zero;
            for (int c = 1; c < k; c++)
            {
                var value = new Vector<float>(values.Slice(c * w + x, lanes));
                var greater = Vector.GreaterThan(value, best);
                best = Vector.ConditionalSelect(greater, value, best);
                bestLabel = Vector.ConditionalSelect(greater, new Vector<int>(c), bestLabel);
            }
            bestLabel.CopyTo(index);
            for (int i = 0; i < lanes; i++)
                labels[x + i] = (ushort)index[i];
        }
        for (; x < w; x++)
        {
            int best = 0;
            for (int c = 1; c < k; c++)
                if (values[c * w + x] > values[best * w + x])
                    best = c;
            labels[x] = (ushort)best;
        }
    }

    /// <summary>
    /// In-place softmax over the <paramref name="k"/> label-major logits of each pixel of a run, label by
    /// label so memory is read in order; <paramref name="buffer"/> holds two values per pixel.
    /// </summary>
    private static void SoftmaxRun(Span<float> logits, int k, Span<float> buffer)
    {
        int w = buffer.Length / 2, vectors = w / Vector<float>.Count * Vector<float>.Count;
        var max = buffer[..w];
        var sum = buffer[w..];
        logits[..w].CopyTo(max);
        var maxVectors = MemoryMarshal.Cast<float, Vector<float>>(max);
        var sumVectors = MemoryMarshal.Cast<float, Vector<float>>(sum);
        for (int c = 1; c < k; c++)
        {
            var row = logits.Slice(c * w, w);
            var rowVectors = MemoryMarshal.Cast<float, Vector<float>>(row);
            for (int v = 0; v < maxVectors.Length; v++)
                maxVectors[v] = Vector.Max(maxVectors[v], rowVectors[v]);
            for (int x = vectors; x < w; x++)
                max[x] = MathF.Max(max[x], row[x]);
        }
        // exp stays scalar: a vectorised exp may differ in the last bit, and the labels would then differ from
        // the ones the map was built with at near-ties.
        sum.Clear();
        for (int c = 0; c < k; c++)
        {
            var row = logits.Slice(c * w, w);
            for (int x = 0; x < w; x++)
                row[x] = MathF.Exp(row[x] - max[x]);
            var rowVectors = MemoryMarshal.Cast<float, Vector<float>>(row);
            for (int v = 0; v < sumVectors.Length; v++)
                sumVectors[v] += rowVectors[v];
            for (int x = vectors; x < w; x++)
                sum[x] += row[x];
        }
        for (int c = 0; c < k; c++)
        {
            var row = logits.Slice(c * w, w);
            var rowVectors = MemoryMarshal.Cast<float, Vector<float>>(row);
            for (int v = 0; v < sumVectors.Length; v++)
                rowVectors[v] /= sumVectors[v];
            for (int x = vectors; x < w; x++)
                row[x] /= sum[x];
        }
    }

    /// <summary>
    /// The colour an attacker holding only segmenter.yaml would paint each label with: of a grid of
    /// uniform patches (relative chromaticity and lightness, no texture), the one the head gives the
    /// label the highest probability, undone for an image whose channel means are
    /// <paramref name="channelMean"/>. A label no patch favours over all others still gets its best patch.
    /// </summary>
    public (byte R, byte G, byte B)[] LabelColors(double channelMean = 128)
    {
        int k = LabelCount, b = BaseFeatureNames.Count;
        var best = new float[k];
        Array.Fill(best, -1f);
        var colors = new (byte, byte, byte)[k];
        Span<float> x = stackalloc float[FeatureCount];
        Span<float> hidden = stackalloc float[_head.HiddenCount];
        Span<float> probabilities = stackalloc float[k];
        const int steps = 24;
        for (int i = 0; i <= steps; i++)
        {
            for (int j = 0; j <= steps; j++)
            {
                double r = 0.02 + 0.9 * i / steps, g = 0.02 + 0.9 * j / steps;
                if (r + g > 0.98)
                    continue;
                for (int m = 0; m <= steps; m++)
                {
                    double l = -2.5 + 3.5 * m / steps;
                    // A uniform patch: every position the head reads has the same colour and no texture.
                    x.Clear();
                    for (int t = 0; t < _offsets.Length; t++)
                        for (int s = 0; s < 3; s++)
                            (x[t * b + 3 * s], x[t * b + 3 * s + 1], x[t * b + 3 * s + 2]) = ((float)r, (float)g, (float)l);
                    Standardise(x);
                    _head.Forward(x, hidden, probabilities);
                    LabelHead<float>.Softmax(probabilities);
                    for (int c = 0; c < k; c++)
                    {
                        if (probabilities[c] <= best[c])
                            continue;
                        best[c] = probabilities[c];
                        double sum = 3 * Math.Exp(l);
                        byte Channel(double v) => (byte)Math.Clamp(Math.Round(v * sum * channelMean), 0, 255);
                        colors[c] = (Channel(r), Channel(g), Channel(1 - r - g));
                    }
                }
            }
        }
        return colors;
    }

    /// <inheritdoc />
    public string Definition()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append("# Mosaic segmenter: learned per map from the mapping drive (multi-scale colour/texture filters + a\n");
        text.Append("# two-layer perceptron). Weights only: no image, no position. See README, \"What a map reveals\".\n");
        text.Append(c, $"type: {TypeName}\nversion: 1\nlabel_count: {LabelCount}\nlevel: {Level}\nhidden_count: {HiddenCount}\noutput_smoothing: {OutputSmoothing}\n");
        text.Append($"context_taps: [{string.Join(", ", ContextTaps)}]\n");
        text.Append($"features: [{string.Join(", ", FeatureNames)}]\n");
        text.Append($"feature_mean: {List(_mean)}\nfeature_scale: {List(_scale)}\n");
        text.Append("# W1 (hidden x features, row-major), b1, W2 (labels x hidden), b2; 16 values per line\nparameters:\n");
        var p = _head.Parameters;
        for (int i = 0; i < p.Length; i += 16)
            text.Append($"  - {List(p.AsSpan(i, Math.Min(16, p.Length - i)))}\n");
        return text.ToString();
    }

    private static string List(ReadOnlySpan<float> values) => Segmenters.FlowList(values);

    private sealed class DefinitionFile : DefinitionHeader
    {
        public int HiddenCount { get; set; }
        public int OutputSmoothing { get; set; }
        public List<int> ContextTaps { get; set; } = []; // absent in definitions written before context taps
        public List<List<float>> Parameters { get; set; } = [];
    }

    /// <summary>Reads a definition written by <see cref="Definition"/>.</summary>
    /// <exception cref="FormatException">The text is not a valid definition of this type.</exception>
    public static LearnedSegmenter FromDefinition(string definition, string source)
    {
        var file = Segmenters.Parse<DefinitionFile>(definition, source, TypeName, f =>
        {
            try
            {
                ValidateTaps(f.ContextTaps);
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"{source}: {e.Message}", e);
            }
            return FeatureNamesFor(f.ContextTaps);
        });
        if (file.LabelCount < 2 || file.LabelCount > 256 || file.HiddenCount < 1 || file.HiddenCount > 1024)
            throw new FormatException($"{source}: label_count {file.LabelCount} must be in [2, 256] and hidden_count {file.HiddenCount} in [1, 1024]");
        if (file.OutputSmoothing < 0 || file.OutputSmoothing > 16)
            throw new FormatException($"{source}: output_smoothing {file.OutputSmoothing} must be in [0, 16]");
        var parameters = file.Parameters.SelectMany(row => row).ToArray();
        int d = FeatureCountFor(file.ContextTaps);
        int expected = LabelHead<float>.ParameterCount(d, file.HiddenCount, file.LabelCount);
        if (parameters.Length != expected)
            throw new FormatException($"{source}: {d} features → {file.HiddenCount} hidden → {file.LabelCount} labels needs {expected} parameters, found {parameters.Length}");
        if (parameters.Any(v => !float.IsFinite(v)))
            throw new FormatException($"{source}: non-finite value in the segmenter");
        return new LearnedSegmenter(file.Level, file.FeatureMean.ToArray(), file.FeatureScale.ToArray(),
            new LabelHead<float>(d, file.HiddenCount, file.LabelCount, parameters), file.OutputSmoothing, file.ContextTaps);
    }
}
