using System.Numerics;

namespace Mosaic.Rendering;

/// <summary>
/// Stage 2 of rendering: for each image tile, the visible Gaussians that may touch it, front to back
/// (by camera depth; ties by index, so the order is deterministic).
/// </summary>
/// <remarks>
/// The visible Gaussians are put in depth order once (a stable radix sort), then dealt to the tiles in
/// that order, so every tile's list comes out sorted without sorting it. Dealing runs in parallel over
/// contiguous runs of the depth order: each run counts its entries per tile, a prefix sum over (tile,
/// run) gives each run its own slots, so no two threads write one counter and the lists do not depend
/// on the number of runs.
/// </remarks>
internal sealed class TileBins
{
    private const int MinRunLength = 4096;
    private const int RadixBits = 11, RadixBuckets = 1 << RadixBits;
    private int[] _runCounts = [];
    private uint[] _keys = [], _keysScratch = [];
    private int[] _order = [], _orderScratch = [];
    private readonly int[] _histogram = new int[RadixBuckets];

    /// <summary>Tile t's entries are <see cref="Entries"/>[Offsets[t] .. Offsets[t + 1]).</summary>
    public int[] Offsets { get; private set; } = [];

    /// <summary>Indices into the projection's visible Gaussians.</summary>
    public int[] Entries { get; private set; } = [];

    /// <summary>The longest list of any tile.</summary>
    public int MaxEntriesPerTile { get; private set; }

    /// <summary>Tile <paramref name="tile"/>'s visible Gaussians, front to back.</summary>
    public ReadOnlySpan<int> ListOf(int tile) => Entries.AsSpan(Offsets[tile], Offsets[tile + 1] - Offsets[tile]);

    public void Build<T>(GaussianProjection<T> projection) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tiles = projection.TilesX * projection.TilesY;
        int tilesX = projection.TilesX;
        int n = projection.Count;
        var order = SortByDepth(projection.Splats, n);
        int runs = Math.Clamp(n / MinRunLength, 1, 4 * Environment.ProcessorCount);
        int runLength = (n + runs - 1) / runs;
        if (Offsets.Length < tiles + 1)
            Offsets = new int[tiles + 1];
        if (_runCounts.Length < runs * tiles)
            _runCounts = new int[runs * tiles];
        var counts = _runCounts;
        Array.Clear(counts, 0, runs * tiles);
        var (x0, x1, y0, y1) = (projection.TileX0, projection.TileX1, projection.TileY0, projection.TileY1);
        Parallel.For(0, runs, run =>
        {
            var runCounts = counts.AsSpan(run * tiles, tiles);
            int end = Math.Min(n, (run + 1) * runLength);
            for (int j = run * runLength; j < end; j++)
            {
                int v = order[j];
                for (int ty = y0[v]; ty < y1[v]; ty++)
                    for (int tx = x0[v]; tx < x1[v]; tx++)
                        runCounts[ty * tilesX + tx]++;
            }
        });

        // Offsets per tile, and each run's first slot in each tile (counts become cursors).
        var offsets = Offsets;
        int total = 0, longest = 0;
        for (int t = 0; t < tiles; t++)
        {
            offsets[t] = total;
            int start = total;
            for (int run = 0; run < runs; run++)
            {
                int c = counts[run * tiles + t];
                counts[run * tiles + t] = total;
                total += c;
            }
            longest = Math.Max(longest, total - start);
        }
        offsets[tiles] = total;
        MaxEntriesPerTile = longest;
        if (Entries.Length < total)
            Entries = new int[Math.Max(total, Entries.Length * 3 / 2)];
        var entries = Entries;
        Parallel.For(0, runs, run =>
        {
            var cursors = counts.AsSpan(run * tiles, tiles);
            int end = Math.Min(n, (run + 1) * runLength);
            for (int j = run * runLength; j < end; j++)
            {
                int v = order[j];
                for (int ty = y0[v]; ty < y1[v]; ty++)
                    for (int tx = x0[v]; tx < x1[v]; tx++)
                        entries[cursors[ty * tilesX + tx]++] = v;
            }
        });
    }

    /// <summary>
    /// Indices 0..n-1 of <paramref name="splats"/> by increasing depth, ties by index: a least-significant-digit
    /// radix sort of the depths' float bit patterns (a positive float's bits order like the float).
    /// </summary>
    private int[] SortByDepth<T>(Splat2D<T>[] splats, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (_order.Length < n)
        {
            int size = Math.Max(n, _order.Length * 3 / 2);
            (_keys, _keysScratch, _order, _orderScratch) = (new uint[size], new uint[size], new int[size], new int[size]);
        }
        var (keys, order) = (_keys, _order);
        for (int v = 0; v < n; v++)
        {
            keys[v] = BitConverter.SingleToUInt32Bits(float.CreateSaturating(splats[v].Depth));
            order[v] = v;
        }
        var (keysOut, orderOut) = (_keysScratch, _orderScratch);
        for (int shift = 0; shift < 32; shift += RadixBits)
        {
            var histogram = _histogram;
            Array.Clear(histogram);
            for (int j = 0; j < n; j++)
                histogram[(int)(keys[j] >> shift) & (RadixBuckets - 1)]++;
            int sum = 0;
            for (int b = 0; b < RadixBuckets; b++)
                (histogram[b], sum) = (sum, sum + histogram[b]);
            for (int j = 0; j < n; j++)
            {
                int slot = histogram[(int)(keys[j] >> shift) & (RadixBuckets - 1)]++;
                keysOut[slot] = keys[j];
                orderOut[slot] = order[j];
            }
            (keys, keysOut, order, orderOut) = (keysOut, keys, orderOut, order);
        }
        return order;
    }
}
