// Mosaic's CUDA rendering kernels: the argument block every kernel receives and the per-Gaussian and
// per-pixel math of the CPU backend (src/Mosaic.Rendering: GaussianProjection, TileBins, LabelRasterizer),
// which is the reference these kernels are checked against.
//
// The kernels are written for two compilers: NVRTC at run time (prelude_nvrtc.cuh) and the host C++
// compiler for the emulated device the tests run without a GPU (native/emulator.cpp). Hence: one
// thread index per launch (MOSAIC_GLOBAL_INDEX), no shared memory, no block synchronisation, atomics
// only through mosaic_atomic_add. Every launch is one-dimensional. Results are deterministic: atomics
// only count and reserve slots, tile lists are sorted by (depth, index) afterwards, and sums are
// reduced in a fixed order.

#define MOSAIC_JACOBIAN_SIZE 30
#define MOSAIC_SPLAT_SIZE 8
#define MOSAIC_PIXEL_TERMS 31
#define MOSAIC_SUMS 31
#define MOSAIC_MAX_SUPPORT 64
#define MOSAIC_MAX_PRESENT 64
#define MOSAIC_SORT_RUN 32
#define MOSAIC_REDUCE_GROUP 32
#define MOSAIC_SCAN_GROUP 32
#define MOSAIC_NO_LABEL 65535

// Field order: 8-byte members first, then 4-byte ones, so that the C# mirror (KernelArgs.cs) has the
// same layout without packing attributes. Change both together; a test compares the layouts.
struct MosaicArgs
{
    // The map, uploaded once: centre (3), world covariance upper triangle xx xy xz yy yz zz (6), opacity,
    // label, second label (MOSAIC_NO_LABEL where none) and the first label's share of the weight (1 where none).
    const float* means;
    const float* covariances;
    const float* opacities;
    const unsigned short* labels;
    const unsigned short* second_labels;
    const float* first_shares;
    // Projection, per map Gaussian: mean x, mean y, conic a, b, c, depth, opacity, unused; tile rectangle
    // x0, x1, y0, y1 (empty when invisible); the 5x6 pose Jacobian when asked for.
    float* splats;
    int* rects;
    float* jacobians;
    // Binning: per tile count, offsets (tiles + 1) and fill cursors; per group of tiles its entries,
    // longest list and offset; totals = entries, longest list, visible; the (depth, index) keys of the
    // tile lists and the sort's output (they trade places between passes).
    int* tile_counts;
    int* tile_offsets;
    int* tile_cursors;
    int* tile_groups;
    int* bin_totals;
    unsigned long long* keys;
    unsigned long long* sorted_keys;
    // The query's label distribution per pixel, compressed rows (offsets: pixels + 1).
    const int* query_offsets;
    const unsigned short* query_labels;
    const float* query_weights;
    // Outputs.
    float* label_weights;
    float* alpha;
    float* depth;
    float* pixel_terms;
    // Partial sums, one row per chunk of pixels: MOSAIC_SUMS, then per label the covered pixels' loss and
    // weight (2 per label); then the rows one reduction pass sums, and where it writes.
    double* partial_sums;
    const double* reduce_in;
    double* reduce_out;
    // Per label k: log K - u_k of the objective (all 0: the objective is the loss).
    const float* uncovered_shifts;
    double coverage_threshold;
    // T_cam_map, row-major rotation and translation.
    float r[9];
    float t[3];
    float fx, fy, cx, cy;
    float near_plane, far_plane, low_pass, q_max;
    float lim_x_neg, lim_x_pos, lim_y_neg, lim_y_pos;
    float cut, inv_norm, max_alpha, min_transmittance, epsilon, k_epsilon;
    int count;
    int label_count;
    int width, height, tile_size, tiles_x, tiles_y;
    int with_jacobian;
    int chunk_size, chunks;
    int sort_width;
    int reduce_rows, reduce_width;
};

// One Gaussian in the camera: what the tile rectangle and the Jacobian need again.
struct MosaicProjected
{
    float p[3];
    float sc[9];
    float iz, u, v;
    bool u_clamped, v_clamped;
    float j0[3], j1[3];
    float s00, s01, s11;
    float mean_x, mean_y, conic_a, conic_b, conic_c;
};

