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
        unsigned short second = a.second_labels[i];
        if (second == MOSAIC_NO_LABEL)
        {
            weights[a.labels[i]] += w;
        }
        else
        {
            float first = w * a.first_shares[i];
            weights[a.labels[i]] += first;
            weights[second] += w - first;
        }
        trans *= 1.0f - alpha;
        if (trans < a.min_transmittance)
            break;
    }
    a.alpha[p] = sum;
    a.depth[p] = sum > 0 ? depth / sum : MOSAIC_NAN;
}

// The slot of label among the labels present at the pixel, a new one (A_k and grad A_k zero) when it is
// not present yet; present itself when all MOSAIC_MAX_PRESENT slots are taken by other labels.
MOSAIC_DEVICE int mosaic_slot(unsigned short label, unsigned short* present_label, float* present_weight, float* present_gradient, int& present)
{
    int m = 0;
    while (m < present && present_label[m] != label)
        m++;
    if (m == present && present < MOSAIC_MAX_PRESENT)
    {
        present_label[m] = label;
        present_weight[m] = 0;
        for (int k = 0; k < 6; k++)
            present_gradient[6 * m + k] = 0;
        present++;
    }
    return m;
}

// LabelRasterizer.Evaluate: the pixel's loss, whether it is labelled and covered, its objective (the
// loss plus beta_p (A - 1), beta_p = sum_k h_k uncovered_shifts[k]) and (with the Jacobians) the pose
// gradient g_p of the objective and the upper triangle of its Fisher information F_p, as
// MOSAIC_PIXEL_TERMS floats: loss, valid, covered, objective, g_p[6], F_p[21]. One front-to-back pass
// gives A_k and grad A_k of the labels present, as grad w_i = T_i grad alpha_i - w_i sum_{j<i} grad alpha_j / (1 - alpha_j).
// The query's labels take the first slots, so the loss and gradient are exact; a pixel whose
// contributors carry more than MOSAIC_MAX_PRESENT labels in all (possible only with K > 64) leaves
// the rest out of F_p's sum over labels.
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
    unsigned short present_label[MOSAIC_MAX_PRESENT];
    float present_weight[MOSAIC_MAX_PRESENT], present_gradient[6 * MOSAIC_MAX_PRESENT];
    int present = qn;
    for (int m = 0; m < qn; m++)
    {
        present_label[m] = a.query_labels[q0 + m];
        present_weight[m] = 0;
        for (int k = 0; k < 6; k++)
            present_gradient[6 * m + k] = 0;
    }
    float gradient_a[6] = { 0, 0, 0, 0, 0, 0 };
    float carried[6] = { 0, 0, 0, 0, 0, 0 }; // sum over j < i of grad alpha_j / (1 - alpha_j)
    int px = p % a.width, py = p / a.width;
    float trans = 1, sum = 0;
    for (int e = a.tile_offsets[tile]; e < a.tile_offsets[tile + 1]; e++)
    {
        int i = mosaic_entry(a, e);
        const float* s = a.splats + MOSAIC_SPLAT_SIZE * i;
        float dx = (float)px - s[0], dy = (float)py - s[1];
        float alpha, dalpha_dq;
        if (!mosaic_alpha(a, s, dx, dy, alpha, dalpha_dq))
            continue;
        float w = alpha * trans;
        sum += w;
        // A second label takes w - w q and (1 - q) grad w_i, the first label the rest.
        unsigned short second = a.second_labels[i];
        float share = second == MOSAIC_NO_LABEL ? 1.0f : a.first_shares[i];
        int m = mosaic_slot(a.labels[i], present_label, present_weight, present_gradient, present);
        int m2 = second == MOSAIC_NO_LABEL ? present : mosaic_slot(second, present_label, present_weight, present_gradient, present);
        if (second == MOSAIC_NO_LABEL)
        {
            if (m < present)
                present_weight[m] += w;
        }
        else
        {
            float first = w * share;
            if (m < present)
                present_weight[m] += first;
            if (m2 < present)
                present_weight[m2] += w - first;
        }
        if (a.with_jacobian)
        {
            float grad_w[6];
            if (dalpha_dq == 0)
            {
                for (int k = 0; k < 6; k++)
                    grad_w[k] = -w * carried[k];
            }
            else
            {
                // dq/d(mean x, mean y, conic a, b, c), times dalpha/dq
                float s0 = -2.0f * dalpha_dq * (s[2] * dx + s[3] * dy);
                float s1 = -2.0f * dalpha_dq * (s[3] * dx + s[4] * dy);
                float s2 = dalpha_dq * dx * dx, s3 = dalpha_dq * 2.0f * dx * dy, s4 = dalpha_dq * dy * dy;
                const float* jac = a.jacobians + MOSAIC_JACOBIAN_SIZE * i;
                float inverse = 1.0f / (1.0f - alpha);
                for (int k = 0; k < 6; k++)
                {
                    float grad_alpha = s0 * jac[k] + s1 * jac[6 + k] + s2 * jac[12 + k] + s3 * jac[18 + k] + s4 * jac[24 + k];
                    grad_w[k] = trans * grad_alpha - w * carried[k];
                    carried[k] += grad_alpha * inverse;
                }
            }
            for (int k = 0; k < 6; k++)
            {
                gradient_a[k] += grad_w[k];
                float part = second == MOSAIC_NO_LABEL ? grad_w[k] : share * grad_w[k];
                if (m < present)
                    present_gradient[6 * m + k] += part;
                if (m2 < present)
                    present_gradient[6 * m2 + k] += grad_w[k] - part;
            }
        }
        trans *= 1.0f - alpha;
        if (trans < a.min_transmittance)
            break;
    }
    float loss = logf(sum + a.k_epsilon), beta = 0;
    for (int s = 0; s < qn; s++)
    {
        loss -= a.query_weights[q0 + s] * logf(present_weight[s] + a.epsilon);
        beta += a.query_weights[q0 + s] * a.uncovered_shifts[a.query_labels[q0 + s]];
    }
    bool covered = (double)sum >= a.coverage_threshold;
    out[0] = loss;
    out[1] = 1;
    out[2] = covered ? 1.0f : 0.0f;
    out[3] = loss - beta * (1.0f - sum);
    if (!a.with_jacobian)
        return;

    // g = (1/(A + K eps) + beta) grad A - sum_k h_k grad A_k / (A_k + eps);
    // F = sum_k grad A_k grad A_k^T / ((A_k + eps)(A + K eps)) - grad A grad A^T / (A + K eps)^2.
    float total = sum + a.k_epsilon;
    float c_a = 1.0f / total + beta;
    for (int k = 0; k < 6; k++)
        out[4 + k] = c_a * gradient_a[k];
    for (int s = 0; s < qn; s++)
    {
        float c = a.query_weights[q0 + s] / (present_weight[s] + a.epsilon);
        for (int k = 0; k < 6; k++)
            out[4 + k] -= c * present_gradient[6 * s + k];
    }
    float* fisher = out + 10;
    for (int m = 0; m < present; m++)
    {
        float scale = 1.0f / ((present_weight[m] + a.epsilon) * total);
        const float* gm = present_gradient + 6 * m;
        int u = 0;
        for (int r = 0; r < 6; r++)
            for (int c = r; c < 6; c++)
                fisher[u++] += scale * gm[r] * gm[c];
    }
    float inverse_square = 1.0f / (total * total);
    int u = 0;
    for (int r = 0; r < 6; r++)
        for (int c = r; c < 6; c++)
            fisher[u++] -= inverse_square * gradient_a[r] * gradient_a[c];
}
