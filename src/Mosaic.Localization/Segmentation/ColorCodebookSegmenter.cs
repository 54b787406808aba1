using System.Globalization;
using System.Text;
using Mosaic.Core.Imaging;

namespace Mosaic.Localization.Segmentation;

/// <summary>Settings of <see cref="ColorCodebookSegmenter.Fit"/>.</summary>
public sealed record CodebookOptions
{
    /// <summary>Number of labels K (codebook size).</summary>
    public int LabelCount { get; init; } = 16;

    /// <summary>Pyramid level the features and labels are computed at (1 = half resolution).</summary>
    public int Level { get; init; } = 1;

    /// <summary>Seed of pixel sampling and k-means++: the same seed and images give the same codebook.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Pixels sampled from each image for fitting.</summary>
    public int SamplesPerImage { get; init; } = 2000;

    /// <summary>Lloyd iterations after k-means++ seeding.</summary>
    public int Iterations { get; init; } = 30;

    /// <summary>Radius (pixels at <see cref="Level"/>) of the box filter applied to colour features.</summary>
    public int SmoothingRadius { get; init; } = 1;

    /// <summary>Radius of the window over which the texture feature averages gradient magnitude.</summary>
    public int TextureRadius { get; init; } = 2;

    /// <summary>Relative weight of the two chromaticity features.</summary>
    public double ChromaWeight { get; init; } = 1;

    /// <summary>Relative weight of the normalised lightness feature.</summary>
    public double LightnessWeight { get; init; } = 1;

    /// <summary>Relative weight of the texture feature.</summary>
    public double TextureWeight { get; init; } = 0.5;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (LabelCount < 2 || LabelCount > 256)
            throw new ArgumentException($"label_count {LabelCount} must be in [2, 256]");
        if (Level < 0 || Level > 4)
            throw new ArgumentException($"level {Level} must be in [0, 4]");
        if (SamplesPerImage < 1)
            throw new ArgumentException($"samples_per_image {SamplesPerImage} must be positive");
        if (Iterations < 0)
            throw new ArgumentException($"iterations {Iterations} must be non-negative");
        if (SmoothingRadius < 0 || TextureRadius < 0)
            throw new ArgumentException("smoothing_radius and texture_radius must be non-negative");
        if (!(ChromaWeight >= 0) || !(LightnessWeight >= 0) || !(TextureWeight >= 0) || ChromaWeight + LightnessWeight + TextureWeight == 0)
            throw new ArgumentException("feature weights must be non-negative and not all zero");
    }
}

/// <summary>
/// The learning-free default segmenter: a codebook over four per-pixel features that are meant to
/// stay put under a drive's exposure and white-balance changes, fitted by k-means++ on the keyframes.
/// </summary>
/// <remarks>
/// Features, at pyramid level <c>Level</c>: each channel is divided by its image mean (grey world,
/// which cancels global gain and white balance); chromaticity r = c_R/s, g = c_G/s and log lightness
/// ln(s/3) of s = c_R + c_G + c_B, box-smoothed; texture = the local mean of the lightness gradient
/// magnitude. Features are standardised with the fitted mean and spread and weighted; a pixel's label is
/// its nearest codeword. The definition (segmenter.yaml) stores the standardisation and K codewords:
/// K relative colours of the place, with no position — see README "What a map reveals".
/// </remarks>
public sealed class ColorCodebookSegmenter : ISegmenter
{
    /// <summary>The <c>type:</c> of this segmenter's definitions.</summary>
    public const string TypeName = "color_codebook";

    /// <summary>Number of features per pixel.</summary>
    public const int FeatureCount = 4;

    private static readonly string[] FeatureNames = ["chroma_r", "chroma_g", "log_lightness", "texture"];

    private readonly float[] _mean, _scale, _centroids;

    /// <inheritdoc />
    public int LabelCount { get; }

    /// <inheritdoc />
    public int Level { get; }

