// Stage 2: tile lists, front to back. Count the tiles each visible Gaussian touches, turn the counts
// into offsets, emit one (depth, index) key per Gaussian and tile, sort each tile's keys.

// Needs tile_counts and bin_totals zeroed.
MOSAIC_KERNEL void mosaic_count_tiles(const MosaicArgs a)
{
    int i = (int)MOSAIC_GLOBAL_INDEX();
    if (i >= a.count)
        return;
    const int* rect = a.rects + 4 * i;
    if (rect[0] == rect[1])
        return;
    mosaic_atomic_add(&a.bin_totals[2], 1);
    for (int ty = rect[2]; ty < rect[3]; ty++)
        for (int tx = rect[0]; tx < rect[1]; tx++)
            mosaic_atomic_add(&a.tile_counts[ty * a.tiles_x + tx], 1);
}

// One thread: a few thousand tiles are summed faster than a parallel scan is launched.
MOSAIC_KERNEL void mosaic_scan_tiles(const MosaicArgs a)
{
    if (MOSAIC_GLOBAL_INDEX() != 0)
        return;
    int tiles = a.tiles_x * a.tiles_y;
    int total = 0, longest = 0;
    for (int t = 0; t < tiles; t++)
    {
        a.tile_offsets[t] = total;
        a.tile_cursors[t] = total;
        int n = a.tile_counts[t];
        total += n;
        if (n > longest)
            longest = n;
    }
    a.tile_offsets[tiles] = total;
    a.bin_totals[0] = total;
    a.bin_totals[1] = longest;
}

// Needs keys to hold bin_totals[0] entries. The order within a tile depends on the scheduling until sorted.
MOSAIC_KERNEL void mosaic_emit_keys(const MosaicArgs a)
{
    int i = (int)MOSAIC_GLOBAL_INDEX();
    if (i >= a.count)
        return;
    const int* rect = a.rects + 4 * i;
    if (rect[0] == rect[1])
        return;
    // A positive float's bit pattern orders like the float itself; the index breaks ties.
    unsigned long long key = (unsigned long long)mosaic_float_bits(a.splats[MOSAIC_SPLAT_SIZE * i + 5]) << 32 | (unsigned int)i;
    for (int ty = rect[2]; ty < rect[3]; ty++)
        for (int tx = rect[0]; tx < rect[1]; tx++)
            a.keys[mosaic_atomic_add(&a.tile_cursors[ty * a.tiles_x + tx], 1)] = key;
}

MOSAIC_DEVICE void mosaic_sift_down(unsigned long long* keys, int root, int n)
{
    for (;;)
    {
        int child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && keys[child + 1] > keys[child])
            child++;
        if (keys[root] >= keys[child])
            return;
        unsigned long long swap = keys[root];
        keys[root] = keys[child];
        keys[child] = swap;
        root = child;
    }
}

// One thread per tile, heap sort in place: O(n log n) without scratch memory or synchronisation.
MOSAIC_KERNEL void mosaic_sort_tiles(const MosaicArgs a)
{
    int t = (int)MOSAIC_GLOBAL_INDEX();
    if (t >= a.tiles_x * a.tiles_y)
        return;
    unsigned long long* keys = a.keys + a.tile_offsets[t];
    int n = a.tile_offsets[t + 1] - a.tile_offsets[t];
    for (int root = n / 2 - 1; root >= 0; root--)
        mosaic_sift_down(keys, root, n);
    for (int end = n - 1; end > 0; end--)
    {
        unsigned long long swap = keys[0];
        keys[0] = keys[end];
        keys[end] = swap;
        mosaic_sift_down(keys, 0, end);
    }
}
