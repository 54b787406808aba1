using Mosaic.Core.Maps;

namespace Mosaic.Mapping;

/// <summary>
/// Keeps the runner-up label of the Gaussians whose uplifted labels are split between two: each such
/// Gaussian becomes two of the same place and shape, one per label, so that a render gives each
/// label its share of the Gaussian's weight instead of all of it to the winner. The map format and
/// the renderers stay as they are: a second label is one more Gaussian.
/// </summary>
/// <remarks>
/// Of the two most likely labels l₁, l₂ with probabilities p₁ ≥ p₂, the shares are q₁ = p₁/(p₁ + p₂)
/// and q₂ = 1 − q₁. The Gaussian of opacity o keeps l₁ with opacity o·q₁; its copy, with l₂, gets
/// o·q₂/(1 − o·q₁) and is appended after every original Gaussian. Both have the same depth in every
/// view, and the renderers break depth ties by index, so the copy composites right behind its
/// original: at the centre the two receive exactly the original's weight, split q₁ : q₂, and let the
/// same light through. Away from the centre the pair is a little more opaque than the original was,
/// and the copy's share a little larger. <see cref="GaussianMap.SecondLabelMask"/> finds the copies
/// again, and the coarse copy of the map leaves them out (<see cref="MapCoarsening.Coarsened"/>).
/// </remarks>
public static class SecondLabels
{
    /// <summary>
    /// Returns <paramref name="map"/> with a copy carrying the second label appended for every Gaussian
    /// whose second label holds more than <paramref name="minShare"/> of its two most likely labels'
    /// probability (<paramref name="map"/> itself when none does), and the number of copies.
    /// <paramref name="distributions"/> holds each Gaussian's label distribution (N × K); each
    /// Gaussian's label must be its most likely one.
    /// </summary>
    /// <exception cref="ArgumentException">The distributions do not match the map.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minShare"/> is not in (0, 0.5).</exception>
    public static (GaussianMap Map, int Added) Add(GaussianMap map, float[] distributions, double minShare)
    {
        int n = map.Count, k = map.LabelCount;
        if (distributions.Length != n * k)
            throw new ArgumentException($"{distributions.Length} probabilities for {n} Gaussians of {k} labels", nameof(distributions));
        if (!(minShare > 0 && minShare < 0.5))
            throw new ArgumentOutOfRangeException(nameof(minShare), $"second-label share {minShare} must be in (0, 0.5)");

        var copies = new List<(int Of, ushort Label, double Share)>();
        for (int i = 0; i < n; i++)
        {
            var row = distributions.AsSpan(i * k, k);
            int first = map.Labels[i];
            if (first >= k || !(row[first] > 0))
                continue;
            int second = -1;
            for (int l = 0; l < k; l++)
                if (l != first && row[l] > 0 && (second < 0 || row[l] > row[second]))
                    second = l;
            if (second < 0)
                continue;
            if (row[second] > row[first])
                throw new ArgumentException($"Gaussian {i} is labelled {first} but label {second} is more likely", nameof(distributions));
            double share = row[second] / (row[first] + row[second]);
            if (share > minShare)
                copies.Add((i, (ushort)second, share));
        }
        if (copies.Count == 0)
            return (map, 0);

        var result = new GaussianMap(n + copies.Count, k);
        Array.Copy(map.Positions, result.Positions, 3 * n);
        Array.Copy(map.LogScales, result.LogScales, 3 * n);
        Array.Copy(map.Rotations, result.Rotations, 4 * n);
        Array.Copy(map.OpacityLogits, result.OpacityLogits, n);
        Array.Copy(map.Labels, result.Labels, n);
        for (int c = 0; c < copies.Count; c++)
        {
            var (i, label, share) = copies[c];
            int j = n + c;
            Array.Copy(map.Positions, 3 * i, result.Positions, 3 * j, 3);
            Array.Copy(map.LogScales, 3 * i, result.LogScales, 3 * j, 3);
            Array.Copy(map.Rotations, 4 * i, result.Rotations, 4 * j, 4);
            double opacity = 1 / (1 + Math.Exp(-map.OpacityLogits[i]));
            double kept = opacity * (1 - share);
            result.OpacityLogits[i] = Logit(kept);
            result.OpacityLogits[j] = Logit(opacity * share / (1 - kept));
            result.Labels[j] = label;
        }
        return (result, copies.Count);
    }

    private static float Logit(double p) => (float)Math.Log(p / (1 - p));
}