    /// <summary>Box filter radius of the colour features.</summary>
    public int SmoothingRadius { get; }

    /// <summary>Window radius of the texture feature.</summary>
    public int TextureRadius { get; }

    /// <summary>The codewords in standardised feature space, K × <see cref="FeatureCount"/>.</summary>
    public IReadOnlyList<float> Centroids => _centroids;

    private ColorCodebookSegmenter(int level, int smoothingRadius, int textureRadius, float[] mean, float[] scale, float[] centroids)
    {
        (Level, SmoothingRadius, TextureRadius, _mean, _scale, _centroids) = (level, smoothingRadius, textureRadius, mean, scale, centroids);
        LabelCount = centroids.Length / FeatureCount;
    }

    /// <summary>Fits the codebook on <paramref name="images"/> (the keyframes), deterministically for a seed.</summary>
    public static ColorCodebookSegmenter Fit(IReadOnlyList<RgbImage> images, CodebookOptions options)
    {
        options.Validate();
        if (images.Count == 0)
            throw new ArgumentException("cannot fit a segmenter on no images");
        var random = new Random(options.Seed);
        var samples = new List<float>();
        foreach (var image in images)
        {
            var features = Features(image.AtLevel(options.Level), options.SmoothingRadius, options.TextureRadius);
            int pixels = features.Length / FeatureCount;
            for (int s = 0; s < options.SamplesPerImage; s++)
            {
                int p = random.Next(pixels);
                for (int f = 0; f < FeatureCount; f++)
                    samples.Add(features[p * FeatureCount + f]);
            }
        }
        int n = samples.Count / FeatureCount;
        var data = samples.ToArray();
        var mean = new float[FeatureCount];
        var scale = new float[FeatureCount];
        double[] weights = [options.ChromaWeight, options.ChromaWeight, options.LightnessWeight, options.TextureWeight];
        for (int f = 0; f < FeatureCount; f++)
        {
            double sum = 0, sum2 = 0;
            for (int i = 0; i < n; i++)
            {
                double v = data[i * FeatureCount + f];
                sum += v;
                sum2 += v * v;
            }
            double m = sum / n, std = Math.Sqrt(Math.Max(sum2 / n - m * m, 0));
            mean[f] = (float)m;
            scale[f] = (float)(weights[f] / Math.Max(std, 1e-6));
        }
        for (int i = 0; i < n; i++)
            for (int f = 0; f < FeatureCount; f++)
                data[i * FeatureCount + f] = (data[i * FeatureCount + f] - mean[f]) * scale[f];
        var centroids = KMeans.Fit(data, FeatureCount, options.LabelCount, options.Iterations, random);
        return new ColorCodebookSegmenter(options.Level, options.SmoothingRadius, options.TextureRadius, mean, scale, centroids);
    }

    /// <inheritdoc />
    /// <remarks>Each codeword's chromaticity and lightness, undone.</remarks>
    public (byte R, byte G, byte B)[] LabelColors(double channelMean = 128)
    {
        var colors = new (byte, byte, byte)[LabelCount];
        for (int k = 0; k < LabelCount; k++)
        {
            double Raw(int f) => _centroids[k * FeatureCount + f] / _scale[f] + _mean[f];
            double r = Raw(0), g = Raw(1), s = 3 * Math.Exp(Raw(2));
            byte Channel(double c) => (byte)Math.Clamp(Math.Round(c * s * channelMean), 0, 255);
            colors[k] = (Channel(r), Channel(g), Channel(1 - r - g));
        }
        return colors;
    }

    /// <inheritdoc />
    public Image<ushort> Segment(RgbImage image)
    {
        var level = image.AtLevel(Level);
        var features = Features(level, SmoothingRadius, TextureRadius);
        var labels = new Image<ushort>(level.Width, level.Height);
        int k = LabelCount;
        Parallel.For(0, level.Height, y =>
        {
            Span<float> z = stackalloc float[FeatureCount];
            for (int x = 0; x < level.Width; x++)
            {
                int p = y * level.Width + x;
                for (int f = 0; f < FeatureCount; f++)
                    z[f] = (features[p * FeatureCount + f] - _mean[f]) * _scale[f];
                labels.Data[p] = (ushort)KMeans.Nearest(z, _centroids, k);
            }
        });
        return labels;
    }

