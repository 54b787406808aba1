namespace Mosaic.Mapping;

/// <summary>
/// The k-nearest-neighbour graph of Gaussian centres: for each Gaussian up to k neighbours within a
/// radius, with weights exp(−d²/(2σ²)). Built on a uniform grid of cell = radius, so each query looks
/// at 27 cells.
/// </summary>
public sealed class NeighbourGraph
{
    /// <summary>Neighbours per node (unused slots are −1).</summary>
    public int K { get; }

    /// <summary>Neighbour indices, K per node.</summary>
    public int[] Neighbours { get; }

    /// <summary>Edge weights, K per node (0 for unused slots).</summary>
    public float[] Weights { get; }

    private NeighbourGraph(int k, int[] neighbours, float[] weights) => (K, Neighbours, Weights) = (k, neighbours, weights);

    /// <summary>Builds the graph over <paramref name="positions"/> (x y z per node).</summary>
    public static NeighbourGraph Build(float[] positions, int k, double radius, double sigma)
    {
        int n = positions.Length / 3;
        double inverseCell = 1 / radius;
        var cells = new Dictionary<(int, int, int), List<int>>();
        (int, int, int) Cell(int i) => ((int)Math.Floor(positions[3 * i] * inverseCell), (int)Math.Floor(positions[3 * i + 1] * inverseCell), (int)Math.Floor(positions[3 * i + 2] * inverseCell));
        for (int i = 0; i < n; i++)
        {
            var cell = Cell(i);
            if (!cells.TryGetValue(cell, out var list))
                cells[cell] = list = [];
            list.Add(i);
        }
        var neighbours = new int[n * k];
        var weights = new float[n * k];
        Array.Fill(neighbours, -1);
        double radius2 = radius * radius, inverseTwoSigma2 = 1 / (2 * sigma * sigma);
        Parallel.For(0, n, () => (new int[k], new double[k]), (i, _, scratch) =>
        {
            var (best, bestDistance) = scratch;
            int found = 0;
            var (cx, cy, cz) = Cell(i);
            for (int dz = -1; dz <= 1; dz++)
            for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
            {
                if (!cells.TryGetValue((cx + dx, cy + dy, cz + dz), out var list))
                    continue;
                foreach (int j in list)
                {
                    if (j == i)
                        continue;
                    double ex = positions[3 * j] - positions[3 * i], ey = positions[3 * j + 1] - positions[3 * i + 1], ez = positions[3 * j + 2] - positions[3 * i + 2];
                    double d2 = ex * ex + ey * ey + ez * ez;
                    if (d2 > radius2 || (found == k && d2 >= bestDistance[k - 1]))
                        continue;
                    // Insert into the sorted list of the k nearest (ties by index keep it deterministic).
                    int at = found < k ? found++ : k - 1;
                    while (at > 0 && (bestDistance[at - 1] > d2 || bestDistance[at - 1] == d2 && best[at - 1] > j))
                    {
                        best[at] = best[at - 1];
                        bestDistance[at] = bestDistance[at - 1];
                        at--;
                    }
                    best[at] = j;
                    bestDistance[at] = d2;
                }
            }
            for (int s = 0; s < found; s++)
            {
                neighbours[i * k + s] = best[s];
                weights[i * k + s] = (float)Math.Exp(-bestDistance[s] * inverseTwoSigma2);
            }
            return scratch;
        }, _ => { });
        return new NeighbourGraph(k, neighbours, weights);
    }
}

/// <summary>
/// LUDVIG-style smoothing of per-Gaussian label distributions on a <see cref="NeighbourGraph"/>:
/// F ← (1 − λ) F₀ + λ W̃ F, with W̃ the row-normalised edge weights, repeated. Gaussians never seen
/// (F₀ = 0) receive their neighbours' labels; the rest are pulled toward agreement with theirs.
/// </summary>
public static class LabelDiffusion
{
    /// <summary>Diffuses <paramref name="initial"/> (N × K, rows summing to 1 or all zero) and returns the result.</summary>
    public static float[] Diffuse(float[] initial, int labelCount, NeighbourGraph graph, int iterations, double rate)
    {
        int n = initial.Length / labelCount, k = graph.K;
        var current = (float[])initial.Clone();
        var next = new float[initial.Length];
        float keep = (float)(1 - rate), pull = (float)rate;
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            var source = current;
            var target = next;
            Parallel.For(0, n, i =>
            {
                var row = target.AsSpan(i * labelCount, labelCount);
                var anchor = initial.AsSpan(i * labelCount, labelCount);
                float total = 0;
                for (int s = 0; s < k; s++)
                    if (graph.Neighbours[i * k + s] >= 0)
                        total += graph.Weights[i * k + s];
                for (int l = 0; l < labelCount; l++)
                    row[l] = keep * anchor[l];
                if (total <= 0)
                    return;
                for (int s = 0; s < k; s++)
                {
                    int j = graph.Neighbours[i * k + s];
                    if (j < 0)
                        continue;
                    float w = pull * graph.Weights[i * k + s] / total;
                    var neighbour = source.AsSpan(j * labelCount, labelCount);
                    for (int l = 0; l < labelCount; l++)
                        row[l] += w * neighbour[l];
                }
            });
            (current, next) = (next, current);
        }
        return current;
    }

    /// <summary>The most likely label of each row; <paramref name="unlabelled"/> for all-zero rows.</summary>
    public static ushort[] ArgMax(float[] distributions, int labelCount, ushort unlabelled)
    {
        int n = distributions.Length / labelCount;
        var labels = new ushort[n];
        for (int i = 0; i < n; i++)
        {
            var row = distributions.AsSpan(i * labelCount, labelCount);
            int best = 0;
            for (int l = 1; l < labelCount; l++)
                if (row[l] > row[best])
                    best = l;
            labels[i] = row[best] > 0 ? (ushort)best : unlabelled;
        }
        return labels;
    }
}
