using System.Numerics;

namespace Mosaic.Rendering;

/// <summary>
/// Stage 2 of rendering: for each image tile, the visible Gaussians that may touch it, front to back
/// (by camera depth; ties by index, so the order is deterministic).
/// </summary>
internal sealed class TileBins
{
    private const int ChunkSize = 4096;
    private int[] _counts = [];
    private ulong[] _keys = [];

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
        if (_counts.Length < tiles + 1)
        {
            _counts = new int[tiles + 1];
            Offsets = new int[tiles + 1];
        }
        Array.Clear(_counts, 0, tiles + 1);
        int n = projection.Count;
        var (x0, x1, y0, y1) = (projection.TileX0, projection.TileX1, projection.TileY0, projection.TileY1);
        var counts = _counts;
        Parallel.For(0, (n + ChunkSize - 1) / ChunkSize, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * ChunkSize);
            for (int v = chunk * ChunkSize; v < end; v++)
                for (int ty = y0[v]; ty < y1[v]; ty++)
                    for (int tx = x0[v]; tx < x1[v]; tx++)
                        Interlocked.Increment(ref counts[ty * tilesX + tx]);
        });
        var offsets = Offsets;
        offsets[0] = 0;
        int longest = 0;
        for (int t = 0; t < tiles; t++)
        {
            offsets[t + 1] = offsets[t] + _counts[t];
            longest = Math.Max(longest, _counts[t]);
        }
        MaxEntriesPerTile = longest;
        int total = offsets[tiles];
        if (_keys.Length < total)
        {
            _keys = new ulong[Math.Max(total, _keys.Length * 3 / 2)];
            Entries = new int[_keys.Length];
        }
        Array.Copy(offsets, counts, tiles); // reuse as fill cursors
        var splats = projection.Splats;
        var keys = _keys;
        // Threads fill each tile's slots in any order; the sort below makes the lists deterministic,
        // because every key is unique.
        Parallel.For(0, (n + ChunkSize - 1) / ChunkSize, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * ChunkSize);
            for (int v = chunk * ChunkSize; v < end; v++)
            {
                // A positive float's bit pattern orders like the float itself.
                ulong depthBits = BitConverter.SingleToUInt32Bits(float.CreateSaturating(splats[v].Depth));
                ulong key = depthBits << 32 | (uint)v;
                for (int ty = y0[v]; ty < y1[v]; ty++)
                    for (int tx = x0[v]; tx < x1[v]; tx++)
                        keys[Interlocked.Increment(ref counts[ty * tilesX + tx]) - 1] = key;
            }
        });
        var entries = Entries;
        Parallel.For(0, tiles, t =>
        {
            int start = offsets[t], length = offsets[t + 1] - start;
            var span = keys.AsSpan(start, length);
            span.Sort();
            for (int i = 0; i < length; i++)
                entries[start + i] = (int)(uint)span[i];
        });
    }
}
