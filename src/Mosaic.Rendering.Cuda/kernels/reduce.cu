// Stage 4: the per-pixel terms summed in float64, in a fixed order (deterministic, unlike atomics):
// loss, valid, covered, gradient (6) and the upper triangle of sum g_p g_p^T (21), MOSAIC_SUMS values.

MOSAIC_DEVICE double mosaic_pixel_sum_term(const float* terms, int c)
{
    if (c < 3 + 6)
        return (double)terms[c];
    // Upper triangle, row-major: (0,0) (0,1) .. (0,5) (1,1) ..
    int u = c - 9, r = 0;
    while (u >= 6 - r)
    {
        u -= 6 - r;
        r++;
    }
    return (double)terms[3 + r] * (double)terms[3 + r + u];
}

// One thread per (chunk of chunk_size pixels, sum).
MOSAIC_KERNEL void mosaic_reduce_chunks(const MosaicArgs a)
{
    int id = (int)MOSAIC_GLOBAL_INDEX();
    if (id >= a.chunks * MOSAIC_SUMS)
        return;
    int chunk = id / MOSAIC_SUMS, c = id % MOSAIC_SUMS;
    int first = chunk * a.chunk_size, last = first + a.chunk_size;
    int pixels = a.width * a.height;
    if (last > pixels)
        last = pixels;
    double sum = 0;
    for (int p = first; p < last; p++)
        sum += mosaic_pixel_sum_term(a.pixel_terms + MOSAIC_PIXEL_TERMS * p, c);
    a.partial_sums[id] = sum;
}

// One thread per sum.
MOSAIC_KERNEL void mosaic_reduce_final(const MosaicArgs a)
{
    int c = (int)MOSAIC_GLOBAL_INDEX();
    if (c >= MOSAIC_SUMS)
        return;
    double sum = 0;
    for (int chunk = 0; chunk < a.chunks; chunk++)
        sum += a.partial_sums[chunk * MOSAIC_SUMS + c];
    a.sums[c] = sum;
}
