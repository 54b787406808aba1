namespace Mosaic.Core.Maps;

/// <summary>
/// The Gaussians of a privacy map, stored as parallel arrays (one entry per Gaussian) in the 3D
/// Gaussian splatting parameterisation: centre, log-scales, rotation quaternion (w, x, y, z),
/// opacity as a logit, and one label in [0, <see cref="LabelCount"/>), optionally with a second label
/// and the share of the Gaussian's weight each gets. Nothing else: no colour, no features.
/// </summary>
public sealed class GaussianMap
{
    /// <summary>Number of Gaussians.</summary>
    public int Count { get; }

    /// <summary>Number of labels K; every label is below it.</summary>
    public int LabelCount { get; }

    /// <summary>Centres in the map frame, x y z per Gaussian (metres).</summary>
    public float[] Positions { get; }

    /// <summary>Natural logarithms of the three axis scales (metres), per Gaussian.</summary>
    public float[] LogScales { get; }

    /// <summary>Rotation quaternions w x y z per Gaussian (not necessarily normalised, never zero).</summary>
    public float[] Rotations { get; }

    /// <summary>Opacities as logits: opacity = 1 / (1 + exp(−logit)).</summary>
    public float[] OpacityLogits { get; }

    /// <summary>The label of each Gaussian: its most likely one.</summary>
    public ushort[] Labels { get; }

    /// <summary>
    /// Each Gaussian's second label, <see cref="Imaging.Labels.Ignore"/> where it has none; null when
    /// the map has one label per Gaussian. A render gives a Gaussian's weight w to its two labels as
    /// w·q and w·(1 − q), q = <see cref="FirstLabelShares"/>.
    /// </summary>
    public ushort[]? SecondLabels { get; }

    /// <summary>
    /// Each Gaussian's share q of its weight that goes to its first label, in [0.5, 1] (1 where it
    /// has no second label); null exactly when <see cref="SecondLabels"/> is.
    /// </summary>
    public float[]? FirstLabelShares { get; }

    /// <summary>Number of Gaussians that carry a second label.</summary>
    public int SecondLabelCount => SecondLabels?.Count(l => l != Imaging.Labels.Ignore) ?? 0;

    /// <summary>An empty-valued map of <paramref name="count"/> Gaussians, to be filled in.</summary>
    public GaussianMap(int count, int labelCount)
        : this(labelCount, new float[3 * count], new float[3 * count], new float[4 * count], new float[count], new ushort[count])
    {
    }

    /// <summary>
    /// A map over existing arrays; their lengths must agree. <paramref name="secondLabels"/> and
    /// <paramref name="firstLabelShares"/> are given together or not at all.
    /// </summary>
    public GaussianMap(int labelCount, float[] positions, float[] logScales, float[] rotations, float[] opacityLogits, ushort[] labels,
        ushort[]? secondLabels = null, float[]? firstLabelShares = null)
    {
        if (labelCount < 1 || labelCount > Imaging.Labels.MaxLabelCount)
            throw new ArgumentOutOfRangeException(nameof(labelCount), $"label count {labelCount} must be in [1, {Imaging.Labels.MaxLabelCount}]");
        int n = labels.Length;
        if (positions.Length != 3 * n || logScales.Length != 3 * n || rotations.Length != 4 * n || opacityLogits.Length != n)
            throw new ArgumentException("Gaussian arrays disagree on the number of Gaussians");
        if ((secondLabels is null) != (firstLabelShares is null))
            throw new ArgumentException("second labels and first-label shares come together");
        if (secondLabels is not null && (secondLabels.Length != n || firstLabelShares!.Length != n))
            throw new ArgumentException("second labels or first-label shares disagree on the number of Gaussians");
        (Count, LabelCount, Positions, LogScales, Rotations, OpacityLogits, Labels, SecondLabels, FirstLabelShares) =
            (n, labelCount, positions, logScales, rotations, opacityLogits, labels, secondLabels, firstLabelShares);
    }

    /// <summary>This map's Gaussians (the same arrays) with the given second labels and first-label shares.</summary>
    public GaussianMap WithSecondLabels(ushort[] secondLabels, float[] firstLabelShares)
        => new(LabelCount, Positions, LogScales, Rotations, OpacityLogits, Labels, secondLabels, firstLabelShares);

