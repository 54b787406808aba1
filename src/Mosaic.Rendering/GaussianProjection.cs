using System.Numerics;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;

namespace Mosaic.Rendering;

/// <summary>
/// Stage 1 of rendering: each Gaussian transformed into the camera, culled against the near and far
/// planes and the image, and projected (EWA) to a 2D mean and conic (inverse 2D covariance) with its
/// tile rectangle. With a gradient, also each visible Gaussian's 5×6 Jacobian of
/// (mean x, mean y, conic a, conic b, conic c) with respect to the left-perturbation pose tangent
/// (ρ, φ) of T_cam_map (see <see cref="Se3"/>).
/// </summary>
/// <remarks>Buffers grow to the largest scene seen and are reused; not thread-safe.</remarks>
internal sealed class GaussianProjection<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Number of elements per Gaussian in <see cref="Jacobian"/>.</summary>
    public const int JacobianSize = 30;

    /// <summary>
    /// Values after the last Gaussian's Jacobian, so that the rasterizer may read each 6-value row as
    /// 8 values (the last two unused).
    /// </summary>
    public const int JacobianPadding = 2;

    // Per source Gaussian (before compaction).
    private bool[] _visible = [];

    /// <summary>Number of visible Gaussians; the arrays below hold them in [0, Count).</summary>
    public int Count { get; private set; }
    public int[] Source = [];
    public Splat2D<T>[] Splats = [];
    public int[] TileX0 = [], TileX1 = [], TileY0 = [], TileY1 = [];

    /// <summary>
    /// Row-major 5×6 per source Gaussian (index <see cref="Source"/>[v] for visible Gaussian v); valid
    /// only for visible Gaussians after a projection with a gradient. Indexed by source so that it is
    /// written while each Gaussian's projection is at hand, before compaction.
    /// </summary>
    public T[] Jacobian = [];

    /// <summary>Tiles across and down the image of the last projection.</summary>
    public int TilesX { get; private set; }
    public int TilesY { get; private set; }

    public void Project(SplatScene<T> scene, Se3 camFromMap, PinholeCamera camera, RenderSettings settings, int tileSize, bool withJacobian)
    {
        int n = scene.Count;
        EnsureCapacity(n, withJacobian);
        var frame = new CameraFrame(camFromMap, camera, settings, tileSize);
        TilesX = (camera.Width + tileSize - 1) / tileSize;
        TilesY = (camera.Height + tileSize - 1) / tileSize;

        // Project every Gaussian (and, with a gradient, write its Jacobian) into per-source slots in
        // parallel, then compact in source order so that results do not depend on thread scheduling.
        var rawMeanX = _rawMeanX; var rawMeanY = _rawMeanY; var rawA = _rawA; var rawB = _rawB; var rawC = _rawC; var rawDepth = _rawDepth;
        var rawRect = _rawRect;
        var jacobian = Jacobian;
        var visible = _visible;
        Parallel.For(0, (n + ChunkSize - 1) / ChunkSize, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * ChunkSize);
            for (int i = chunk * ChunkSize; i < end; i++)
            {
                visible[i] = false;
                if (!frame.TryProject(scene, i, out var g))
                    continue;
                if (!frame.TryTileRect(g, TilesX, TilesY, out int x0, out int x1, out int y0, out int y1))
                    continue;
                visible[i] = true;
                if (withJacobian)
                    frame.WriteJacobian(g, jacobian.AsSpan(JacobianSize * i, JacobianSize));
                rawMeanX[i] = g.MeanX; rawMeanY[i] = g.MeanY; rawA[i] = g.ConicA; rawB[i] = g.ConicB; rawC[i] = g.ConicC; rawDepth[i] = g.Camera.Z;
                rawRect[4 * i] = x0; rawRect[4 * i + 1] = x1; rawRect[4 * i + 2] = y0; rawRect[4 * i + 3] = y1;
            }
        });
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            if (!visible[i])
                continue;
            Source[count] = i;
            Splats[count] = new Splat2D<T>
            {
                MeanX = rawMeanX[i], MeanY = rawMeanY[i], ConicA = rawA[i], ConicB = rawB[i], ConicC = rawC[i],
                Opacity = scene.Opacities[i], Depth = rawDepth[i], Label = scene.Labels[i],
                SecondLabel = scene.SecondLabels[i], FirstLabelShare = scene.FirstLabelShares[i],
            };
            TileX0[count] = rawRect[4 * i]; TileX1[count] = rawRect[4 * i + 1];
            TileY0[count] = rawRect[4 * i + 2]; TileY1[count] = rawRect[4 * i + 3];
            count++;
        }
        Count = count;
    }

    private const int ChunkSize = 2048;
    private T[] _rawMeanX = [], _rawMeanY = [], _rawA = [], _rawB = [], _rawC = [], _rawDepth = [];
    private int[] _rawRect = [];

    private void EnsureCapacity(int n, bool withJacobian)
    {
        if (_visible.Length < n)
        {
            _visible = new bool[n];
            _rawMeanX = new T[n]; _rawMeanY = new T[n]; _rawA = new T[n]; _rawB = new T[n]; _rawC = new T[n]; _rawDepth = new T[n];
            _rawRect = new int[4 * n];
            Source = new int[n];
            Splats = new Splat2D<T>[n];
            TileX0 = new int[n]; TileX1 = new int[n]; TileY0 = new int[n]; TileY1 = new int[n];
        }
        if (withJacobian && Jacobian.Length < JacobianSize * n + JacobianPadding)
            Jacobian = new T[JacobianSize * n + JacobianPadding];
    }

    /// <summary>One Gaussian in the camera: everything the Jacobian needs again.</summary>
    internal readonly struct Projected
    {
        public V3<T> Camera { get; init; }
        /// <summary>Σc·J0 and Σc·J1 (camera covariance times the projection rows), reused by the Jacobian.</summary>
        public V3<T> B0 { get; init; }
        public V3<T> B1 { get; init; }
        public T InvZ { get; init; }
        public T U { get; init; }
        public T V { get; init; }
        public bool UClamped { get; init; }
        public bool VClamped { get; init; }
        public V3<T> J0 { get; init; }
        public V3<T> J1 { get; init; }
        public T S00 { get; init; }
        public T S01 { get; init; }
        public T S11 { get; init; }
        public T MeanX { get; init; }
        public T MeanY { get; init; }
        public T ConicA { get; init; }
        public T ConicB { get; init; }
        public T ConicC { get; init; }
    }

    /// <summary>The camera pose, intrinsics and settings in the renderer's number type.</summary>
    internal readonly struct CameraFrame
    {
        private readonly M3<T> _r, _rt;
        private readonly V3<T> _t;
        private readonly T _fx, _fy, _cx, _cy, _near, _far, _lowPass, _qMax, _limXNeg, _limXPos, _limYNeg, _limYPos, _lastX, _lastY;
        private readonly int _width, _height, _tile;

        public CameraFrame(Se3 camFromMap, PinholeCamera camera, RenderSettings settings, int tileSize)
        {
            var m = camFromMap.Rotation.Matrix;
            _r = new M3<T>(C(m.M00), C(m.M01), C(m.M02), C(m.M10), C(m.M11), C(m.M12), C(m.M20), C(m.M21), C(m.M22));
            _rt = _r.Transpose();
            _t = new V3<T>(C(camFromMap.Translation.X), C(camFromMap.Translation.Y), C(camFromMap.Translation.Z));
            (_fx, _fy, _cx, _cy) = (C(camera.Fx), C(camera.Fy), C(camera.Cx), C(camera.Cy));
            (_near, _far, _lowPass) = (C(settings.NearPlane), C(settings.FarPlane), C(settings.LowPassVariance));
            _qMax = C(settings.SupportSigmas * settings.SupportSigmas);
            // As 3DGS: the projection Jacobian is evaluated no further than 30% of the half field of
            // view outside the image, so that Gaussians far off-axis do not get huge footprints.
            double marginX = 0.3 * 0.5 * camera.Width / camera.Fx, marginY = 0.3 * 0.5 * camera.Height / camera.Fy;
            _limXNeg = C((camera.Cx + 0.5) / camera.Fx + marginX);
            _limXPos = C((camera.Width - 0.5 - camera.Cx) / camera.Fx + marginX);
            _limYNeg = C((camera.Cy + 0.5) / camera.Fy + marginY);
            _limYPos = C((camera.Height - 0.5 - camera.Cy) / camera.Fy + marginY);
            (_width, _height, _tile) = (camera.Width, camera.Height, tileSize);
            (_lastX, _lastY) = (C(camera.Width - 1), C(camera.Height - 1));
        }

        private static T C(double v) => T.CreateChecked(v);

        public bool TryProject(SplatScene<T> scene, int i, out Projected result)
        {
            var mu = new V3<T>(scene.Means[3 * i], scene.Means[3 * i + 1], scene.Means[3 * i + 2]);
            var p = _r * mu + _t;
            if (!(p.Z >= _near) || p.Z > _far)
            {
                result = default;
                return false;
            }
            T iz = T.One / p.Z;
            T u = p.X * iz, v = p.Y * iz;
            bool uc = u < -_limXNeg || u > _limXPos, vc = v < -_limYNeg || v > _limYPos;
            T ul = T.Clamp(u, -_limXNeg, _limXPos), vl = T.Clamp(v, -_limYNeg, _limYPos);
            if (!MayTouchImage(_fx * u + _cx, _fy * v + _cy, iz, ul, vl, scene.LargestVariances[i]))
            {
                result = default;
                return false;
            }
            var sc = _r * M3<T>.Symmetric(scene.Covariances.AsSpan(6 * i, 6)) * _rt;
            var j0 = new V3<T>(_fx * iz, T.Zero, -_fx * ul * iz);
            var j1 = new V3<T>(T.Zero, _fy * iz, -_fy * vl * iz);
            var b0 = sc * j0;
            var b1 = sc * j1;
            T s00 = V3<T>.Dot(j0, b0) + _lowPass, s01 = V3<T>.Dot(j0, b1), s11 = V3<T>.Dot(j1, b1) + _lowPass;
            T det = s00 * s11 - s01 * s01;
            if (!(det > T.Zero))
            {
                result = default;
                return false;
            }
            result = new Projected
            {
                Camera = p, B0 = b0, B1 = b1, InvZ = iz, U = ul, V = vl, UClamped = uc, VClamped = vc,
                J0 = j0, J1 = j1, S00 = s00, S01 = s01, S11 = s11,
                MeanX = _fx * u + _cx, MeanY = _fy * v + _cy,
                ConicA = s11 / det, ConicB = -s01 / det, ConicC = s00 / det,
            };
            return true;
        }

        /// <summary>
        /// False only when the support ellipse certainly misses the image: its half-extent along x is
        /// √(q_max Σxx) with Σxx = j0ᵀ Σc j0 + low-pass ≤ |j0|² λ_max + low-pass, and |j0|² = (f/z)² (1 + u²)
        /// (likewise along y). Checked before the camera covariance is formed, which is most of a
        /// Gaussian's projection cost, so off-screen Gaussians cost a transform and a division. The
        /// bound is conservative by a pixel, so the visible set is exactly that of the full test.
        /// </summary>
        private bool MayTouchImage(T meanX, T meanY, T iz, T ul, T vl, T largestVariance)
        {
            T rx = T.Sqrt(_qMax * (_fx * _fx * iz * iz * (T.One + ul * ul) * largestVariance + _lowPass)) + T.One;
            T ry = T.Sqrt(_qMax * (_fy * _fy * iz * iz * (T.One + vl * vl) * largestVariance + _lowPass)) + T.One;
            return meanX + rx >= T.Zero && meanX - rx <= _lastX && meanY + ry >= T.Zero && meanY - ry <= _lastY;
        }

        /// <summary>
        /// Tiles touched by the pixels whose centres lie inside the support ellipse's bounding box
        /// (half-extents √(q_max Σxx), √(q_max Σyy)); false when none is inside the image.
        /// </summary>
        public bool TryTileRect(in Projected g, int tilesX, int tilesY, out int x0, out int x1, out int y0, out int y1)
        {
            double rx = double.CreateChecked(T.Sqrt(_qMax * g.S00)), ry = double.CreateChecked(T.Sqrt(_qMax * g.S11));
            double mx = double.CreateChecked(g.MeanX), my = double.CreateChecked(g.MeanY);
            double px0 = Math.Max(0, Math.Ceiling(mx - rx)), px1 = Math.Min(_width - 1, Math.Floor(mx + rx));
            double py0 = Math.Max(0, Math.Ceiling(my - ry)), py1 = Math.Min(_height - 1, Math.Floor(my + ry));
            if (px0 > px1 || py0 > py1)
            {
                x0 = x1 = y0 = y1 = 0;
                return false;
            }
            x0 = (int)px0 / _tile; x1 = Math.Min(tilesX, (int)px1 / _tile + 1);
            y0 = (int)py0 / _tile; y1 = Math.Min(tilesY, (int)py1 / _tile + 1);
            return true;
        }

        /// <summary>d(mean x, mean y, conic a, b, c)/d(ρ, φ), row-major 5×6.</summary>
        public void WriteJacobian(in Projected g, Span<T> jac)
        {
            var p = g.Camera;
            T iz = g.InvZ;
            var (b0, b1) = (g.B0, g.B1);
            T ca = g.ConicA, cb = g.ConicB, cc = g.ConicC;
            T two = T.CreateChecked(2);
            // dΣc/dφ_k = [e_k]× Σc − Σc [e_k]×, so J_aᵀ (dΣc/dφ_k) J_b = e_k · (b_b × J_a + b_a × J_b) with b = Σc J.
            var r00 = two * V3<T>.Cross(b0, g.J0);
            var r01 = V3<T>.Cross(b1, g.J0) + V3<T>.Cross(b0, g.J1);
            var r11 = two * V3<T>.Cross(b1, g.J1);
            for (int k = 0; k < 6; k++)
            {
                // Left perturbation of T_cam_map: dp/dρ_k = e_k, dp/dφ_k = e_k × p.
                V3<T> dp;
                T dSj00 = T.Zero, dSj01 = T.Zero, dSj11 = T.Zero;
                if (k < 3)
                {
                    dp = new V3<T>(k == 0 ? T.One : T.Zero, k == 1 ? T.One : T.Zero, k == 2 ? T.One : T.Zero);
                }
                else
                {
                    var e = new V3<T>(k == 3 ? T.One : T.Zero, k == 4 ? T.One : T.Zero, k == 5 ? T.One : T.Zero);
                    dp = V3<T>.Cross(e, p);
                    (dSj00, dSj01, dSj11) = (V3<T>.Dot(e, r00), V3<T>.Dot(e, r01), V3<T>.Dot(e, r11));
                }
                T diz = -iz * iz * dp.Z;
                T du = g.UClamped ? T.Zero : (dp.X - g.U * dp.Z) * iz;
                T dv = g.VClamped ? T.Zero : (dp.Y - g.V * dp.Z) * iz;
                var dj0 = new V3<T>(_fx * diz, T.Zero, -_fx * (du * iz + g.U * diz));
                var dj1 = new V3<T>(T.Zero, _fy * diz, -_fy * (dv * iz + g.V * diz));
                T ds00 = two * V3<T>.Dot(dj0, b0) + dSj00;
                T ds01 = V3<T>.Dot(dj0, b1) + V3<T>.Dot(dj1, b0) + dSj01;
                T ds11 = two * V3<T>.Dot(dj1, b1) + dSj11;
                // d(Σ⁻¹) = −Σ⁻¹ dΣ Σ⁻¹
                T m00 = ds00 * ca + ds01 * cb, m01 = ds00 * cb + ds01 * cc;
                T m10 = ds01 * ca + ds11 * cb, m11 = ds01 * cb + ds11 * cc;
                jac[k] = _fx * (dp.X * iz + p.X * diz);
                jac[6 + k] = _fy * (dp.Y * iz + p.Y * diz);
                jac[12 + k] = -(ca * m00 + cb * m10);
                jac[18 + k] = -(ca * m01 + cb * m11);
                jac[24 + k] = -(cb * m01 + cc * m11);
            }
        }
    }
}

/// <summary>A visible Gaussian on the image plane: what the rasteriser reads per pixel.</summary>
internal struct Splat2D<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T MeanX, MeanY, ConicA, ConicB, ConicC, Opacity, Depth;
    public ushort Label;

    /// <summary><see cref="Mosaic.Core.Imaging.Labels.Ignore"/> where the Gaussian has one label; else its weight is split FirstLabelShare : 1 − FirstLabelShare.</summary>
    public ushort SecondLabel;
    public T FirstLabelShare;
}
