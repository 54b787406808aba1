// Stage 3: front-to-back compositing per pixel (one thread each) over its tile's list, with early stop.

// Threads take pixels tile by tile (a launch has tiles * tile_size^2 threads, row-major within a tile),
// so that the threads of a warp walk the same tile list: no divergence between lists, and each splat
// read serves the whole warp. False for the threads of edge tiles that fall outside the image.
MOSAIC_DEVICE bool mosaic_thread_pixel(const MosaicArgs& a, int thread, int& p, int& tile)
{
    int area = a.tile_size * a.tile_size;
    tile = thread / area;
    if (tile >= a.tiles_x * a.tiles_y)
        return false;
    int local = thread - tile * area;
    int px = tile % a.tiles_x * a.tile_size + local % a.tile_size, py = tile / a.tiles_x * a.tile_size + local / a.tile_size;
    p = py * a.width + px;
    return px < a.width && py < a.height;
}

// LabelRasterizer.Render: A_k, A and expected depth per pixel.
MOSAIC_KERNEL void mosaic_render(const MosaicArgs a)
{
    int p, tile;
    if (!mosaic_thread_pixel(a, (int)MOSAIC_GLOBAL_INDEX(), p, tile))
        return;
    int px = p % a.width, py = p / a.width;
    float* weights = a.label_weights + (long long)p * a.label_count;
    for (int k = 0; k < a.label_count; k++)
        weights[k] = 0;
    float trans = 1, sum = 0, depth = 0;
    for (int e = a.tile_offsets[tile]; e < a.tile_offsets[tile + 1]; e++)
    {
        int i = mosaic_entry(a, e);
        const float* s = a.splats + MOSAIC_SPLAT_SIZE * i;
        float alpha, dalpha_dq;
        if (!mosaic_alpha(a, s, (float)px - s[0], (float)py - s[1], alpha, dalpha_dq))
            continue;
        float w = alpha * trans;
        sum += w;
        depth += w * s[5];
        weights[a.labels[i]] += w;
        trans *= 1.0f - alpha;
        if (trans < a.min_transmittance)
            break;
    }
    a.alpha[p] = sum;
    a.depth[p] = sum > 0 ? depth / sum : MOSAIC_NAN;
}

// LabelRasterizer.Evaluate: the pixel's loss, whether it is labelled and covered, its objective (the
// loss plus beta_p (A - 1), beta_p = sum_k h_k uncovered_shifts[k]) and (with the Jacobians) the pose
// gradient g_p of the objective, as MOSAIC_PIXEL_TERMS floats: loss, valid, covered, objective, g_p[6].
// The backward pass walks the list back to front and recovers each transmittance as
// T_i = T_{i+1} / (1 - alpha_i) instead of storing the contributors.
MOSAIC_KERNEL void mosaic_evaluate(const MosaicArgs a)
{
    int p, tile;
    if (!mosaic_thread_pixel(a, (int)MOSAIC_GLOBAL_INDEX(), p, tile))
        return;
    float* out = a.pixel_terms + MOSAIC_PIXEL_TERMS * p;
    for (int k = 0; k < MOSAIC_PIXEL_TERMS; k++)
        out[k] = 0;
    int q0 = a.query_offsets[p], qn = a.query_offsets[p + 1] - q0;
    if (qn == 0)
        return;
    float support_weight[MOSAIC_MAX_SUPPORT], support_h[MOSAIC_MAX_SUPPORT];
    for (int s = 0; s < qn; s++)
    {
        support_weight[s] = 0;
        support_h[s] = a.query_weights[q0 + s];
    }
    int px = p % a.width, py = p / a.width;
    int first = a.tile_offsets[tile], end = first;
    float trans = 1, sum = 0;
    for (int e = first; e < a.tile_offsets[tile + 1]; e++)
    {
        int i = mosaic_entry(a, e);
        const float* s = a.splats + MOSAIC_SPLAT_SIZE * i;
        float alpha, dalpha_dq;
        if (!mosaic_alpha(a, s, (float)px - s[0], (float)py - s[1], alpha, dalpha_dq))
            continue;
        float w = alpha * trans;
        sum += w;
        int slot = mosaic_support_slot(a, q0, qn, a.labels[i]);
        if (slot >= 0)
            support_weight[slot] += w;
        end = e + 1;
        trans *= 1.0f - alpha;
        if (trans < a.min_transmittance)
            break;
    }
    float loss = logf(sum + a.k_epsilon), beta = 0;
    for (int s = 0; s < qn; s++)
    {
        loss -= support_h[s] * logf(support_weight[s] + a.epsilon);
        beta += support_h[s] * a.uncovered_shifts[a.query_labels[q0 + s]];
    }
    bool covered = (double)sum >= a.coverage_threshold;
    out[0] = loss;
    out[1] = 1;
    out[2] = covered ? 1.0f : 0.0f;
    out[3] = loss - beta * (1.0f - sum);
    if (!a.with_jacobian || end == first)
        return;

    float c_a = 1.0f / (sum + a.k_epsilon) + beta;
    float g[6] = { 0, 0, 0, 0, 0, 0 };
    float behind = 0; // sum over j > i of c_j w_j
    float t_after = trans;
    for (int e = end - 1; e >= first; e--)
    {
        int i = mosaic_entry(a, e);
        const float* s = a.splats + MOSAIC_SPLAT_SIZE * i;
        float dx = (float)px - s[0], dy = (float)py - s[1];
        float alpha, dalpha_dq;
        if (!mosaic_alpha(a, s, dx, dy, alpha, dalpha_dq))
            continue;
        float t_before = t_after / (1.0f - alpha);
        t_after = t_before;
        int slot = mosaic_support_slot(a, q0, qn, a.labels[i]);
        float c = slot >= 0 ? c_a - support_h[slot] / (support_weight[slot] + a.epsilon) : c_a;
        float w = alpha * t_before;
        float dl_dalpha = c * t_before - behind / (1.0f - alpha);
        behind += c * w;
        if (dalpha_dq == 0)
            continue;
        float f = dl_dalpha * dalpha_dq;
        // dq/d(mean x, mean y, conic a, b, c)
        float s0 = -2.0f * f * (s[2] * dx + s[3] * dy);
        float s1 = -2.0f * f * (s[3] * dx + s[4] * dy);
        float s2 = f * dx * dx, s3 = f * 2.0f * dx * dy, s4 = f * dy * dy;
        const float* jac = a.jacobians + MOSAIC_JACOBIAN_SIZE * i;
        for (int k = 0; k < 6; k++)
            g[k] += s0 * jac[k] + s1 * jac[6 + k] + s2 * jac[12 + k] + s3 * jac[18 + k] + s4 * jac[24 + k];
    }
    for (int k = 0; k < 6; k++)
        out[4 + k] = g[k];
}
