namespace Mosaic.Core.Maps;

/// <summary>
/// The Gaussians of a privacy map, stored as parallel arrays (one entry per Gaussian) in the 3D
/// Gaussian splatting parameterisation: centre, log-scales, rotation quaternion (w, x, y, z),
/// opacity as a logit, and one label in [0, <see cref="LabelCount"/>). Nothing else: no colour,
/// no features.
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

    /// <summary>The label of each Gaussian.</summary>
    public ushort[] Labels { get; }

    /// <summary>An empty-valued map of <paramref name="count"/> Gaussians, to be filled in.</summary>
    public GaussianMap(int count, int labelCount)
        : this(labelCount, new float[3 * count], new float[3 * count], new float[4 * count], new float[count], new ushort[count])
    {
    }

    /// <summary>A map over existing arrays; their lengths must agree.</summary>
    public GaussianMap(int labelCount, float[] positions, float[] logScales, float[] rotations, float[] opacityLogits, ushort[] labels)
    {
        if (labelCount < 1 || labelCount > Imaging.Labels.MaxLabelCount)
            throw new ArgumentOutOfRangeException(nameof(labelCount), $"label count {labelCount} must be in [1, {Imaging.Labels.MaxLabelCount}]");
        int n = labels.Length;
        if (positions.Length != 3 * n || logScales.Length != 3 * n || rotations.Length != 4 * n || opacityLogits.Length != n)
            throw new ArgumentException("Gaussian arrays disagree on the number of Gaussians");
        (Count, LabelCount, Positions, LogScales, Rotations, OpacityLogits, Labels) =
            (n, labelCount, positions, logScales, rotations, opacityLogits, labels);
    }

    /// <summary>
    /// Per Gaussian, whether it carries a second label of a place: it is centred exactly where an
    /// earlier Gaussian is. The map builder stores a place's runner-up label that way (a copy appended
    /// after the originals); depth fusion makes one Gaussian per voxel, so nothing else does.
    /// </summary>
    public bool[] SecondLabelMask()
    {
        var mask = new bool[Count];
        var centres = new HashSet<(float X, float Y, float Z)>(Count);
        for (int i = 0; i < Count; i++)
            mask[i] = !centres.Add((Positions[3 * i], Positions[3 * i + 1], Positions[3 * i + 2]));
        return mask;
    }

    /// <summary>The map of the Gaussians whose centres pass <paramref name="keep"/>, in their order (a crop).</summary>
    public GaussianMap Where(Func<float, float, float, bool> keep)
    {
        var kept = Enumerable.Range(0, Count).Where(i => keep(Positions[3 * i], Positions[3 * i + 1], Positions[3 * i + 2])).ToArray();
        float[] Take(float[] values, int stride) => kept.SelectMany(i => values.AsSpan(stride * i, stride).ToArray()).ToArray();
        return new GaussianMap(LabelCount, Take(Positions, 3), Take(LogScales, 3), Take(Rotations, 4), Take(OpacityLogits, 1), kept.Select(i => Labels[i]).ToArray());
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
        }
        return null;
    }

    private static string Describe(float v) => float.IsNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
}
