using Mosaic.Core.Imaging;

namespace Mosaic.Localization.Retrieval;

/// <summary>
/// The global descriptor of a label image used for retrieval: a spatial pyramid of label histograms
/// (the whole image, 2×2 and 4×4 cells, 21 cells × K labels), each cell's histogram divided by the
/// cell's pixel count, square-rooted (Hellinger) and the whole vector L2-normalised, so the dot product
/// of two descriptors is their similarity in [0, 1].
/// </summary>
public static class GlobalDescriptor
{
    private static readonly int[] Grids = [1, 2, 4];

    /// <summary>Descriptor length for <paramref name="labelCount"/> labels.</summary>
    public static int Length(int labelCount) => Grids.Sum(g => g * g) * labelCount;

    /// <summary>The descriptor of <paramref name="labels"/>; ignored pixels count in no histogram.</summary>
    public static float[] Compute(Image<ushort> labels, int labelCount)
    {
        var descriptor = new float[Length(labelCount)];
        int offset = 0;
        foreach (int grid in Grids)
        {
            for (int cy = 0; cy < grid; cy++)
            {
                int y0 = cy * labels.Height / grid, y1 = (cy + 1) * labels.Height / grid;
                for (int cx = 0; cx < grid; cx++)
                {
                    int x0 = cx * labels.Width / grid, x1 = (cx + 1) * labels.Width / grid;
                    var cell = descriptor.AsSpan(offset, labelCount);
                    for (int y = y0; y < y1; y++)
                    {
                        var row = labels.Row(y);
                        for (int x = x0; x < x1; x++)
                            if (row[x] < labelCount)
                                cell[row[x]]++;
                    }
                    float area = Math.Max(1, (x1 - x0) * (y1 - y0));
                    for (int k = 0; k < labelCount; k++)
                        cell[k] = MathF.Sqrt(cell[k] / area);
                    offset += labelCount;
                }
            }
        }
        double norm = Math.Sqrt(descriptor.Sum(v => (double)v * v));
        if (norm > 0)
            for (int i = 0; i < descriptor.Length; i++)
                descriptor[i] = (float)(descriptor[i] / norm);
        return descriptor;
    }

    /// <summary>Similarity of two descriptors (their dot product).</summary>
    public static double Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"descriptor lengths differ: {a.Length} and {b.Length}");
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }
}
