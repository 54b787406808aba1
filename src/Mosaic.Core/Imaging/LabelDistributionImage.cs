namespace Mosaic.Core.Imaging;

/// <summary>
/// A per-pixel label distribution h_p (DESIGN.md §6): one-hot at full resolution, label histograms
/// at coarser pyramid levels. Stored sparsely (compressed rows): each pixel lists only the labels
/// with non-zero probability. A pixel with an empty list is ignored by the loss.
/// </summary>
public sealed class LabelDistributionImage
{
    private readonly int[] _offsets;
    private readonly ushort[] _labels;
    private readonly float[] _weights;

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Number of labels K.</summary>
    public int LabelCount { get; }

    /// <summary>Number of pixels that carry a distribution (are not ignored).</summary>
    public int ValidPixelCount { get; }

    private LabelDistributionImage(int width, int height, int labelCount, int[] offsets, ushort[] labels, float[] weights)
    {
        (Width, Height, LabelCount, _offsets, _labels, _weights) = (width, height, labelCount, offsets, labels, weights);
        int valid = 0;
        for (int p = 0; p < width * height; p++)
            if (offsets[p + 1] > offsets[p])
                valid++;
        ValidPixelCount = valid;
    }

    /// <summary>The labels with non-zero probability at pixel index <paramref name="pixel"/> (y·Width + x).</summary>
    public ReadOnlySpan<ushort> LabelsAt(int pixel) => _labels.AsSpan(_offsets[pixel], _offsets[pixel + 1] - _offsets[pixel]);

    /// <summary>Their probabilities, summing to 1.</summary>
    public ReadOnlySpan<float> WeightsAt(int pixel) => _weights.AsSpan(_offsets[pixel], _offsets[pixel + 1] - _offsets[pixel]);

    /// <summary>
    /// One-hot distributions from a hard label image; <see cref="Labels.Ignore"/> pixels are ignored.
    /// </summary>
    /// <exception cref="ArgumentException">A label is neither below <paramref name="labelCount"/> nor Ignore.</exception>
    public static LabelDistributionImage FromLabels(Image<ushort> labels, int labelCount)
    {
        int n = labels.Width * labels.Height;
        var offsets = new int[n + 1];
        var list = new List<ushort>(n);
        for (int p = 0; p < n; p++)
        {
            ushort l = labels.Data[p];
            if (l != Labels.Ignore)
            {
                if (l >= labelCount)
                    throw new ArgumentException($"pixel ({p % labels.Width}, {p / labels.Width}) has label {l}, not below the label count {labelCount}");
                list.Add(l);
            }
            offsets[p + 1] = list.Count;
        }
        var weights = new float[list.Count];
        Array.Fill(weights, 1f);
        return new LabelDistributionImage(labels.Width, labels.Height, labelCount, offsets, [.. list], weights);
    }

    /// <summary>
    /// The label histograms of <paramref name="factor"/>×<paramref name="factor"/> blocks (the image at
    /// pyramid level log2(factor), size rounded down). A block whose share of labelled pixels is below
    /// <paramref name="minValidFraction"/> is ignored.
    /// </summary>
    public LabelDistributionImage Downsample(int factor, double minValidFraction = 0.5)
    {
        if (factor < 1)
            throw new ArgumentOutOfRangeException(nameof(factor));
        if (factor == 1)
            return this;
        int w = Width / factor, h = Height / factor;
        if (w == 0 || h == 0)
            throw new ArgumentOutOfRangeException(nameof(factor), $"a {Width}x{Height} image has no {factor}x{factor} blocks");
        var offsets = new int[w * h + 1];
        var labels = new List<ushort>();
        var weights = new List<float>();
        var histogram = new Dictionary<ushort, float>();
        double minMass = minValidFraction * factor * factor;
        for (int by = 0; by < h; by++)
        {
            for (int bx = 0; bx < w; bx++)
            {
                histogram.Clear();
                float mass = 0;
                for (int y = by * factor; y < (by + 1) * factor; y++)
                {
                    for (int x = bx * factor; x < (bx + 1) * factor; x++)
                    {
                        int p = y * Width + x;
                        for (int i = _offsets[p]; i < _offsets[p + 1]; i++)
                        {
                            histogram[_labels[i]] = histogram.GetValueOrDefault(_labels[i]) + _weights[i];
                            mass += _weights[i];
                        }
                    }
                }
                if (mass > 0 && mass >= minMass)
                {
                    foreach (var (label, weight) in histogram.OrderBy(kv => kv.Key))
                    {
                        labels.Add(label);
                        weights.Add(weight / mass);
                    }
                }
                offsets[by * w + bx + 1] = labels.Count;
            }
        }
        return new LabelDistributionImage(w, h, LabelCount, offsets, [.. labels], [.. weights]);
    }
}
