using Mosaic.Core.Imaging;
using Mosaic.Localization.Segmentation;
using Mosaic.Ros.Images;
using Mosaic.Ros.Tests;

namespace Mosaic.Localization.Tests;

public class LearnedSegmenterTests
{
    private static RgbImage Frame(int index)
    {
        var color = Jpeg.Decode(File.ReadAllBytes(SharedData.Path("redkitchen", "frames", $"frame-{index:D6}.color.jpg")));
        return new RgbImage(color.Width, color.Height, color.Rgb);
    }

    /// <summary>A segmenter with random weights: enough to test everything but what training teaches.</summary>
    private static LearnedSegmenter RandomSegmenter(int labels = 8, int seed = 5, int[]? taps = null)
    {
        taps ??= [];
        int d = LearnedSegmenter.FeatureCountFor(taps);
        var features = LearnedSegmenter.Features(Frame(0).AtLevel(1), taps);
        var mean = new float[d];
        var scale = new float[d];
        int n = features.Length / d;
        for (int f = 0; f < d; f++)
        {
            double sum = 0, sum2 = 0;
            for (int p = 0; p < n; p++)
            {
                sum += features[p * d + f];
                sum2 += features[p * d + f] * (double)features[p * d + f];
            }
            mean[f] = (float)(sum / n);
            scale[f] = (float)(1 / Math.Sqrt(Math.Max(sum2 / n - mean[f] * (double)mean[f], 1e-12)));
        }
        return new LearnedSegmenter(1, mean, scale, LabelHead<float>.Random(d, 16, labels, new Random(seed)), contextTaps: taps);
    }

