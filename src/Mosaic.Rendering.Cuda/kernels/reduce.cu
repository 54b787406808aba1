// Stage 4: the per-pixel terms summed in float64 in a fixed order (deterministic, unlike atomics): loss,
// valid, covered, objective, gradient (6) and the upper triangle of the Fisher information (21), MOSAIC_SUMS
// values; then per label the covered pixels' loss and weight, 2 K values. Each chunk of chunk_size
// pixels has one row of MOSAIC_SUMS + 2 K partial sums, and MOSAIC_REDUCE_GROUP rows at a time are
// summed into one until one row is left: many threads with short serial loops, since one thread's
// loop over thousands of values waits on memory at every step.

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
        sum += (double)a.pixel_terms[MOSAIC_PIXEL_TERMS * p + c];
    a.partial_sums[(long long)chunk * (MOSAIC_SUMS + 2 * a.label_count) + c] = sum;
}

// One thread per (output row, column): row r of reduce_out is the sum of rows [r G, (r + 1) G) of the
// reduce_rows rows of reduce_width values in reduce_in, G = MOSAIC_REDUCE_GROUP.
MOSAIC_KERNEL void mosaic_reduce_rows(const MosaicArgs a)
{
    int id = (int)MOSAIC_GLOBAL_INDEX();
    int width = a.reduce_width;
    int out_rows = (a.reduce_rows + MOSAIC_REDUCE_GROUP - 1) / MOSAIC_REDUCE_GROUP;
    if (id >= out_rows * width)
        return;
    int row = id / width, c = id % width;
    int first = row * MOSAIC_REDUCE_GROUP, last = first + MOSAIC_REDUCE_GROUP;
    if (last > a.reduce_rows)
        last = a.reduce_rows;
    double sum = 0;
    for (int r = first; r < last; r++)
        sum += a.reduce_in[(long long)r * width + c];
    a.reduce_out[id] = sum;
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
    double* row = a.partial_sums + (long long)chunk * (MOSAIC_SUMS + 2 * a.label_count) + MOSAIC_SUMS;
    row[2 * k] = loss;
    row[2 * k + 1] = weight;
}
