using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;

namespace Mosaic.Mapping;

/// <summary>
/// Keeps the runner-up label of the Gaussians whose uplifted labels are split between two, so that a
/// render gives each of the two labels its share of the Gaussian's weight instead of all of it to the
/// winner (<see cref="GaussianMap.SecondLabels"/>, stored as <c>label_1</c> and <c>prob_0</c> in the PLY).
/// </summary>
/// <remarks>
/// Of the two most likely labels l₁, l₂ with probabilities p₁ ≥ p₂, the first label's share is
/// q = p₁/(p₁ + p₂): wherever the Gaussian's compositing weight is w, l₁ receives w·q and l₂ w·(1 − q),
/// and the light it lets through is unchanged.
/// </remarks>
public static class SecondLabels
{
    /// <summary>
    /// Returns <paramref name="map"/> with a second label for every Gaussian whose second label holds
    /// more than <paramref name="minShare"/> of its two most likely labels' probability, and how many
    /// Gaussians got one. <paramref name="distributions"/> holds each Gaussian's label distribution
    /// (N × K); each Gaussian's label must be its most likely one.
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

        var secondLabels = new ushort[n];
        var firstShares = new float[n];
        int added = 0;
        for (int i = 0; i < n; i++)
        {
            (secondLabels[i], firstShares[i]) = (Labels.Ignore, 1);
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
            double share = row[second] / ((double)row[first] + row[second]);
            if (share > minShare)
            {
                (secondLabels[i], firstShares[i]) = ((ushort)second, (float)(1 - share));
                added++;
            }
        }
        return (added == 0 ? map : map.WithSecondLabels(secondLabels, firstShares), added);
    }
}
