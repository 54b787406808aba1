// Stage 4: the per-pixel terms summed in float64, in a fixed order (deterministic, unlike atomics):
// loss, valid, covered, objective, gradient (6) and the upper triangle of sum g_p g_p^T (21),
// MOSAIC_SUMS values; then per label the covered pixels' loss and weight.

MOSAIC_DEVICE double mosaic_pixel_sum_term(const float* terms, int c)
{
    if (c < 4 + 6)
        return (double)terms[c];
    // Upper triangle, row-major: (0,0) (0,1) .. (0,5) (1,1) ..
    int u = c - 10, r = 0;
    while (u >= 6 - r)
    {
        u -= 6 - r;
        r++;
    }
    return (double)terms[4 + r] * (double)terms[4 + r + u];
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

// One thread per (chunk of chunk_size pixels, label): the covered pixels' loss and weight h_p(k).
MOSAIC_KERNEL void mosaic_reduce_label_chunks(const MosaicArgs a)
{
    int id = (int)MOSAIC_GLOBAL_INDEX();
    if (id >= a.chunks * a.label_count)
        return;
    int chunk = id / a.label_count, k = id % a.label_count;
    int first = chunk * a.chunk_size, last = first + a.chunk_size;
    int pixels = a.width * a.height;
    if (last > pixels)
        last = pixels;
    double loss = 0, weight = 0;
    for (int p = first; p < last; p++)
    {
        const float* terms = a.pixel_terms + MOSAIC_PIXEL_TERMS * p;
        if (terms[2] == 0)
            continue;
        for (int q = a.query_offsets[p]; q < a.query_offsets[p + 1]; q++)
        {
            if (a.query_labels[q] != k)
                continue;
            loss += (double)a.query_weights[q] * (double)terms[0];
            weight += (double)a.query_weights[q];
        }
    }
    a.label_partial_sums[2 * id] = loss;
    a.label_partial_sums[2 * id + 1] = weight;
}

// One thread per (label, loss or weight).
MOSAIC_KERNEL void mosaic_reduce_label_final(const MosaicArgs a)
{
    int c = (int)MOSAIC_GLOBAL_INDEX();
    if (c >= 2 * a.label_count)
        return;
    double sum = 0;
    for (int chunk = 0; chunk < a.chunks; chunk++)
        sum += a.label_partial_sums[2 * chunk * a.label_count + c];
    a.label_sums[c] = sum;
}
