using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Mosaic.Core.Cameras;
using Mosaic.Core.Imaging;

namespace Mosaic.Rendering;

/// <summary>
/// Stage 3 of rendering: front-to-back alpha compositing per pixel over its tile's Gaussians, with
/// early stop. <see cref="Render"/> writes images; <see cref="Evaluate"/> computes the label loss and,
/// in the same pass, the pose gradients ∇A_k of the labels present at the pixel, from which follow the
/// pixel's objective gradient and its Fisher information, summed into the gradient and the normal matrix.
/// </summary>
/// <remarks>
/// Per pixel: α_i = min(α_max, o_i (exp(−q/2) − c)/(1 − c)) for q = dᵀ C d &lt; q_max (c = exp(−q_max/2)),
/// T_1 = 1, w_i = α_i T_i, T_{i+1} = T_i (1 − α_i); A = Σ w_i, A_k = Σ_{l_i = k} w_i.
/// Loss L_p = −Σ_k h_k log(A_k + ε) + log(A + Kε) (Σ h_k = 1). The objective adds β_p (A − 1) with
/// β_p = Σ_k h_k (log K − u_k), so that an uncovered pixel costs Σ_k h_k u_k instead of log K.
/// ∇w_i = T_i ∇α_i − w_i Σ_{j&lt;i} ∇α_j/(1 − α_j), so one front-to-back pass carrying that sum gives
/// every ∇A_k: no backward pass, and the cost per contributor does not grow with the labels present.
/// </remarks>
internal sealed class LabelRasterizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _qMax, _cut, _invNorm, _maxAlpha, _minTransmittance, _half, _two, _epsilon, _kEpsilon;
    private readonly double _coverageThreshold;
    private readonly int _tileSize;

    public LabelRasterizer(RenderSettings settings, int tileSize, int labelCount)
    {
        double qMax = settings.SupportSigmas * settings.SupportSigmas;
        double cut = Math.Exp(-0.5 * qMax);
        _qMax = T.CreateChecked(qMax);
        _cut = T.CreateChecked(cut);
        _invNorm = T.CreateChecked(1 / (1 - cut));
        _maxAlpha = T.CreateChecked(settings.MaxAlpha);
        _minTransmittance = T.CreateChecked(settings.MinTransmittance);
        _half = T.CreateChecked(0.5);
        _two = T.CreateChecked(2);
        _epsilon = T.CreateChecked(settings.LossEpsilon);
        _kEpsilon = T.CreateChecked(settings.LossEpsilon * labelCount);
        _coverageThreshold = settings.CoverageThreshold;
        _tileSize = tileSize;
    }

    /// <summary>
    /// α of splat <paramref name="i"/> of <paramref name="tile"/> at pixel (px, py), and dα/dq (0 where
    /// α is clamped); false outside the support.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryAlpha(TileSplats<T> tile, int i, T px, T py, out T alpha, out T dAlphaDq)
    {
        T dx = px - tile.MeanX[i], dy = py - tile.MeanY[i];
        T q = tile.ConicA[i] * dx * dx + _two * tile.ConicB[i] * dx * dy + tile.ConicC[i] * dy * dy;
        if (!(q < _qMax))
        {
            alpha = dAlphaDq = T.Zero;
            return false;
        }
        T opacity = tile.Opacity[i];
        T e = T.Exp(-_half * q);
        alpha = opacity * (e - _cut) * _invNorm;
        if (alpha > _maxAlpha)
        {
            alpha = _maxAlpha;
            dAlphaDq = T.Zero;
        }
        else
        {
            dAlphaDq = -_half * opacity * e * _invNorm;
        }
        return alpha > T.Zero;
    }

    /// <summary>
    /// <see cref="TryAlpha"/> for every splat of <paramref name="tile"/> at pixel (px, py) at once, into
    /// <see cref="TileSplats{T}.Alpha"/> (0 outside the support) and <see cref="TileSplats{T}.AlphaSlope"/>:
    /// eight splats per instruction for float where the machine has 256-bit vectors, whose exp may
    /// differ from the scalar one in the last bit; one at a time otherwise and for the rest of the list.
    /// </summary>
    private void Alphas(TileSplats<T> tile, T px, T py)
    {
        Span<T> alphas = tile.Alpha, dAlphaDq = tile.AlphaSlope;
        int n = tile.Count, i = 0;
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
        {
            var meanX = MemoryMarshal.Cast<T, float>(tile.MeanX.AsSpan(0, n));
            var meanY = MemoryMarshal.Cast<T, float>(tile.MeanY.AsSpan(0, n));
            var conicA = MemoryMarshal.Cast<T, float>(tile.ConicA.AsSpan(0, n));
            var conicB = MemoryMarshal.Cast<T, float>(tile.ConicB.AsSpan(0, n));
            var conicC = MemoryMarshal.Cast<T, float>(tile.ConicC.AsSpan(0, n));
            var opacity = MemoryMarshal.Cast<T, float>(tile.Opacity.AsSpan(0, n));
            var alphaOut = MemoryMarshal.Cast<T, float>(alphas);
            var slopeOut = MemoryMarshal.Cast<T, float>(dAlphaDq);
            var x = Vector256.Create(float.CreateTruncating(px));
            var y = Vector256.Create(float.CreateTruncating(py));
            var qMax = Vector256.Create(float.CreateTruncating(_qMax));
            var cut = Vector256.Create(float.CreateTruncating(_cut));
            var invNorm = Vector256.Create(float.CreateTruncating(_invNorm));
            var maxAlpha = Vector256.Create(float.CreateTruncating(_maxAlpha));
            var minusHalf = Vector256.Create(-0.5f);
            for (; i + 8 <= n; i += 8)
            {
                var dx = x - Vector256.Create(meanX.Slice(i, 8));
                var dy = y - Vector256.Create(meanY.Slice(i, 8));
                var b = Vector256.Create(conicB.Slice(i, 8));
                var q = Vector256.Create(conicA.Slice(i, 8)) * dx * dx + (b + b) * dx * dy + Vector256.Create(conicC.Slice(i, 8)) * dy * dy;
                var inside = Vector256.LessThan(q, qMax);
                var o = Vector256.Create(opacity.Slice(i, 8));
                var e = Vector256.Exp(minusHalf * q);
                var alpha = o * (e - cut) * invNorm;
                var clamped = Vector256.GreaterThan(alpha, maxAlpha);
                var slope = Vector256.ConditionalSelect(clamped, Vector256<float>.Zero, minusHalf * o * e * invNorm);
                alpha = Vector256.ConditionalSelect(clamped, maxAlpha, alpha);
                var keep = inside & Vector256.GreaterThan(alpha, Vector256<float>.Zero);
                Vector256.ConditionalSelect(keep, alpha, Vector256<float>.Zero).CopyTo(alphaOut.Slice(i, 8));
                Vector256.ConditionalSelect(keep, slope, Vector256<float>.Zero).CopyTo(slopeOut.Slice(i, 8));
            }
        }
        for (; i < n; i++)
        {
            if (!TryAlpha(tile, i, px, py, out alphas[i], out dAlphaDq[i]))
                alphas[i] = dAlphaDq[i] = T.Zero;
        }
    }

    /// <summary>Pixel rectangle [x0, x1) × [y0, y1) of <paramref name="tile"/>.</summary>
    private (int X0, int X1, int Y0, int Y1) PixelsOf(int tile, int tilesX, PinholeCamera camera)
    {
        int x0 = tile % tilesX * _tileSize, y0 = tile / tilesX * _tileSize;
        return (x0, Math.Min(camera.Width, x0 + _tileSize), y0, Math.Min(camera.Height, y0 + _tileSize));
    }

    public RenderedLabels Render(GaussianProjection<T> projection, TileBins bins, PinholeCamera camera, int labelCount)
    {
        var result = new RenderedLabels(camera.Width, camera.Height, labelCount);
        var splats = projection.Splats;
        int tilesX = projection.TilesX;
        Parallel.For(0, tilesX * projection.TilesY, () => new TileSplats<T>(), (tile, loopState, splatsOfTile) =>
        {
            splatsOfTile.Load(bins.ListOf(tile), splats);
            var (x0, x1, y0, y1) = PixelsOf(tile, tilesX, camera);
            for (int py = y0; py < y1; py++)
            {
                for (int px = x0; px < x1; px++)
                {
                    int p = py * camera.Width + px;
                    var weights = result.LabelWeights.AsSpan(p * labelCount, labelCount);
                    T pxT = T.CreateChecked(px), pyT = T.CreateChecked(py);
                    T trans = T.One, a = T.Zero, depth = T.Zero;
                    Alphas(splatsOfTile, pxT, pyT);
                    for (int i = 0; i < splatsOfTile.Count; i++)
                    {
                        T alpha = splatsOfTile.Alpha[i];
                        if (alpha == T.Zero)
                            continue;
                        T w = alpha * trans;
                        a += w;
                        depth += w * splatsOfTile.Depth[i];
                        AddLabelWeights(weights, splatsOfTile, i, w);
                        trans *= T.One - alpha;
                        if (trans < _minTransmittance)
                            break;
                    }
                    result.Alpha[p] = float.CreateChecked(a);
                    result.Depth[p] = a > T.Zero ? float.CreateChecked(depth / a) : float.NaN;
                }
            }
            return splatsOfTile;
        }, _ => { });
        return result;
    }

    /// <summary>
    /// The label with the largest A_k at each pixel whose A reaches <paramref name="minAlpha"/>, <see cref="Labels.Ignore"/>
    /// elsewhere: <see cref="RenderedLabels.HardLabels"/> of <see cref="Render"/>, the same to the bit
    /// (weights summed in float in the same order, ties to the lower label), without the K weights per pixel.
    /// </summary>
    public Image<ushort> RenderHardLabels(GaussianProjection<T> projection, TileBins bins, PinholeCamera camera, int labelCount, double minAlpha)
    {
        var image = new Image<ushort>(camera.Width, camera.Height);
        var splats = projection.Splats;
        int tilesX = projection.TilesX;
        Parallel.For(0, tilesX * projection.TilesY, () => (Tile: new TileSplats<T>(), Weights: new float[labelCount], Seen: new bool[labelCount], Present: new int[labelCount]), (tile, loopState, scratch) =>
        {
            var (splatsOfTile, weights, seen, presentLabels) = scratch;
            splatsOfTile.Load(bins.ListOf(tile), splats);
            var (x0, x1, y0, y1) = PixelsOf(tile, tilesX, camera);
            for (int py = y0; py < y1; py++)
            {
                for (int px = x0; px < x1; px++)
                {
                    T pxT = T.CreateChecked(px), pyT = T.CreateChecked(py);
                    T trans = T.One, a = T.Zero;
                    int present = 0;
                    Alphas(splatsOfTile, pxT, pyT);
                    for (int i = 0; i < splatsOfTile.Count; i++)
                    {
                        T alpha = splatsOfTile.Alpha[i];
                        if (alpha == T.Zero)
                            continue;
                        T w = alpha * trans;
                        a += w;
                        int label = splatsOfTile.Label[i], second = splatsOfTile.SecondLabel[i];
                        if (!seen[label])
                            (seen[label], presentLabels[present++]) = (true, label);
                        if (second != Labels.Ignore && !seen[second])
                            (seen[second], presentLabels[present++]) = (true, second);
                        AddLabelWeights(weights, splatsOfTile, i, w);
                        trans *= T.One - alpha;
                        if (trans < _minTransmittance)
                            break;
                    }
                    int best = -1;
                    for (int m = 0; m < present; m++)
                    {
                        int label = presentLabels[m];
                        if (best < 0 || weights[label] > weights[best] || (weights[label] == weights[best] && label < best))
                            best = label;
                    }
                    for (int m = 0; m < present; m++)
                        (weights[presentLabels[m]], seen[presentLabels[m]]) = (0, false);
                    image.Data[py * camera.Width + px] = best >= 0 && float.CreateChecked(a) >= minAlpha ? (ushort)best : Labels.Ignore;
                }
            }
            return scratch;
        }, _ => { });
        return image;
    }

    /// <summary>
    /// Adds splat <paramref name="i"/>'s compositing weight <paramref name="w"/> to A_k of its label, or
    /// w·q and w − w·q to its two labels (q = its first label's share), in float as the render stores them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddLabelWeights(Span<float> weights, TileSplats<T> tile, int i, T w)
    {
        int second = tile.SecondLabel[i];
        if (second == Labels.Ignore)
        {
            weights[tile.Label[i]] += float.CreateChecked(w);
            return;
        }
        T first = w * tile.FirstLabelShare[i];
        weights[tile.Label[i]] += float.CreateChecked(first);
        weights[second] += float.CreateChecked(w - first);
    }

    /// <summary>
    /// Tiles are split into this many fixed partitions, each summing into its own buffer, merged in a
    /// fixed order: per-Gaussian sums are then the same on every machine whatever its core count.
    /// </summary>
    private const int Partitions = 4;

    /// <summary>
    /// Blocks of consecutive tiles in <see cref="Evaluate"/>, each summed on its own: a constant, so that
    /// the sums are the same on any machine, and enough blocks for threads to balance uneven tiles.
    /// </summary>
    private const int EvaluationBlocks = 64;

    private float[][] _partitionSums = [];

    /// <summary>
    /// Adds, for every pixel with a value, the pixel's compositing weight w_i times its value to each
    /// contributing Gaussian's sums: <paramref name="sums"/>[source · width + slot] += w_i · value, where
    /// <paramref name="visit"/> yields the (slot, value) pairs of a pixel.
    /// </summary>
    public void Uplift(GaussianProjection<T> projection, TileBins bins, PinholeCamera camera, int width, float[] sums, PixelValues visit)
    {
        int partitionSize = projection.Count * width;
        if (_partitionSums.Length != Partitions || _partitionSums[0].Length < partitionSize)
            _partitionSums = Enumerable.Range(0, Partitions).Select(_ => new float[Math.Max(partitionSize, 1)]).ToArray();
        var splats = projection.Splats;
        int tilesX = projection.TilesX, tiles = tilesX * projection.TilesY;
        Parallel.For(0, Partitions, part =>
        {
            var buffer = _partitionSums[part];
            Array.Clear(buffer, 0, partitionSize);
            Span<int> slots = stackalloc int[MaxValuesPerPixel];
            Span<float> values = stackalloc float[MaxValuesPerPixel];
            var splatsOfTile = new TileSplats<T>();
            for (int tile = part; tile < tiles; tile += Partitions)
            {
                var list = bins.ListOf(tile);
                if (list.Length == 0)
                    continue;
                splatsOfTile.Load(list, splats);
                var (x0, x1, y0, y1) = PixelsOf(tile, tilesX, camera);
                for (int py = y0; py < y1; py++)
                {
                    for (int px = x0; px < x1; px++)
                    {
                        int n = visit(py * camera.Width + px, slots, values);
                        if (n == 0)
                            continue;
                        T pxT = T.CreateChecked(px), pyT = T.CreateChecked(py);
                        T trans = T.One;
                        Alphas(splatsOfTile, pxT, pyT);
                        for (int i = 0; i < splatsOfTile.Count; i++)
                        {
                            T alpha = splatsOfTile.Alpha[i];
                            if (alpha == T.Zero)
                                continue;
                            float w = float.CreateChecked(alpha * trans);
                            int o = splatsOfTile.Index[i] * width;
                            for (int v = 0; v < n; v++)
                                buffer[o + slots[v]] += w * values[v];
                            trans *= T.One - alpha;
                            if (trans < _minTransmittance)
                                break;
                        }
                    }
                }
            }
        });
        var source = projection.Source;
        for (int g = 0; g < projection.Count; g++)
        {
            int o = g * width, target = source[g] * width;
            for (int c = 0; c < width; c++)
            {
                float sum = 0;
                for (int part = 0; part < Partitions; part++)
                    sum += _partitionSums[part][o + c];
                sums[target + c] += sum;
            }
        }
    }

    /// <summary>Values per label slot in the per-pixel ∇A_k: 6, padded to 8 for 256-bit vectors.</summary>
    private const int GradientStride = 8;

    /// <summary>Most (slot, value) pairs one pixel may give <see cref="Uplift"/>.</summary>
    public const int MaxValuesPerPixel = 64;

    /// <summary>Writes pixel <paramref name="pixel"/>'s (slot, value) pairs and returns how many.</summary>
    public delegate int PixelValues(int pixel, Span<int> slots, Span<float> values);

    /// <summary>
    /// Composites per-Gaussian feature vectors (<paramref name="dims"/> values per source Gaussian)
    /// with the compositing weights: Σ_i w_i f_i per pixel, pixel-major, not divided by A; and A per pixel.
    /// </summary>
    public (float[] Sums, float[] Alpha) Composite(GaussianProjection<T> projection, TileBins bins, PinholeCamera camera, float[] features, int dims)
    {
        var result = new float[checked(camera.Width * camera.Height * dims)];
        var alphas = new float[camera.Width * camera.Height];
        var splats = projection.Splats;
        var source = projection.Source;
        int tilesX = projection.TilesX;
        Parallel.For(0, tilesX * projection.TilesY, () => new TileSplats<T>(), (tile, loopState, splatsOfTile) =>
        {
            splatsOfTile.Load(bins.ListOf(tile), splats);
            var (x0, x1, y0, y1) = PixelsOf(tile, tilesX, camera);
            for (int py = y0; py < y1; py++)
            {
                for (int px = x0; px < x1; px++)
                {
                    var pixel = result.AsSpan((py * camera.Width + px) * dims, dims);
                    T pxT = T.CreateChecked(px), pyT = T.CreateChecked(py);
                    T trans = T.One;
                    Alphas(splatsOfTile, pxT, pyT);
                    for (int i = 0; i < splatsOfTile.Count; i++)
                    {
                        T alpha = splatsOfTile.Alpha[i];
                        if (alpha == T.Zero)
                            continue;
                        float w = float.CreateChecked(alpha * trans);
                        alphas[py * camera.Width + px] += w;
                        var f = features.AsSpan(source[splatsOfTile.Index[i]] * dims, dims);
                        for (int c = 0; c < dims; c++)
                            pixel[c] += w * f[c];
                        trans *= T.One - alpha;
                        if (trans < _minTransmittance)
                            break;
                    }
                }
            }
            return splatsOfTile;
        }, _ => { });
        return (result, alphas);
    }

    private sealed class Scratch
    {
        public readonly TileSplats<T> Tile = new();
        /// <summary>Per label, its slot among the labels present at the current pixel; −1 when absent.</summary>
        public int[] SlotOfLabel = [];
        /// <summary>Per slot: the label, A_k, and ∇A_k (6 per slot).</summary>
        public int[] PresentLabel = [];
        public T[] LabelWeight = [], LabelGradient = [];
        public double Loss, Objective;
        public int Valid, Covered;
        public double[] CoveredLossByLabel = [], CoveredWeightByLabel = [], UncoveredWeightByLabel = [], CoverageGradientByLabel = [];
        public readonly double[] Gradient = new double[6];
        public readonly double[] Normal = new double[21];

        public void Ensure(int labelCount)
        {
            if (SlotOfLabel.Length == labelCount)
                return;
            SlotOfLabel = Enumerable.Repeat(-1, labelCount).ToArray();
            PresentLabel = new int[labelCount];
            LabelWeight = new T[labelCount];
            LabelGradient = new T[GradientStride * labelCount];
            CoveredLossByLabel = new double[labelCount];
            CoveredWeightByLabel = new double[labelCount];
            UncoveredWeightByLabel = new double[labelCount];
            CoverageGradientByLabel = new double[6 * labelCount];
        }

        /// <summary>The slot of <paramref name="label"/> at the current pixel, a new one (A_k and ∇A_k zero) when it is not present yet.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int SlotOf(int label, ref int present, bool withGradient)
        {
            int m = SlotOfLabel[label];
            if (m >= 0)
                return m;
            m = present++;
            SlotOfLabel[label] = m;
            PresentLabel[m] = label;
            LabelWeight[m] = T.Zero;
            if (withGradient)
                LabelGradient.AsSpan(GradientStride * m, GradientStride).Clear();
            return m;
        }

        /// <summary>Where a row of <see cref="MoveSums"/> holds the gradient, the normal matrix and the per-label sums.</summary>
        public const int GradientAt = 4, NormalAt = 10, LabelsAt = 31;

        /// <summary>Values in a row of <see cref="MoveSums"/>.</summary>
        public static int RowLength(int labelCount) => LabelsAt + 9 * labelCount;

        /// <summary>
        /// Writes the sums to <paramref name="row"/> (loss, objective, valid, covered, gradient (6), normal
        /// matrix's upper triangle (21), then per label the covered loss, the covered weight and the uncovered
        /// weight, then per label the coverage gradient (6 each)) and starts them afresh.
        /// </summary>
        public void MoveSums(Span<double> row)
        {
            int labelCount = CoveredLossByLabel.Length;
            (row[0], row[1], row[2], row[3]) = (Loss, Objective, Valid, Covered);
            Gradient.CopyTo(row[GradientAt..]);
            Normal.CopyTo(row[NormalAt..]);
            CoveredLossByLabel.CopyTo(row[LabelsAt..]);
            CoveredWeightByLabel.CopyTo(row[(LabelsAt + labelCount)..]);
            UncoveredWeightByLabel.CopyTo(row[(LabelsAt + 2 * labelCount)..]);
            CoverageGradientByLabel.CopyTo(row[(LabelsAt + 3 * labelCount)..]);
            (Loss, Objective, Valid, Covered) = (0, 0, 0, 0);
            Array.Clear(Gradient);
            Array.Clear(Normal);
            Array.Clear(CoveredLossByLabel);
            Array.Clear(CoveredWeightByLabel);
            Array.Clear(UncoveredWeightByLabel);
            Array.Clear(CoverageGradientByLabel);
        }
    }

    /// <summary>The loss of <paramref name="query"/>; <paramref name="uncoveredLoss"/> as in <see cref="ILabelRenderer.Evaluate"/>.</summary>
    public LossEvaluation Evaluate(GaussianProjection<T> projection, TileBins bins, PinholeCamera camera, LabelDistributionImage query, bool withGradient, IReadOnlyList<double>? uncoveredLoss)
    {
        if (query.Width != camera.Width || query.Height != camera.Height)
            throw new ArgumentException($"query is {query.Width}x{query.Height} but the camera is {camera.Width}x{camera.Height}");
        var splats = projection.Splats;
        var jacobian = projection.Jacobian;
        var source = projection.Source;
        int tilesX = projection.TilesX;
        int labelCount = query.LabelCount;
        var shifts = LossEvaluation.UncoveredShifts(labelCount, uncoveredLoss).Select(T.CreateChecked).ToArray();
        double epsilon = double.CreateChecked(_epsilon);
        double loss = 0, objective = 0;
        var coveredLossByLabel = new double[labelCount];
        var coveredWeightByLabel = new double[labelCount];
        // The terms that let the costs be changed afterwards (LossEvaluation.Recharged), only where none were charged:
        // a refinement recharges the evaluation at a level's start, never one made with its costs.
        bool sumUncoveredTerms = uncoveredLoss is null;
        var uncoveredWeightByLabel = sumUncoveredTerms ? new double[labelCount] : null;
        var coverageGradientByLabel = sumUncoveredTerms && withGradient ? new double[6 * labelCount] : null;
        int valid = 0, covered = 0;
        var gradient = withGradient ? new double[6] : null;
        var normal = withGradient ? new double[21] : null;

        // Each block of tiles is summed in tile order into its own row, and the rows are added in block
        // order, so that the sums do not depend on the core count or on which thread ran which block
        // (the node and eval then give the same poses to the bit).
        int tiles = tilesX * projection.TilesY, blocks = Math.Min(EvaluationBlocks, tiles), rowLength = Scratch.RowLength(labelCount);
        // Pooled: at K = 64 the rows come near the large-object heap's threshold, once per evaluation.
        // Every row is written whole by MoveSums, so the rented array needs no clearing.
        var rows = ArrayPool<double>.Shared.Rent(blocks * rowLength);
        Parallel.For(0, blocks, () => new Scratch(), (block, _, scratch) =>
        {
            scratch.Ensure(labelCount);
            var splatsOfTile = scratch.Tile;
            Span<T> dAlpha = stackalloc T[GradientStride], carried = stackalloc T[GradientStride], contribution = stackalloc T[GradientStride];
            Span<double> g = stackalloc double[6], labelGradient = stackalloc double[6], gradA = stackalloc double[6];
            for (int tile = (int)((long)block * tiles / blocks), end = (int)((long)(block + 1) * tiles / blocks); tile < end; tile++)
            {
                splatsOfTile.Load(bins.ListOf(tile), splats);
                var (x0, x1, y0, y1) = PixelsOf(tile, tilesX, camera);
                for (int py = y0; py < y1; py++)
                {
                    for (int px = x0; px < x1; px++)
                    {
                        int p = py * camera.Width + px;
                        var supportLabels = query.LabelsAt(p);
                        if (supportLabels.Length == 0)
                            continue;
                        var supportWeights = query.WeightsAt(p);

                        // One pass, front to back: A_k for every label present and, with the gradient,
                        // ∇A_k = Σ_{l_i = k} ∇w_i, where ∇w_i = T_i ∇α_i − w_i Σ_{j<i} ∇α_j / (1 − α_j).
                        T pxT = T.CreateChecked(px), pyT = T.CreateChecked(py);
                        T trans = T.One, a = T.Zero;
                        int present = 0;
                        carried.Clear(); // Σ_{j<i} ∇α_j / (1 − α_j)
                        Alphas(splatsOfTile, pxT, pyT);
                        for (int i = 0; i < splatsOfTile.Count; i++)
                        {
                            T alpha = splatsOfTile.Alpha[i], dAlphaDq = splatsOfTile.AlphaSlope[i];
                            if (alpha == T.Zero)
                                continue;
                            T w = alpha * trans;
                            a += w;
                            int m = scratch.SlotOf(splatsOfTile.Label[i], ref present, withGradient);
                            int second = splatsOfTile.SecondLabel[i];
                            if (second != Labels.Ignore)
                            {
                                // Split: ∇A_k gains q∇w_i and (1 − q)∇w_i, so ∇w_i goes to a scratch row first.
                                int m2 = scratch.SlotOf(second, ref present, withGradient);
                                T share = splatsOfTile.FirstLabelShare[i], first = w * share;
                                scratch.LabelWeight[m] += first;
                                scratch.LabelWeight[m2] += w - first;
                                if (withGradient)
                                {
                                    contribution.Clear();
                                    AddWeightGradient(splatsOfTile, i, pxT, pyT, alpha, dAlphaDq, trans, w, jacobian, source, contribution, carried, dAlpha);
                                    SplitWeightGradient(contribution, share, scratch.LabelGradient.AsSpan(GradientStride * m, GradientStride),
                                        scratch.LabelGradient.AsSpan(GradientStride * m2, GradientStride));
                                }
                            }
                            else
                            {
                                scratch.LabelWeight[m] += w;
                                if (withGradient)
                                    AddWeightGradient(splatsOfTile, i, pxT, pyT, alpha, dAlphaDq, trans, w, jacobian, source,
                                        scratch.LabelGradient.AsSpan(GradientStride * m, GradientStride), carried, dAlpha);
                            }
                            trans *= T.One - alpha;
                            if (trans < _minTransmittance)
                                break;
                        }

                        T pixelLoss = T.Log(a + _kEpsilon), beta = T.Zero;
                        for (int s = 0; s < supportLabels.Length; s++)
                        {
                            int m = scratch.SlotOfLabel[supportLabels[s]];
                            T supportWeight = m >= 0 ? scratch.LabelWeight[m] : T.Zero;
                            pixelLoss -= T.CreateChecked(supportWeights[s]) * T.Log(supportWeight + _epsilon);
                            beta += T.CreateChecked(supportWeights[s]) * shifts[supportLabels[s]];
                        }
                        double lossValue = double.CreateChecked(pixelLoss);
                        scratch.Loss += lossValue;
                        scratch.Objective += double.CreateChecked(pixelLoss - beta * (T.One - a));
                        scratch.Valid++;
                        if (sumUncoveredTerms)
                        {
                            double uncovered = double.CreateChecked(T.One - a);
                            for (int s = 0; s < supportLabels.Length; s++)
                                scratch.UncoveredWeightByLabel[supportLabels[s]] += supportWeights[s] * uncovered;
                        }
                        if (double.CreateChecked(a) >= _coverageThreshold)
                        {
                            scratch.Covered++;
                            for (int s = 0; s < supportLabels.Length; s++)
                            {
                                scratch.CoveredLossByLabel[supportLabels[s]] += supportWeights[s] * lossValue;
                                scratch.CoveredWeightByLabel[supportLabels[s]] += supportWeights[s];
                            }
                        }
                        if (withGradient && present > 0)
                        {
                            AddPixelDerivatives(scratch, present, double.CreateChecked(a + _kEpsilon), epsilon, double.CreateChecked(beta),
                                supportLabels, supportWeights, g, labelGradient, gradA);
                            if (sumUncoveredTerms)
                                for (int s = 0; s < supportLabels.Length; s++)
                                    for (int k = 0; k < 6; k++)
                                        scratch.CoverageGradientByLabel[6 * supportLabels[s] + k] += supportWeights[s] * gradA[k];
                        }
                        for (int m = 0; m < present; m++)
                            scratch.SlotOfLabel[scratch.PresentLabel[m]] = -1;
                    }
                }
            }
            scratch.MoveSums(rows.AsSpan(block * rowLength, rowLength));
            return scratch;
        }, _ => { });
        for (int block = 0; block < blocks; block++)
        {
            var row = rows.AsSpan(block * rowLength, rowLength);
            loss += row[0];
            objective += row[1];
            valid += (int)row[2];
            covered += (int)row[3];
            if (withGradient)
            {
                for (int k = 0; k < 6; k++)
                    gradient![k] += row[Scratch.GradientAt + k];
                for (int k = 0; k < 21; k++)
                    normal![k] += row[Scratch.NormalAt + k];
            }
            for (int k = 0; k < labelCount; k++)
            {
                coveredLossByLabel[k] += row[Scratch.LabelsAt + k];
                coveredWeightByLabel[k] += row[Scratch.LabelsAt + labelCount + k];
                if (sumUncoveredTerms)
                    uncoveredWeightByLabel![k] += row[Scratch.LabelsAt + 2 * labelCount + k];
            }
            if (coverageGradientByLabel is not null)
                for (int k = 0; k < 6 * labelCount; k++)
                    coverageGradientByLabel[k] += row[Scratch.LabelsAt + 3 * labelCount + k];
        }
        ArrayPool<double>.Shared.Return(rows);

        if (valid == 0)
            return LossEvaluation.Empty(labelCount, projection.Count, withGradient, uncoveredLoss);
        double[]? fullNormal = null;
        if (withGradient)
        {
            for (int k = 0; k < 6; k++)
                gradient![k] /= valid;
            fullNormal = new double[36];
            int u = 0;
            for (int r = 0; r < 6; r++)
                for (int c = r; c < 6; c++)
                    fullNormal[6 * r + c] = fullNormal[6 * c + r] = normal![u++] / valid;
        }
        for (int k = 0; k < labelCount; k++)
            coveredLossByLabel[k] = coveredWeightByLabel[k] > 0 ? coveredLossByLabel[k] / coveredWeightByLabel[k] : double.NaN;
        return new LossEvaluation(loss / valid, objective / valid, coveredLossByLabel, coveredWeightByLabel,
            (double)covered / valid, valid, projection.Count, gradient, fullNormal,
            uncoveredLoss?.ToArray(), uncoveredWeightByLabel, coverageGradientByLabel);
    }

    /// <summary>
    /// One contributor's step of the front-to-back pass in <see cref="Evaluate"/>: adds ∇w_i = T_i ∇α_i − w_i c
    /// to <paramref name="gradientOfLabel"/> and ∇α_i/(1 − α_i) to the carried sum c.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddWeightGradient(TileSplats<T> tile, int i, T px, T py, T alpha, T dAlphaDq, T trans, T w, T[] jacobian, int[] source,
        Span<T> gradientOfLabel, Span<T> carried, Span<T> dAlpha)
    {
        if (dAlphaDq == T.Zero)
        {
            for (int k = 0; k < 6; k++)
                gradientOfLabel[k] -= w * carried[k];
        }
        else if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
        {
            AddAlphaGradient(tile, i, px, py, dAlphaDq, jacobian, GaussianProjection<T>.JacobianSize * source[tile.Index[i]],
                float.CreateTruncating(trans), float.CreateTruncating(w), float.CreateTruncating(T.One / (T.One - alpha)),
                MemoryMarshal.Cast<T, float>(gradientOfLabel), MemoryMarshal.Cast<T, float>(carried));
        }
        else
        {
            AlphaGradient(tile, i, px, py, dAlphaDq, jacobian.AsSpan(GaussianProjection<T>.JacobianSize * source[tile.Index[i]], GaussianProjection<T>.JacobianSize), dAlpha);
            T inverse = T.One / (T.One - alpha);
            for (int k = 0; k < 6; k++)
            {
                gradientOfLabel[k] += trans * dAlpha[k] - w * carried[k];
                carried[k] += dAlpha[k] * inverse;
            }
        }
    }

    /// <summary>Adds q∇w to <paramref name="gradientOfFirst"/> and (1 − q)∇w to <paramref name="gradientOfSecond"/> (rows of <see cref="GradientStride"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitWeightGradient(Span<T> weightGradient, T share, Span<T> gradientOfFirst, Span<T> gradientOfSecond)
    {
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
        {
            var all = Vector256.Create((ReadOnlySpan<float>)MemoryMarshal.Cast<T, float>(weightGradient));
            var part = all * float.CreateTruncating(share);
            var first = MemoryMarshal.Cast<T, float>(gradientOfFirst);
            var second = MemoryMarshal.Cast<T, float>(gradientOfSecond);
            (Vector256.Create((ReadOnlySpan<float>)first) + part).CopyTo(first);
            (Vector256.Create((ReadOnlySpan<float>)second) + (all - part)).CopyTo(second);
            return;
        }
        for (int k = 0; k < 6; k++)
        {
            T part = share * weightGradient[k];
            gradientOfFirst[k] += part;
            gradientOfSecond[k] += weightGradient[k] - part;
        }
    }

    /// <summary>∇α = dα/dq · dq/dξ of splat <paramref name="i"/> at pixel (px, py), through the splat's 5×6 projection Jacobian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AlphaGradient(TileSplats<T> tile, int i, T px, T py, T dAlphaDq, ReadOnlySpan<T> jac, Span<T> result)
    {
        var (s0, s1, s2, s3, s4) = AlphaSlopes(tile, i, px, py, dAlphaDq);
        for (int k = 0; k < 6; k++)
            result[k] = s0 * jac[k] + s1 * jac[6 + k] + s2 * jac[12 + k] + s3 * jac[18 + k] + s4 * jac[24 + k];
    }

    /// <summary>dα/d(mean x, mean y, conic a, b, c) of splat <paramref name="i"/> at pixel (px, py): dq/d(...) times dα/dq.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (T, T, T, T, T) AlphaSlopes(TileSplats<T> tile, int i, T px, T py, T dAlphaDq)
    {
        T dx = px - tile.MeanX[i], dy = py - tile.MeanY[i];
        T conicB = tile.ConicB[i];
        return (-_two * dAlphaDq * (tile.ConicA[i] * dx + conicB * dy), -_two * dAlphaDq * (conicB * dx + tile.ConicC[i] * dy),
            dAlphaDq * dx * dx, dAlphaDq * _two * dx * dy, dAlphaDq * dy * dy);
    }

    /// <summary>
    /// The float, 256-bit form of one contributor's update in <see cref="Evaluate"/>: ∇α_i as in
    /// <see cref="AlphaGradient"/>, then ∇A_{l_i} += T_i ∇α_i − w_i c and c += ∇α_i/(1 − α_i), where c is
    /// the carried sum. Each 6-value row is read as 8 values (<see cref="GaussianProjection{T}.JacobianPadding"/>);
    /// lanes 6 and 7 carry whatever follows and are never read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddAlphaGradient(TileSplats<T> tile, int i, T px, T py, T dAlphaDq, T[] jacobian, int offset,
        float trans, float w, float inverse, Span<float> gradientOfLabel, Span<float> carried)
    {
        var (s0, s1, s2, s3, s4) = AlphaSlopes(tile, i, px, py, dAlphaDq);
        var jac = MemoryMarshal.Cast<T, float>(jacobian.AsSpan(offset, GaussianProjection<T>.JacobianSize + GaussianProjection<T>.JacobianPadding));
        var dAlpha = float.CreateTruncating(s0) * Vector256.Create(jac[..8]) + float.CreateTruncating(s1) * Vector256.Create(jac.Slice(6, 8))
            + float.CreateTruncating(s2) * Vector256.Create(jac.Slice(12, 8)) + float.CreateTruncating(s3) * Vector256.Create(jac.Slice(18, 8))
            + float.CreateTruncating(s4) * Vector256.Create(jac.Slice(24, 8));
        var sum = Vector256.Create((ReadOnlySpan<float>)carried);
        (Vector256.Create((ReadOnlySpan<float>)gradientOfLabel) + trans * dAlpha - w * sum).CopyTo(gradientOfLabel);
        (sum + dAlpha * inverse).CopyTo(carried);
    }

    /// <summary>
    /// Adds one pixel's objective gradient and Fisher information to <paramref name="scratch"/>, from A_k and
    /// ∇A_k of the <paramref name="present"/> labels present (<paramref name="total"/> = A + Kε). With
    /// P_k = (A_k + ε)/(A + Kε): g = (1/(A + Kε) + β) ∇A − Σ_k h_k ∇A_k/(A_k + ε), and
    /// F = Σ_k P_k ∇log P_k ∇log P_kᵀ over all K labels, which (Σ_k ∇A_k = ∇A, Σ_k P_k = 1) is
    /// Σ_k ∇A_k ∇A_kᵀ / ((A_k + ε)(A + Kε)) − ∇A ∇Aᵀ/(A + Kε)²: absent labels add nothing.
    /// </summary>
    private static void AddPixelDerivatives(Scratch scratch, int present, double total, double epsilon, double beta,
        ReadOnlySpan<ushort> supportLabels, ReadOnlySpan<float> supportWeights, Span<double> g, Span<double> labelGradient, Span<double> gradA)
    {
        gradA.Clear();
        for (int m = 0; m < present; m++)
        {
            double shifted = double.CreateChecked(scratch.LabelWeight[m]) + epsilon;
            for (int k = 0; k < 6; k++)
            {
                labelGradient[k] = double.CreateChecked(scratch.LabelGradient[GradientStride * m + k]);
                gradA[k] += labelGradient[k];
            }
            AddOuter(scratch.Normal, 1 / (shifted * total), labelGradient);
        }
        AddOuter(scratch.Normal, -1 / (total * total), gradA);
        for (int k = 0; k < 6; k++)
            g[k] = (1 / total + beta) * gradA[k];
        for (int s = 0; s < supportLabels.Length; s++)
        {
            int m = scratch.SlotOfLabel[supportLabels[s]];
            if (m < 0)
                continue;
            double c = supportWeights[s] / (double.CreateChecked(scratch.LabelWeight[m]) + epsilon);
            for (int k = 0; k < 6; k++)
                g[k] -= c * double.CreateChecked(scratch.LabelGradient[GradientStride * m + k]);
        }
        for (int k = 0; k < 6; k++)
            scratch.Gradient[k] += g[k];
    }

    /// <summary>Adds <paramref name="weight"/> · v vᵀ to the upper triangle <paramref name="sums"/> (21 values, row-major).</summary>
    private static void AddOuter(double[] sums, double weight, ReadOnlySpan<double> v)
    {
        int u = 0;
        for (int r = 0; r < 6; r++)
        {
            double wr = weight * v[r];
            for (int c = r; c < 6; c++)
                sums[u++] += wr * v[c];
        }
    }
}
