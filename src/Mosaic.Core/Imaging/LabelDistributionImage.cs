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

    /// <summary>
    /// The compressed rows: pixel p's labels and weights are entries [Offsets[p], Offsets[p + 1]) of
    /// <see cref="AllLabels"/> and <see cref="AllWeights"/> (Width·Height + 1 offsets).
    /// </summary>
    public ReadOnlySpan<int> Offsets => _offsets;

    /// <summary>Every pixel's labels, row after row (see <see cref="Offsets"/>).</summary>
    public ReadOnlySpan<ushort> AllLabels => _labels;

    /// <summary>Every pixel's weights, row after row (see <see cref="Offsets"/>).</summary>
    public ReadOnlySpan<float> AllWeights => _weights;

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
        // A block has no more distinct labels than entries, so the input's entry count bounds the output's.
        var labels = new ushort[_labels.Length];
        var weights = new float[_labels.Length];
        var histogram = new float[LabelCount];
        var seenInBlock = new int[LabelCount];
        Array.Fill(seenInBlock, -1);
        var present = new ushort[LabelCount];
        double minMass = minValidFraction * factor * factor;
        int count = 0;
        for (int by = 0; by < h; by++)
        {
            for (int bx = 0; bx < w; bx++)
            {
                int block = by * w + bx, distinct = 0;
                float mass = 0;
                for (int y = by * factor; y < (by + 1) * factor; y++)
                {
                    for (int i = _offsets[y * Width + bx * factor]; i < _offsets[y * Width + (bx + 1) * factor]; i++)
                    {
                        ushort label = _labels[i];
                        if (seenInBlock[label] != block)
                        {
                            seenInBlock[label] = block;
                            histogram[label] = 0;
                            present[distinct++] = label;
                        }
                        histogram[label] += _weights[i];
                        mass += _weights[i];
                    }
                }
                if (mass > 0 && mass >= minMass)
                {
                    var blockLabels = present.AsSpan(0, distinct);
                    blockLabels.Sort();
                    foreach (ushort label in blockLabels)
                    {
                        labels[count] = label;
                        weights[count++] = histogram[label] / mass;
                    }
                }
                offsets[block + 1] = count;
            }
        }
        return new LabelDistributionImage(w, h, LabelCount, offsets, labels[..count], weights[..count]);
    }
}