MOSAIC_DEVICE float mosaic_dot3(const float* a, const float* b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

// out = m * v for a row-major 3x3 m.
MOSAIC_DEVICE void mosaic_mul3(const float* m, const float* v, float* out)
{
    for (int r = 0; r < 3; r++)
        out[r] = m[3 * r] * v[0] + m[3 * r + 1] * v[1] + m[3 * r + 2] * v[2];
}

// out = a * b for row-major 3x3 matrices.
MOSAIC_DEVICE void mosaic_mat3(const float* a, const float* b, float* out)
{
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            out[3 * r + c] = a[3 * r] * b[c] + a[3 * r + 1] * b[3 + c] + a[3 * r + 2] * b[6 + c];
}

MOSAIC_DEVICE float mosaic_clamp(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

// GaussianProjection.CameraFrame.TryProject: transform, cull, EWA projection with the 2D low-pass.
MOSAIC_DEVICE bool mosaic_project_one(const MosaicArgs& a, int i, MosaicProjected& g)
{
    const float* mu = a.means + 3 * i;
    float p[3];
    mosaic_mul3(a.r, mu, p);
    for (int k = 0; k < 3; k++)
        p[k] += a.t[k];
    if (!(p[2] >= a.near_plane) || p[2] > a.far_plane)
        return false;
    const float* c = a.covariances + 6 * i;
    float sigma[9] = { c[0], c[1], c[2], c[1], c[3], c[4], c[2], c[4], c[5] };
    float rt[9] = { a.r[0], a.r[3], a.r[6], a.r[1], a.r[4], a.r[7], a.r[2], a.r[5], a.r[8] };
    float rs[9];
    mosaic_mat3(a.r, sigma, rs);
    mosaic_mat3(rs, rt, g.sc);
    float iz = 1.0f / p[2];
    float u = p[0] * iz, v = p[1] * iz;
    g.u_clamped = u < -a.lim_x_neg || u > a.lim_x_pos;
    g.v_clamped = v < -a.lim_y_neg || v > a.lim_y_pos;
    float ul = mosaic_clamp(u, -a.lim_x_neg, a.lim_x_pos), vl = mosaic_clamp(v, -a.lim_y_neg, a.lim_y_pos);
    g.j0[0] = a.fx * iz; g.j0[1] = 0; g.j0[2] = -a.fx * ul * iz;
    g.j1[0] = 0; g.j1[1] = a.fy * iz; g.j1[2] = -a.fy * vl * iz;
    float b0[3], b1[3];
    mosaic_mul3(g.sc, g.j0, b0);
    mosaic_mul3(g.sc, g.j1, b1);
    float s00 = mosaic_dot3(g.j0, b0) + a.low_pass, s01 = mosaic_dot3(g.j0, b1), s11 = mosaic_dot3(g.j1, b1) + a.low_pass;
    float det = s00 * s11 - s01 * s01;
    if (!(det > 0))
        return false;
    for (int k = 0; k < 3; k++)
        g.p[k] = p[k];
    g.iz = iz; g.u = ul; g.v = vl;
    g.s00 = s00; g.s01 = s01; g.s11 = s11;
    g.mean_x = a.fx * u + a.cx;
    g.mean_y = a.fy * v + a.cy;
    g.conic_a = s11 / det; g.conic_b = -s01 / det; g.conic_c = s00 / det;
    return true;
}

// GaussianProjection.CameraFrame.TryTileRect: tiles touched by the pixels inside the support's bounding box.
MOSAIC_DEVICE bool mosaic_tile_rect(const MosaicArgs& a, const MosaicProjected& g, int* rect)
{
    double rx = (double)sqrtf(a.q_max * g.s00), ry = (double)sqrtf(a.q_max * g.s11);
    double mx = (double)g.mean_x, my = (double)g.mean_y;
    double px0 = ceil(mx - rx), px1 = floor(mx + rx), py0 = ceil(my - ry), py1 = floor(my + ry);
    if (px0 < 0) px0 = 0;
    if (py0 < 0) py0 = 0;
    if (px1 > a.width - 1) px1 = a.width - 1;
    if (py1 > a.height - 1) py1 = a.height - 1;
    if (px0 > px1 || py0 > py1)
        return false;
    int x1 = (int)px1 / a.tile_size + 1, y1 = (int)py1 / a.tile_size + 1;
    rect[0] = (int)px0 / a.tile_size;
    rect[1] = x1 < a.tiles_x ? x1 : a.tiles_x;
    rect[2] = (int)py0 / a.tile_size;
    rect[3] = y1 < a.tiles_y ? y1 : a.tiles_y;
    return true;
}

// GaussianProjection.CameraFrame.WriteJacobian: d(mean x, mean y, conic a, b, c)/d(rho, phi), row-major 5x6.
MOSAIC_DEVICE void mosaic_write_jacobian(const MosaicArgs& a, const MosaicProjected& g, float* jac)
{
    const float* p = g.p;
    const float* sc = g.sc;
    float iz = g.iz;
    float b0[3], b1[3];
    mosaic_mul3(sc, g.j0, b0);
    mosaic_mul3(sc, g.j1, b1);
    float det = g.s00 * g.s11 - g.s01 * g.s01;
    float ca = g.s11 / det, cb = -g.s01 / det, cc = g.s00 / det;
    for (int k = 0; k < 6; k++)
    {
        // Left perturbation of T_cam_map: dp/drho_k = e_k, dp/dphi_k = e_k x p, dSc/dphi_k = [e_k]x Sc - Sc [e_k]x.
        float dp[3] = { 0, 0, 0 };
        float dsj00 = 0, dsj01 = 0, dsj11 = 0;
        if (k < 3)
        {
            dp[k] = 1;
        }
        else
        {
            float e[3] = { k == 3 ? 1.0f : 0.0f, k == 4 ? 1.0f : 0.0f, k == 5 ? 1.0f : 0.0f };
            dp[0] = e[1] * p[2] - e[2] * p[1];
            dp[1] = e[2] * p[0] - e[0] * p[2];
            dp[2] = e[0] * p[1] - e[1] * p[0];
            float skew[9] = { 0, -e[2], e[1], e[2], 0, -e[0], -e[1], e[0], 0 };
            float left[9], right[9], dsc[9];
            mosaic_mat3(skew, sc, left);
            mosaic_mat3(sc, skew, right);
            for (int m = 0; m < 9; m++)
                dsc[m] = left[m] - right[m];
            float d0[3], d1[3];
            mosaic_mul3(dsc, g.j0, d0);
            mosaic_mul3(dsc, g.j1, d1);
            dsj00 = mosaic_dot3(g.j0, d0);
            dsj01 = mosaic_dot3(g.j0, d1);
            dsj11 = mosaic_dot3(g.j1, d1);
        }
        float diz = -iz * iz * dp[2];
        float du = g.u_clamped ? 0.0f : (dp[0] - g.u * dp[2]) * iz;
        float dv = g.v_clamped ? 0.0f : (dp[1] - g.v * dp[2]) * iz;
        float dj0[3] = { a.fx * diz, 0, -a.fx * (du * iz + g.u * diz) };
        float dj1[3] = { 0, a.fy * diz, -a.fy * (dv * iz + g.v * diz) };
        float ds00 = 2 * mosaic_dot3(dj0, b0) + dsj00;
        float ds01 = mosaic_dot3(dj0, b1) + mosaic_dot3(dj1, b0) + dsj01;
        float ds11 = 2 * mosaic_dot3(dj1, b1) + dsj11;
        // d(S^-1) = -S^-1 dS S^-1
        float m00 = ds00 * ca + ds01 * cb, m01 = ds00 * cb + ds01 * cc;
        float m10 = ds01 * ca + ds11 * cb, m11 = ds01 * cb + ds11 * cc;
        jac[k] = a.fx * (dp[0] * iz + p[0] * diz);
        jac[6 + k] = a.fy * (dp[1] * iz + p[1] * diz);
        jac[12 + k] = -(ca * m00 + cb * m10);
        jac[18 + k] = -(ca * m01 + cb * m11);
        jac[24 + k] = -(cb * m01 + cc * m11);
    }
}

// LabelRasterizer.TryAlpha: alpha of a splat at offset (dx, dy) and dalpha/dq (0 where alpha is clamped).
MOSAIC_DEVICE bool mosaic_alpha(const MosaicArgs& a, const float* s, float dx, float dy, float& alpha, float& dalpha_dq)
{
    float q = s[2] * dx * dx + 2.0f * s[3] * dx * dy + s[4] * dy * dy;
    if (!(q < a.q_max))
    {
        alpha = dalpha_dq = 0;
        return false;
    }
    float e = expf(-0.5f * q);
    alpha = s[6] * (e - a.cut) * a.inv_norm;
    if (alpha > a.max_alpha)
    {
        alpha = a.max_alpha;
        dalpha_dq = 0;
    }
    else
    {
        dalpha_dq = -0.5f * s[6] * e * a.inv_norm;
    }
    return alpha > 0;
}

// The map Gaussian of a tile list entry: the low 32 bits of its (depth, index) key.
MOSAIC_DEVICE int mosaic_entry(const MosaicArgs& a, int e) { return (int)(a.keys[e] & 0xffffffffull); }

// Every kernel, for the emulated device's launch table.
#define MOSAIC_KERNEL_LIST(X) \
    X(mosaic_project) X(mosaic_count_tiles) X(mosaic_scan_groups) X(mosaic_scan_tiles) X(mosaic_scan_spread) X(mosaic_emit_keys) X(mosaic_sort_runs) X(mosaic_merge_runs) \
    X(mosaic_render) X(mosaic_evaluate) X(mosaic_reduce_chunks) X(mosaic_reduce_label_chunks) X(mosaic_reduce_rows)
