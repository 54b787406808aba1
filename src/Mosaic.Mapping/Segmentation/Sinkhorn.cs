namespace Mosaic.Mapping.Segmentation;

/// <summary>
/// Sinkhorn-Knopp balanced assignment (SeLa, SwAV; SegLoc's prototype assignment): turns scores of
/// N items against K labels into soft assignments whose label totals are equal, so that training
/// against them cannot collapse onto a few labels.
/// </summary>
public static class Sinkhorn
{
    /// <summary>
    /// Assignments Q (N × K, each row a distribution) ∝ exp(scores / ε) rescaled so that, with row n
    /// weighted by <paramref name="weights"/>[n], every label receives the same total weight.
    /// </summary>
    /// <param name="scores">N × K scores (e.g. log-probabilities), row-major.</param>
    /// <param name="weights">N non-negative item weights (e.g. observation counts).</param>
    /// <param name="labelCount">K.</param>
    /// <param name="epsilon">Entropic temperature: smaller gives harder assignments.</param>
    /// <param name="iterations">Alternating column/row normalisations (SwAV uses 3).</param>
    public static double[] Assign(ReadOnlySpan<double> scores, ReadOnlySpan<double> weights, int labelCount, double epsilon, int iterations)
    {
        int k = labelCount, n = weights.Length;
        if (scores.Length != n * k)
            throw new ArgumentException($"scores has {scores.Length} values, expected {n} items x {k} labels");
        if (!(epsilon > 0) || iterations < 1)
            throw new ArgumentException($"epsilon {epsilon} must be positive and iterations {iterations} at least 1");
        var q = new double[n * k];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var row = scores.Slice(i * k, k);
            double max = double.NegativeInfinity;
            foreach (var s in row)
                max = Math.Max(max, s);
            // A per-row constant cancels in the row normalisation, so subtracting the row maximum is free.
            for (int c = 0; c < k; c++)
                q[i * k + c] = Math.Exp((row[c] - max) / epsilon);
            total += weights[i];
        }
        var columns = new double[k];
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            Array.Clear(columns);
            for (int i = 0; i < n; i++)
                for (int c = 0; c < k; c++)
                    columns[c] += q[i * k + c];
            for (int c = 0; c < k; c++)
                columns[c] = columns[c] > 0 ? total / k / columns[c] : 0;
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                for (int c = 0; c < k; c++)
                    sum += q[i * k + c] *= columns[c];
                double scale = sum > 0 ? weights[i] / sum : 0;
                for (int c = 0; c < k; c++)
                    q[i * k + c] *= scale;
            }
        }
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int c = 0; c < k; c++)
                sum += q[i * k + c];
            for (int c = 0; c < k; c++)
                q[i * k + c] = sum > 0 ? q[i * k + c] / sum : 1.0 / k;
        }
        return q;
    }
}
