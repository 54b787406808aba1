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

// The tile counts become offsets in three launches with short serial loops (one thread walking a
// thousand tiles waits on memory at every step): per group of MOSAIC_SCAN_GROUP tiles its entries and
// longest list; the groups' offsets and the totals; each tile's offset within its group.

// One thread per group g of tiles: tile_groups[g] = its entries, tile_groups[groups + g] = its longest list.
MOSAIC_KERNEL void mosaic_scan_groups(const MosaicArgs a)
{
    int g = (int)MOSAIC_GLOBAL_INDEX();
    int tiles = a.tiles_x * a.tiles_y, groups = (tiles + MOSAIC_SCAN_GROUP - 1) / MOSAIC_SCAN_GROUP;
    if (g >= groups)
        return;
    int last = (g + 1) * MOSAIC_SCAN_GROUP < tiles ? (g + 1) * MOSAIC_SCAN_GROUP : tiles;
    int total = 0, longest = 0;
    for (int t = g * MOSAIC_SCAN_GROUP; t < last; t++)
    {
        int n = a.tile_counts[t];
        total += n;
        if (n > longest)
            longest = n;
    }
    a.tile_groups[g] = total;
    a.tile_groups[groups + g] = longest;
}

// One thread: tile_groups[2 groups + g] = the entries before group g; bin_totals = entries, longest list.
MOSAIC_KERNEL void mosaic_scan_tiles(const MosaicArgs a)
{
    if (MOSAIC_GLOBAL_INDEX() != 0)
        return;
    int tiles = a.tiles_x * a.tiles_y, groups = (tiles + MOSAIC_SCAN_GROUP - 1) / MOSAIC_SCAN_GROUP;
    int total = 0, longest = 0;
    for (int g = 0; g < groups; g++)
    {
        a.tile_groups[2 * groups + g] = total;
        total += a.tile_groups[g];
        if (a.tile_groups[groups + g] > longest)
            longest = a.tile_groups[groups + g];
    }
    a.tile_offsets[tiles] = total;
    a.bin_totals[0] = total;
    a.bin_totals[1] = longest;
}

// One thread per tile: the offset of its list, where emit_keys starts filling it.
MOSAIC_KERNEL void mosaic_scan_spread(const MosaicArgs a)
{
    int t = (int)MOSAIC_GLOBAL_INDEX();
    int tiles = a.tiles_x * a.tiles_y, groups = (tiles + MOSAIC_SCAN_GROUP - 1) / MOSAIC_SCAN_GROUP;
    if (t >= tiles)
        return;
    int g = t / MOSAIC_SCAN_GROUP;
    int offset = a.tile_groups[2 * groups + g];
    for (int i = g * MOSAIC_SCAN_GROUP; i < t; i++)
        offset += a.tile_counts[i];
    a.tile_offsets[t] = offset;
    a.tile_cursors[t] = offset;
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

// The tile list [first, end) that holds entry e: that of the last tile whose offset is at most e (empty
// tiles share the offset of the next one). False past the last entry.
MOSAIC_DEVICE bool mosaic_entry_list(const MosaicArgs& a, int e, int& first, int& end)
{
    int lo = 0, hi = a.tiles_x * a.tiles_y;
    if (e >= a.tile_offsets[hi])
        return false;
    while (hi - lo > 1)
    {
        int mid = (lo + hi) / 2;
        if (a.tile_offsets[mid] <= e)
            lo = mid;
        else
            hi = mid;
    }
    first = a.tile_offsets[lo];
    end = a.tile_offsets[lo + 1];
    return true;
}

// Sorting each tile's list front to back takes one thread per entry and a few launches: runs of
// MOSAIC_SORT_RUN entries sorted by rank, then merge passes that double the run width. Keys are unique
// (the index breaks depth ties), so every entry has a slot of its own in the output and the result does
// not depend on scheduling. Each launch reads keys and writes sorted_keys; the host swaps them between
// launches.

// Entry e goes to its rank among the entries of its run.
MOSAIC_KERNEL void mosaic_sort_runs(const MosaicArgs a)
{
    int e = (int)MOSAIC_GLOBAL_INDEX(), first, end;
    if (!mosaic_entry_list(a, e, first, end))
        return;
    int run = first + (e - first) / MOSAIC_SORT_RUN * MOSAIC_SORT_RUN;
    int run_end = run + MOSAIC_SORT_RUN < end ? run + MOSAIC_SORT_RUN : end;
    unsigned long long key = a.keys[e];
    int rank = 0;
    for (int f = run; f < run_end; f++)
        rank += a.keys[f] < key ? 1 : 0;
    a.sorted_keys[run + rank] = key;
}

// Merges the sorted runs of sort_width entries pairwise within each tile: entry e's slot in the merged
// pair is its index in its own run plus the number of smaller keys in the other run (binary search).
MOSAIC_KERNEL void mosaic_merge_runs(const MosaicArgs a)
{
    int e = (int)MOSAIC_GLOBAL_INDEX(), first, end;
    if (!mosaic_entry_list(a, e, first, end))
        return;
    int width = a.sort_width;
    int pair = first + (e - first) / (2 * width) * (2 * width);
    int middle = pair + width < end ? pair + width : end;
    int pair_end = pair + 2 * width < end ? pair + 2 * width : end;
    bool in_left = e < middle;
    int lo = in_left ? middle : pair, hi = in_left ? pair_end : middle;
    int other = lo;
    unsigned long long key = a.keys[e];
    while (lo < hi)
    {
        int mid = (lo + hi) / 2;
        if (a.keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    int own_index = in_left ? e - pair : e - middle;
    a.sorted_keys[pair + own_index + (lo - other)] = key;
}