    /// <summary>
    /// The four raw features of every pixel of <paramref name="image"/> (already at the working level),
    /// pixel-major.
    /// </summary>
    public static float[] Features(RgbImage image, int smoothingRadius, int textureRadius)
    {
        int w = image.Width, h = image.Height;
        var (r, g, l) = PixelFeatures.GreyWorld(image);
        PixelFeatures.BoxFilter(r, w, h, smoothingRadius);
        PixelFeatures.BoxFilter(g, w, h, smoothingRadius);
        PixelFeatures.BoxFilter(l, w, h, smoothingRadius);
        var (gx, gy) = PixelFeatures.Gradient(l, w, h);
        var texture = new float[w * h];
        for (int p = 0; p < texture.Length; p++)
            texture[p] = MathF.Sqrt(gx[p] * gx[p] + gy[p] * gy[p]);
        PixelFeatures.BoxFilter(texture, w, h, textureRadius);
        return PixelFeatures.Interleave([r, g, l, texture]);
    }

    /// <inheritdoc />
    public string Definition()
    {
        var text = new StringBuilder();
        text.Append("# Mosaic segmenter: colour codebook (learning-free). K codewords of relative colour and texture;\n");
        text.Append("# no image, no position. See README, \"What a map reveals\".\n");
        text.Append($"type: {TypeName}\nversion: 1\n");
        text.Append(CultureInfo.InvariantCulture, $"label_count: {LabelCount}\nlevel: {Level}\nsmoothing_radius: {SmoothingRadius}\ntexture_radius: {TextureRadius}\n");
        text.Append($"features: [{string.Join(", ", FeatureNames)}]\n");
        text.Append($"feature_mean: {List(_mean)}\nfeature_scale: {List(_scale)}\ncentroids:\n");
        for (int k = 0; k < LabelCount; k++)
            text.Append($"  - {List(_centroids.AsSpan(k * FeatureCount, FeatureCount))}\n");
        return text.ToString();
    }

    private static string List(ReadOnlySpan<float> values) => Segmenters.FlowList(values);

    private sealed class DefinitionFile : DefinitionHeader
    {
        public int SmoothingRadius { get; set; }
        public int TextureRadius { get; set; }
        public List<List<float>> Centroids { get; set; } = [];
    }

    /// <summary>Reads a definition written by <see cref="Definition"/>.</summary>
    /// <exception cref="FormatException">The text is not a valid codebook definition.</exception>
    public static ColorCodebookSegmenter FromDefinition(string definition, string source)
    {
        var file = Segmenters.Parse<DefinitionFile>(definition, source, TypeName, FeatureNames);
        if (file.LabelCount < 2 || file.Centroids.Count != file.LabelCount || file.Centroids.Any(c => c.Count != FeatureCount))
            throw new FormatException($"{source}: label_count {file.LabelCount} needs as many centroids of {FeatureCount} values (found {file.Centroids.Count})");
        if (file.SmoothingRadius < 0 || file.TextureRadius < 0)
            throw new FormatException($"{source}: smoothing_radius and texture_radius must be non-negative");
        var all = file.FeatureMean.Concat(file.FeatureScale).Concat(file.Centroids.SelectMany(c => c));
        if (all.Any(v => !float.IsFinite(v)))
            throw new FormatException($"{source}: non-finite value in the codebook");
        return new ColorCodebookSegmenter(file.Level, file.SmoothingRadius, file.TextureRadius,
            file.FeatureMean.ToArray(), file.FeatureScale.ToArray(), file.Centroids.SelectMany(c => c).ToArray());
    }
}
