using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;

namespace Mosaic.Mapping;

/// <summary>What depth fusion kept and dropped.</summary>
/// <param name="Points">Depth points fused.</param>
/// <param name="EdgePoints">Depth pixels rejected as depth edges.</param>
/// <param name="Voxels">Occupied voxels before filtering.</param>
/// <param name="SparseVoxels">Dropped for too few points or views.</param>
/// <param name="IsolatedVoxels">Dropped for too few occupied neighbours.</param>
/// <param name="Gaussians">Gaussians made (one per kept voxel).</param>
public sealed record FusionStatistics(long Points, long EdgePoints, int Voxels, int SparseVoxels, int IsolatedVoxels, int Gaussians);

/// <summary>
/// Fuses depth images into Gaussians: every valid depth point lands in a voxel of edge
/// <see cref="FusionOptions.VoxelSize"/>; each voxel's points give a Gaussian (mean = their mean,
/// covariance = their covariance with its standard deviations times ScaleFactor, clamped to
/// [MinScale, MaxScale] · voxel size, fixed opacity). Depth edges (flying pixels), voxels with few
/// points or views and isolated voxels are dropped.
/// </summary>
public sealed class DepthFusion
{
    private readonly FusionOptions _options;
    private readonly double _inverseVoxel;
    private readonly Dictionary<long, int> _index = new();
    private readonly List<VoxelStatistics> _voxels = new();
    private long _points, _edgePoints;
    private int _views;

    private struct VoxelStatistics
    {
        public int Count, Views, LastView;
        // Sums of offsets from the voxel's corner, which keeps the variance sums well conditioned.
        public double X, Y, Z, Xx, Xy, Xz, Yy, Yz, Zz;
        public long Key;
    }

    /// <summary>An empty fusion volume.</summary>
    public DepthFusion(FusionOptions options)
    {
        options.Validate();
        _options = options;
        _inverseVoxel = 1 / options.VoxelSize;
    }

