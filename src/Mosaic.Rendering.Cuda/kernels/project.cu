// Stage 1: project every map Gaussian (one thread each).

MOSAIC_KERNEL void mosaic_project(const MosaicArgs a)
{
    int i = (int)MOSAIC_GLOBAL_INDEX();
    if (i >= a.count)
        return;
    int* rect = a.rects + 4 * i;
    MosaicProjected g;
    if (!mosaic_project_one(a, i, g) || !mosaic_tile_rect(a, g, rect))
    {
        rect[0] = rect[1] = rect[2] = rect[3] = 0;
        return;
    }
    float* s = a.splats + MOSAIC_SPLAT_SIZE * i;
    s[0] = g.mean_x; s[1] = g.mean_y;
    s[2] = g.conic_a; s[3] = g.conic_b; s[4] = g.conic_c;
    s[5] = g.p[2];
    s[6] = a.opacities[i];
    s[7] = 0;
    if (a.with_jacobian)
        mosaic_write_jacobian(a, g, a.jacobians + MOSAIC_JACOBIAN_SIZE * i);
}