    [Fact]
    public void The_heads_gradient_matches_central_finite_differences()
    {
        var random = new Random(11);
        const int d = 6, h = 9, k = 5, n = 7;
        var head = LabelHead<double>.Random(d, h, k, random);
        for (int i = 0; i < head.Parameters.Length; i++)
            head.Parameters[i] += 0.1 * (random.NextDouble() - 0.5); // non-zero biases too
        var inputs = Enumerable.Range(0, n * d).Select(_ => 2 * random.NextDouble() - 1).ToArray();
        var targets = new double[n * k];
        for (int s = 0; s < n; s++)
        {
            // Soft targets, one of them summing to 0.7 (the loss must not assume Σq = 1).
            var row = Enumerable.Range(0, k).Select(_ => random.NextDouble()).ToArray();
            double scale = (s == 3 ? 0.7 : 1) / row.Sum();
            for (int c = 0; c < k; c++)
                targets[s * k + c] = row[c] * scale;
        }
        int[] rows = [.. Enumerable.Range(0, n)];
        var gradient = new double[head.Parameters.Length];
        head.AccumulateLossGradient(inputs, targets, rows, gradient);

        const double step = 1e-6;
        int compared = 0;
        for (int i = 0; i < head.Parameters.Length; i++)
        {
            double original = head.Parameters[i];
            head.Parameters[i] = original + step;
            double plus = head.AccumulateLossGradient(inputs, targets, rows, new double[gradient.Length]);
            head.Parameters[i] = original - step;
            double minus = head.AccumulateLossGradient(inputs, targets, rows, new double[gradient.Length]);
            head.Parameters[i] = original;
            double numeric = (plus - minus) / (2 * step);
            if (Math.Abs(numeric) < 1e-6 && Math.Abs(gradient[i]) < 1e-6)
                continue; // a hidden unit that is off for every sample: both zero
            Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-5 * Math.Max(1, Math.Abs(numeric)),
                $"parameter {i}: analytic {gradient[i]:G9}, numeric {numeric:G9}");
            compared++;
        }
        Assert.True(compared > head.Parameters.Length / 2, $"only {compared} parameters had a gradient");
    }

    [Fact]
    public void Float_queries_label_like_the_float64_head_they_come_from()
    {
        var random = new Random(2);
        var wide = LabelHead<double>.Random(4, 8, 6, random);
        var narrow = new LabelHead<float>(4, 8, 6, wide.Parameters.Select(v => (float)v).ToArray());
        int same = 0;
        for (int s = 0; s < 1000; s++)
        {
            var x = Enumerable.Range(0, 4).Select(_ => 2 * random.NextDouble() - 1).ToArray();
            int a = wide.Label(x, new double[8], new double[6]);
            int b = narrow.Label(x.Select(v => (float)v).ToArray(), new float[8], new float[6]);
            same += a == b ? 1 : 0;
        }
        Assert.True(same >= 995, $"{same} of 1000");
    }

    [Fact]
    public void The_vectorised_query_path_gives_the_logits_of_the_per_pixel_path_to_the_bit()
    {
        var random = new Random(4);
        const int d = 5, h = 11, k = 7, count = 37; // no multiple of any vector width, nor of the block of outputs
        var head = LabelHead<float>.Random(d, h, k, random);
        var pixels = Enumerable.Range(0, count * d).Select(_ => (float)(2 * random.NextDouble() - 1)).ToArray();
        var byFeature = new float[count * d];
        for (int x = 0; x < count; x++)
            for (int i = 0; i < d; i++)
                byFeature[i * count + x] = pixels[x * d + i];
        var logits = new float[k * count];
        head.ForwardRun(byFeature, count, new float[h * count], logits);
        var one = new float[k];
        for (int x = 0; x < count; x++)
        {
            head.Forward(pixels.AsSpan(x * d, d), new float[h], one);
            for (int c = 0; c < k; c++)
                Assert.Equal(one[c], logits[c * count + x]);
        }
    }

    [Fact]
    public void The_vectorised_query_path_refuses_buffers_shorter_than_the_run()
    {
        var head = LabelHead<float>.Random(5, 11, 7, new Random(4));
        const int count = 37;
        Assert.Throws<ArgumentException>(() => head.ForwardRun(new float[5 * count - 1], count, new float[11 * count], new float[7 * count]));
        Assert.Throws<ArgumentException>(() => head.ForwardRun(new float[5 * count], count, new float[11 * count - 1], new float[7 * count]));
        Assert.Throws<ArgumentException>(() => head.ForwardRun(new float[5 * count], count, new float[11 * count], new float[7 * count - 1]));
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 8 })]
    [InlineData(new[] { 3, 40 })]
    public void Without_output_smoothing_each_label_is_the_heads_choice_for_that_pixel(int[] taps)
    {
        var segmenter = RandomSegmenter(taps: taps);
        Assert.Equal(0, segmenter.OutputSmoothing);
        var head = LabelHead<float>.Random(segmenter.FeatureCount, 16, 8, new Random(5)); // RandomSegmenter's head
        var labels = segmenter.Segment(Frame(300));
        var features = LearnedSegmenter.Features(Frame(300).AtLevel(1), taps);
        segmenter.Standardise(features);
        int d = segmenter.FeatureCount, same = 0;
        for (int p = 0; p < labels.Data.Length; p++)
            same += head.Label(features.AsSpan(p * d, d), new float[16], new float[8]) == labels.Data[p] ? 1 : 0;
        Assert.True(same >= labels.Data.Length - 10, $"{labels.Data.Length - same} pixels differ"); // float summation order only
    }

    [Fact]
    public void Output_smoothing_removes_isolated_labels()
    {
        var plain = RandomSegmenter();
        var smoothed = Assert.IsType<LearnedSegmenter>(Segmenters.Load(plain.Definition().Replace("output_smoothing: 0", "output_smoothing: 2"), "segmenter.yaml"));
        static int Boundaries(Image<ushort> labels) =>
            Enumerable.Range(0, labels.Data.Length - 1).Count(p => (p + 1) % labels.Width != 0 && labels.Data[p] != labels.Data[p + 1]);
        var frame = Frame(300);
        Assert.True(Boundaries(smoothed.Segment(frame)) < 0.8 * Boundaries(plain.Segment(frame)));
    }

    /// <summary>
    /// The smoothed labels against the slow, obvious reference: each pixel's softmax from the head one
    /// pixel at a time, each label's probability averaged over the clipped window directly, then the most
    /// likely label. The frame is cropped to 634×474 (317×237 at the working level) so no row is a
    /// multiple of a vector's width, and segmented twice, since the buffers are pooled between calls.
    /// </summary>
    [Fact]
    public void Smoothed_labels_are_the_most_likely_labels_of_the_window_averaged_probabilities()
    {
        const int radius = 2, k = 8, hidden = 16;
        var plain = RandomSegmenter(k);
        var smoothed = Assert.IsType<LearnedSegmenter>(Segmenters.Load(plain.Definition().Replace("output_smoothing: 0", $"output_smoothing: {radius}"), "segmenter.yaml"));
        var full = Frame(300);
        var rgb = new byte[634 * 474 * 3];
        for (int y = 0; y < 474; y++)
            full.Rgb.AsSpan(y * full.Width * 3, 634 * 3).CopyTo(rgb.AsSpan(y * 634 * 3));
        var frame = new RgbImage(634, 474, rgb);

        var first = smoothed.Segment(Frame(0));
        var labels = smoothed.Segment(frame);

        var level = frame.AtLevel(1);
        int w = level.Width, h = level.Height, d = smoothed.FeatureCount;
        Assert.Equal((317, 237), (labels.Width, labels.Height));
        var features = LearnedSegmenter.Features(level);
        smoothed.Standardise(features);
        var head = LabelHead<float>.Random(d, hidden, k, new Random(5)); // RandomSegmenter's head
        var probabilities = new float[w * h * k];
        for (int p = 0; p < w * h; p++)
        {
            var pixel = probabilities.AsSpan(p * k, k);
            head.Forward(features.AsSpan(p * d, d), new float[hidden], pixel);
            LabelHead<float>.Softmax(pixel);
        }
        int differ = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                var mean = new double[k];
                for (int v = Math.Max(0, y - radius); v <= Math.Min(h - 1, y + radius); v++)
                    for (int u = Math.Max(0, x - radius); u <= Math.Min(w - 1, x + radius); u++)
                        for (int c = 0; c < k; c++)
                            mean[c] += probabilities[(v * w + u) * k + c];
                differ += Array.IndexOf(mean, mean.Max()) == labels.Data[y * w + x] ? 0 : 1;
            }
        }
        Assert.True(differ <= 10, $"{differ} of {w * h} pixels differ"); // near-ties: float summation order only
        Assert.Equal(first.Data, smoothed.Segment(Frame(0)).Data);
    }

    [Fact]
    public void Labels_are_at_the_working_level_and_the_definition_round_trips()
    {
        var segmenter = RandomSegmenter();
        var labels = segmenter.Segment(Frame(300));
        Assert.Equal((320, 240), (labels.Width, labels.Height));
        Assert.All(labels.Data, l => Assert.True(l < 8));

        string definition = segmenter.Definition();
        var loaded = Assert.IsType<LearnedSegmenter>(Segmenters.Load(definition, "segmenter.yaml"));
        Assert.Equal(labels.Data, loaded.Segment(Frame(300)).Data);
        Assert.Equal(definition, loaded.Definition());
    }

    [Fact]
    public void A_global_gain_and_white_balance_change_barely_moves_the_features()
    {
        var image = Frame(300).AtLevel(1);
        var shifted = (byte[])image.Rgb.Clone();
        double[] gain = [0.8, 0.7, 0.9];
        for (int i = 0; i < shifted.Length; i++)
            shifted[i] = (byte)Math.Min(255, Math.Round(shifted[i] * gain[i % 3]));
        var a = LearnedSegmenter.Features(image);
        var b = LearnedSegmenter.Features(new RgbImage(image.Width, image.Height, shifted));
        int d = LearnedSegmenter.BaseFeatureNames.Count;
        for (int f = 0; f < d; f++)
        {
            double spread = 0, change = 0;
            int n = a.Length / d;
            double mean = Enumerable.Range(0, n).Average(p => a[p * d + f]);
            for (int p = 0; p < n; p++)
            {
                spread += (a[p * d + f] - mean) * (a[p * d + f] - mean);
                change += (a[p * d + f] - b[p * d + f]) * (a[p * d + f] - b[p * d + f]);
            }
            // Rounding to 8 bits after the gain is the only change; it is small against the feature's spread.
            Assert.True(change < 0.05 * spread, $"{LearnedSegmenter.BaseFeatureNames[f]}: change {change:G3} vs spread {spread:G3}");
        }
    }

    [Fact]
    public void The_colour_decoded_from_the_definition_is_the_colour_a_label_prefers()
    {
        // One hidden unit that fires on redness: label 0 wins for red patches, label 1 for the rest.
        int d = LearnedSegmenter.BaseFeatureNames.Count;
        var parameters = new float[LabelHead<float>.ParameterCount(d, 1, 2)];
        parameters[0] = 1;       // W1[0, chroma_r_1]
        parameters[d] = -0.5f;   // b1: fires once chroma r exceeds 0.5 (mean 0, scale 1)
        parameters[d + 1] = 40;  // W2[label 0, hidden]
        var segmenter = new LearnedSegmenter(1, new float[d], Enumerable.Repeat(1f, d).ToArray(), new LabelHead<float>(d, 1, 2, parameters));
        var colors = segmenter.LabelColors();
        Assert.True(colors[0].R > 2 * colors[0].G && colors[0].R > 2 * colors[0].B, $"label 0 decodes to {colors[0]}");
        Assert.True(colors[1].R < colors[1].G + colors[1].B, $"label 1 decodes to {colors[1]}");
    }

    [Fact]
    public void A_context_tap_reads_the_pixels_filters_that_far_away_clamped_at_the_borders()
    {
        var image = Frame(300).AtLevel(1);
        int w = image.Width, h = image.Height, b = LearnedSegmenter.BaseFeatureNames.Count;
        var own = LearnedSegmenter.Features(image);
        var tapped = LearnedSegmenter.Features(image, [8]);
        Assert.Equal(5 * b, LearnedSegmenter.FeatureCountFor([8]));
        Assert.Equal("chroma_r_1_right_8", LearnedSegmenter.FeatureNamesFor([8])[b]);
        Assert.Equal("gradient_y_3_up_8", LearnedSegmenter.FeatureNamesFor([8])[^1]);
        (int Dx, int Dy)[] sides = [(8, 0), (-8, 0), (0, 8), (0, -8)]; // right, left, down, up
        foreach (var (x, y) in new[] { (100, 100), (3, 120), (316, 5), (0, 239) })
        {
            for (int t = 0; t <= 4; t++)
            {
                var (dx, dy) = t == 0 ? (0, 0) : sides[t - 1];
                int source = Math.Clamp(y + dy, 0, h - 1) * w + Math.Clamp(x + dx, 0, w - 1);
                for (int f = 0; f < b; f++)
                    Assert.Equal(own[source * b + f], tapped[(y * w + x) * 5 * b + t * b + f]);
            }
        }
    }

    [Fact]
    public void Context_taps_round_trip_and_a_definition_written_before_them_reads_as_having_none()
    {
        var tapped = RandomSegmenter(taps: [8, 20]);
        string definition = tapped.Definition();
        Assert.Contains("context_taps: [8, 20]\n", definition);
        var loaded = Assert.IsType<LearnedSegmenter>(Segmenters.Load(definition, "segmenter.yaml"));
        Assert.Equal([8, 20], loaded.ContextTaps);
        Assert.Equal(tapped.Segment(Frame(300)).Data, loaded.Segment(Frame(300)).Data);

        var plain = RandomSegmenter();
        string older = plain.Definition().Replace("context_taps: []\n", "");
        Assert.DoesNotContain("context_taps", older);
        var old = Assert.IsType<LearnedSegmenter>(Segmenters.Load(older, "segmenter.yaml"));
        Assert.Empty(old.ContextTaps);
        Assert.Equal(plain.Segment(Frame(300)).Data, old.Segment(Frame(300)).Data);
    }

    [Theory]
    [InlineData("hidden_count: 16", "hidden_count: 17", "needs")]
    [InlineData("version: 1", "version: 2", "version")]
    [InlineData("chroma_r_1,", "chroma_q_1,", "features must be")]
    [InlineData("level: 1", "level: 9", "level 9")]
    [InlineData("context_taps: [8]", "context_taps: [0]", "context_taps [0]")]
    [InlineData("context_taps: [8]", "context_taps: [8, 8]", "context_taps [8, 8]")]
    [InlineData("context_taps: [8]", "context_taps: [16]", "features must be")]
    [InlineData("context_taps: [8]", "context_taps: []", "features must be")]
    public void Damaged_definitions_are_rejected_naming_the_file(string find, string replace, string expected)
    {
        string definition = RandomSegmenter(taps: [8]).Definition();
        Assert.Contains(find, definition);
        var e = Assert.Throws<FormatException>(() => Segmenters.Load(definition.Replace(find, replace), "maps/a/segmenter.yaml"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("maps/a/segmenter.yaml", e.Message);
    }

    [Fact]
    public void A_non_finite_weight_is_rejected()
    {
        string definition = RandomSegmenter().Definition();
        int at = definition.IndexOf("parameters:\n  - [", StringComparison.Ordinal) + "parameters:\n  - [".Length;
        int end = definition.IndexOf(',', at);
        var e = Assert.Throws<FormatException>(() => Segmenters.Load(definition[..at] + ".nan" + definition[end..], "segmenter.yaml"));
        Assert.Contains("non-finite", e.Message);
    }
}