    /// <summary>Adds one depth image seen from T_map_depth = <paramref name="mapFromDepth"/>.</summary>
    public void Add(Image<float> depth, CameraModel camera, Se3 mapFromDepth)
    {
        if (depth.Width != camera.Intrinsics.Width || depth.Height != camera.Intrinsics.Height)
            throw new ArgumentException($"depth image is {depth.Width}x{depth.Height}, the camera {camera.Intrinsics.Width}x{camera.Intrinsics.Height}");
        int view = ++_views;
        int stride = _options.PixelStride;
        int w = depth.Width, h = depth.Height;
        var rays = Rays(camera);
        var points = new List<Vector3d>(w * h / (stride * stride));
        for (int y = 0; y < h; y += stride)
        {
            for (int x = 0; x < w; x += stride)
            {
                float d = depth[x, y];
                if (!(d >= _options.MinDepth && d <= _options.MaxDepth))
                    continue;
                var ray = rays[y * w + x];
                if (float.IsNaN((float)ray.Z))
                    continue;
                if (IsEdge(depth, x, y, d))
                {
                    _edgePoints++;
                    continue;
                }
                points.Add(mapFromDepth.Apply(ray * d));
            }
        }
        double voxel = _options.VoxelSize;
        foreach (var p in points)
        {
            long ix = (long)Math.Floor(p.X * _inverseVoxel), iy = (long)Math.Floor(p.Y * _inverseVoxel), iz = (long)Math.Floor(p.Z * _inverseVoxel);
            long key = Key(ix, iy, iz);
            if (!_index.TryGetValue(key, out int slot))
            {
                slot = _voxels.Count;
                _index[key] = slot;
                _voxels.Add(new VoxelStatistics { Key = key });
            }
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_voxels);
            ref var v = ref span[slot];
            double dx = p.X - ix * voxel, dy = p.Y - iy * voxel, dz = p.Z - iz * voxel;
            v.Count++;
            if (v.LastView != view)
            {
                v.LastView = view;
                v.Views++;
            }
            v.X += dx; v.Y += dy; v.Z += dz;
            v.Xx += dx * dx; v.Xy += dx * dy; v.Xz += dx * dz; v.Yy += dy * dy; v.Yz += dy * dz; v.Zz += dz * dz;
        }
        _points += points.Count;
    }

    private Vector3d[]? _rays;
    private CameraModel? _rayCamera;

    /// <summary>The unit-depth ray (x/z, y/z, 1) of every pixel, undistorted; NaN where undistortion fails.</summary>
    private Vector3d[] Rays(CameraModel camera)
    {
        if (_rays is not null && ReferenceEquals(camera, _rayCamera))
            return _rays;
        int w = camera.Intrinsics.Width, h = camera.Intrinsics.Height;
        var rays = new Vector3d[w * h];
        Parallel.For(0, h, y =>
        {
            for (int x = 0; x < w; x++)
                rays[y * w + x] = camera.TryUnproject(x, y, out var ray) && ray.Z > 0 ? ray / ray.Z : new Vector3d(double.NaN, double.NaN, double.NaN);
        });
        (_rays, _rayCamera) = (rays, camera);
        return rays;
    }

    private bool IsEdge(Image<float> depth, int x, int y, float d)
    {
        float limit = (float)(_options.DepthEdgeRatio * d);
        ReadOnlySpan<(int, int)> neighbours = [(-1, 0), (1, 0), (0, -1), (0, 1)];
        foreach (var (ox, oy) in neighbours)
        {
            int nx = x + ox, ny = y + oy;
            if (nx < 0 || ny < 0 || nx >= depth.Width || ny >= depth.Height)
                continue;
            float n = depth[nx, ny];
            if (float.IsNaN(n) || Math.Abs(n - d) > limit)
                return true;
        }
        return false;
    }

    /// <summary>The Gaussians of the fused volume (label 0, <paramref name="labelCount"/> labels), with statistics.</summary>
    public (GaussianMap Map, FusionStatistics Statistics) Build(int labelCount)
    {
        var dense = new HashSet<long>();
        int sparse = 0;
        foreach (var v in _voxels)
        {
            if (v.Count >= _options.MinPoints && v.Views >= _options.MinViews)
                dense.Add(v.Key);
            else
                sparse++;
        }
        var kept = new List<VoxelStatistics>();
        int isolated = 0;
        foreach (var v in _voxels)
        {
            if (!dense.Contains(v.Key))
                continue;
            var (ix, iy, iz) = Unkey(v.Key);
            int neighbours = 0;
            for (long dz = -1; dz <= 1; dz++)
                for (long dy = -1; dy <= 1; dy++)
                    for (long dx = -1; dx <= 1; dx++)
                        if ((dx | dy | dz) != 0 && dense.Contains(Key(ix + dx, iy + dy, iz + dz)))
                            neighbours++;
            if (neighbours >= _options.MinNeighbours)
                kept.Add(v);
            else
                isolated++;
        }
        // Voxel order is insertion order, which depends only on the input: the map is deterministic.
        var map = new GaussianMap(kept.Count, labelCount);
        double voxel = _options.VoxelSize;
        double minVariance = Math.Pow(_options.MinScale * voxel, 2), maxVariance = Math.Pow(_options.MaxScale * voxel, 2);
        double scale2 = _options.ScaleFactor * _options.ScaleFactor;
        float opacityLogit = (float)Math.Log(_options.Opacity / (1 - _options.Opacity));
        Parallel.For(0, kept.Count, i =>
        {
            var v = kept[i];
            var (ix, iy, iz) = Unkey(v.Key);
            double n = v.Count;
            double mx = v.X / n, my = v.Y / n, mz = v.Z / n;
            var (values, vectors) = SymmetricEigen3.Decompose(
                v.Xx / n - mx * mx, v.Xy / n - mx * my, v.Xz / n - mx * mz, v.Yy / n - my * my, v.Yz / n - my * mz, v.Zz / n - mz * mz);
            map.Positions[3 * i] = (float)(ix * voxel + mx);
            map.Positions[3 * i + 1] = (float)(iy * voxel + my);
            map.Positions[3 * i + 2] = (float)(iz * voxel + mz);
            for (int a = 0; a < 3; a++)
                map.LogScales[3 * i + a] = (float)(0.5 * Math.Log(Math.Clamp(values[a] * scale2, minVariance, maxVariance)));
            var q = Quaterniond.FromMatrix(vectors);
            map.Rotations[4 * i] = (float)q.W;
            map.Rotations[4 * i + 1] = (float)q.X;
            map.Rotations[4 * i + 2] = (float)q.Y;
            map.Rotations[4 * i + 3] = (float)q.Z;
            map.OpacityLogits[i] = opacityLogit;
        });
        return (map, new FusionStatistics(_points, _edgePoints, _voxels.Count, sparse, isolated, kept.Count));
    }

    private const long Bias = 1 << 20, Mask = (1 << 21) - 1;

    private static long Key(long ix, long iy, long iz) => (ix + Bias & Mask) << 42 | (iy + Bias & Mask) << 21 | (iz + Bias & Mask);

    private static (long, long, long) Unkey(long key) => ((key >> 42 & Mask) - Bias, (key >> 21 & Mask) - Bias, (key & Mask) - Bias);
}