    /// <summary>
    /// This map with every Gaussian's extent multiplied by <paramref name="factor"/> along each axis, the
    /// other arrays shared: the localizer's sharpened copy (<c>localizer.sharp_map_scale</c>), whose label
    /// boundaries are crisper where the map's labels fit the query well.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="factor"/> is not a positive, finite number.</exception>
    public GaussianMap Sharpened(double factor)
    {
        if (!(factor > 0) || double.IsInfinity(factor))
            throw new ArgumentOutOfRangeException(nameof(factor), $"scale factor {factor} must be positive and finite");
        float shift = (float)Math.Log(factor);
        var logScales = new float[LogScales.Length];
        for (int i = 0; i < logScales.Length; i++)
            logScales[i] = LogScales[i] + shift;
        return new GaussianMap(LabelCount, Positions, logScales, Rotations, OpacityLogits, Labels, SecondLabels, FirstLabelShares);
    }

    /// <summary>The map of the Gaussians whose centres pass <paramref name="keep"/>, in their order (a crop).</summary>
    public GaussianMap Where(Func<float, float, float, bool> keep)
    {
        var kept = Enumerable.Range(0, Count).Where(i => keep(Positions[3 * i], Positions[3 * i + 1], Positions[3 * i + 2])).ToArray();
        TValue[] Take<TValue>(TValue[] values, int stride) => kept.SelectMany(i => values.AsSpan(stride * i, stride).ToArray()).ToArray();
        return new GaussianMap(LabelCount, Take(Positions, 3), Take(LogScales, 3), Take(Rotations, 4), Take(OpacityLogits, 1), Take(Labels, 1),
            SecondLabels is null ? null : Take(SecondLabels, 1), FirstLabelShares is null ? null : Take(FirstLabelShares, 1));
    }

    /// <summary>
    /// The first problem that makes this map unusable, or null: non-finite values, a zero quaternion,
    /// a label out of range. The message names the Gaussian and the property.
    /// </summary>
    public string? FindProblem()
    {
        for (int i = 0; i < Count; i++)
        {
            for (int a = 0; a < 3; a++)
            {
                if (!float.IsFinite(Positions[3 * i + a]))
                    return $"Gaussian {i}: {"xyz"[a]} is {Describe(Positions[3 * i + a])}";
                if (!float.IsFinite(LogScales[3 * i + a]))
                    return $"Gaussian {i}: scale_{a} is {Describe(LogScales[3 * i + a])}";
            }
            double norm2 = 0;
            for (int a = 0; a < 4; a++)
            {
                float q = Rotations[4 * i + a];
                if (!float.IsFinite(q))
                    return $"Gaussian {i}: rot_{a} is {Describe(q)}";
                norm2 += (double)q * q;
            }
            if (norm2 < 1e-12)
                return $"Gaussian {i}: rotation quaternion is zero";
            if (!float.IsFinite(OpacityLogits[i]))
                return $"Gaussian {i}: opacity is {Describe(OpacityLogits[i])}";
            if (Labels[i] >= LabelCount)
                return $"Gaussian {i}: label {Labels[i]} is not below the label count {LabelCount}";
            if (SecondLabels is not null && FindSecondLabelProblem(i) is { } problem)
                return problem;
        }
        return null;
    }

    private string? FindSecondLabelProblem(int i)
    {
        ushort second = SecondLabels![i];
        float share = FirstLabelShares![i];
        if (second == Imaging.Labels.Ignore)
            return share == 1 ? null : $"Gaussian {i}: prob_0 is {share} but it has no second label (then it must be 1)";
        if (second >= LabelCount)
            return $"Gaussian {i}: label_1 {second} is not below the label count {LabelCount}";
        if (second == Labels[i])
            return $"Gaussian {i}: label_1 {second} repeats its first label";
        return share is >= 0.5f and <= 1 ? null : $"Gaussian {i}: prob_0 is {share}, outside [0.5, 1] (the first label is the more likely)";
    }

    private static string Describe(float v) => float.IsNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
}
