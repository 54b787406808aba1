namespace Mosaic.Localization.Segmentation;

/// <summary>k-means with k-means++ seeding over dense float vectors; deterministic for a given random source.</summary>
public static class KMeans
{
    /// <summary>Index of the centroid nearest to <paramref name="point"/> (squared Euclidean).</summary>
    public static int Nearest(ReadOnlySpan<float> point, ReadOnlySpan<float> centroids, int k)
    {
        int d = point.Length, best = 0;
        float bestDistance = float.MaxValue;
        for (int c = 0; c < k; c++)
        {
            float distance = 0;
            var centroid = centroids.Slice(c * d, d);
            for (int j = 0; j < d; j++)
            {
                float diff = point[j] - centroid[j];
                distance += diff * diff;
            }
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = c;
            }
        }
        return best;
    }

    /// <summary>Fits <paramref name="k"/> centroids to the n points of dimension <paramref name="d"/> in <paramref name="data"/>.</summary>
    public static float[] Fit(float[] data, int d, int k, int iterations, Random random)
    {
        int n = data.Length / d;
        if (n < k)
            throw new ArgumentException($"{n} samples cannot make {k} clusters");
        var centroids = new float[k * d];
        var nearest = new double[n];
        Array.Fill(nearest, double.MaxValue);
        int first = random.Next(n);
        data.AsSpan(first * d, d).CopyTo(centroids);
        for (int c = 1; c < k; c++)
        {
            // k-means++: the next centre is drawn with probability proportional to the squared
            // distance to the nearest centre chosen so far.
            var last = centroids.AsSpan((c - 1) * d, d);
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                double distance = 0;
                for (int j = 0; j < d; j++)
                {
                    double diff = data[i * d + j] - last[j];
                    distance += diff * diff;
                }
                nearest[i] = Math.Min(nearest[i], distance);
                total += nearest[i];
            }
            int chosen = n - 1;
            double target = random.NextDouble() * total;
            for (int i = 0; i < n; i++)
            {
                target -= nearest[i];
                if (target <= 0)
                {
                    chosen = i;
                    break;
                }
            }
            data.AsSpan(chosen * d, d).CopyTo(centroids.AsSpan(c * d, d));
        }

        var assignment = new int[n];
        var sums = new double[k * d];
        var counts = new int[k];
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            bool changed = iteration == 0;
            for (int i = 0; i < n; i++)
            {
                int a = Nearest(data.AsSpan(i * d, d), centroids, k);
                changed |= a != assignment[i];
                assignment[i] = a;
            }
            if (!changed)
                break;
            Array.Clear(sums);
            Array.Clear(counts);
            for (int i = 0; i < n; i++)
            {
                counts[assignment[i]]++;
                for (int j = 0; j < d; j++)
                    sums[assignment[i] * d + j] += data[i * d + j];
            }
            for (int c = 0; c < k; c++)
            {
                if (counts[c] == 0)
                    continue; // an empty cluster keeps its centre
                for (int j = 0; j < d; j++)
                    centroids[c * d + j] = (float)(sums[c * d + j] / counts[c]);
            }
        }
        return centroids;
    }
}
