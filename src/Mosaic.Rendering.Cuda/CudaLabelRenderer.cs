using System.Numerics;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;

namespace Mosaic.Rendering.Cuda;

/// <summary>
/// The CUDA backend of <see cref="ILabelRenderer"/>: the same stages as <see cref="CpuLabelRenderer{T}"/>
/// (project, bin and sort, rasterise, and for the loss a fixed-order float64 reduction) as kernels in
/// float32. The map is uploaded once and stays on the device; per call only the pose goes up (and the
/// per-label uncovered costs and the query when it changes) and only the images or the 31 + 2K sums come back.
/// </summary>
/// <remarks>One instance serves one caller at a time, like the CPU backend.</remarks>
public sealed class CudaLabelRenderer : ILabelRenderer, IDisposable
{
    /// <summary>Pixels per first-level partial sum: short serial loops over many threads.</summary>
    private const int ChunkSize = 32;

    private readonly KernelDevice _device;
    private readonly RenderSettings _settings;
    private readonly int _count;
    private readonly DeviceBuffer<float> _means, _covariances, _opacities, _firstShares, _splats, _jacobians;
    private readonly DeviceBuffer<ushort> _labels, _secondLabels, _queryLabels;
    private readonly DeviceBuffer<int> _rects, _tileCounts, _tileOffsets, _tileCursors, _tileGroups, _binTotals, _queryOffsets;
    private readonly DeviceBuffer<ulong> _keys, _sortedKeys;
    private readonly DeviceBuffer<float> _queryWeights, _labelWeights, _alpha, _depth, _pixelTerms, _uncoveredShifts;
    private readonly DeviceBuffer<double> _partialSums, _sums, _reduceScratch;
    private LabelDistributionImage? _uploadedQuery;

    /// <summary>
    /// Opens the GPU of <paramref name="options"/> and uploads <paramref name="map"/>; throws <see cref="CudaException"/>
    /// when CUDA is unusable. With <paramref name="profile"/>, every launch is waited for and timed (<see cref="Profile"/>), which makes calls slower.
    /// </summary>
    public static CudaLabelRenderer Create(GaussianMap map, RenderSettings? settings = null, CudaOptions? options = null, bool profile = false)
    {
        KernelDevice device = CudaDevice.Open(options ?? new CudaOptions());
        if (profile)
            device = new ProfilingDevice(device);
        try
        {
            return new CudaLabelRenderer(device, map, settings);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    internal CudaLabelRenderer(KernelDevice device, GaussianMap map, RenderSettings? settings)
    {
        _device = device;
        _settings = settings ?? new RenderSettings();
        _settings.Validate();
        var scene = new SplatScene<float>(map);
        _count = scene.Count;
        LabelCount = scene.LabelCount;
        _means = new(device); _covariances = new(device); _opacities = new(device); _splats = new(device); _jacobians = new(device);
        _labels = new(device); _secondLabels = new(device); _firstShares = new(device); _queryLabels = new(device);
        _rects = new(device); _tileCounts = new(device); _tileOffsets = new(device); _tileCursors = new(device); _tileGroups = new(device); _binTotals = new(device); _queryOffsets = new(device);
        _keys = new(device); _sortedKeys = new(device);
        _queryWeights = new(device); _labelWeights = new(device); _alpha = new(device); _depth = new(device); _pixelTerms = new(device);
        _partialSums = new(device); _sums = new(device);
        _uncoveredShifts = new(device); _reduceScratch = new(device);

        _means.Upload(scene.Means);
        _covariances.Upload(scene.Covariances);
        _opacities.Upload(scene.Opacities);
        _labels.Upload(scene.Labels);
        _secondLabels.Upload(scene.SecondLabels);
        _firstShares.Upload(scene.FirstLabelShares);
        _splats.Ensure((long)_count * KernelArgs.SplatSize);
        _rects.Ensure(4L * _count);
        _jacobians.Ensure((long)_count * KernelArgs.JacobianSize);
        _binTotals.Ensure(3);
        _sums.Ensure(KernelArgs.SumCount + 2L * LabelCount);
        _uncoveredShifts.Ensure(LabelCount);
    }

    /// <inheritdoc />
    public int LabelCount { get; }

    /// <summary>Visible Gaussians, tile-list entries and the longest tile list of the last call.</summary>
    public BinningStats LastBinning { get; private set; }

    /// <summary>Time per kernel and memory operation since the last <see cref="ResetProfile"/>; null unless created with profiling.</summary>
    public IReadOnlyList<StageTime>? Profile => (_device as ProfilingDevice)?.Stages;

    /// <summary>Starts the <see cref="Profile"/> afresh.</summary>
    public void ResetProfile() => (_device as ProfilingDevice)?.Reset();

    /// <summary>The GPU and how its kernels were built, for logs.</summary>
    public string DeviceDescription => _device.Description;

    /// <summary>
    /// Fills every output buffer with NaN bytes before each launch, so that memory a kernel fails to
    /// write shows up in the results (parity checks); slower.
    /// </summary>
    public bool PoisonOutputs { get; set; }

    /// <inheritdoc />
    public RenderedLabels Render(Se3 camFromMap, PinholeCamera camera)
    {
        int pixels = camera.Width * camera.Height;
        _labelWeights.Ensure((long)pixels * LabelCount);
        _alpha.Ensure(pixels);
        _depth.Ensure(pixels);
        var args = ProjectAndBin(camFromMap, camera, withJacobian: false);
        if (PoisonOutputs)
        {
            _labelWeights.Fill(0xff, (long)pixels * LabelCount);
            _alpha.Fill(0xff, pixels);
            _depth.Fill(0xff, pixels);
        }
        _device.Launch("mosaic_render", PixelThreads(args), args);
        var result = new RenderedLabels(camera.Width, camera.Height, LabelCount);
        _labelWeights.Download(result.LabelWeights);
        _alpha.Download(result.Alpha);
        _depth.Download(result.Depth);
        return result;
    }

    /// <inheritdoc />
    public LossEvaluation Evaluate(Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, bool withGradient, IReadOnlyList<double>? uncoveredLoss = null)
    {
        if (query.LabelCount != LabelCount)
            throw new ArgumentException($"query has {query.LabelCount} labels but the map has {LabelCount}");
        if (query.Width != camera.Width || query.Height != camera.Height)
            throw new ArgumentException($"query is {query.Width}x{query.Height} but the camera is {camera.Width}x{camera.Height}");
        int pixels = camera.Width * camera.Height;
        int chunks = (pixels + ChunkSize - 1) / ChunkSize;
        _uncoveredShifts.Upload(LossEvaluation.UncoveredShifts(LabelCount, uncoveredLoss).Select(v => (float)v).ToArray());
        UploadQuery(query);
        _pixelTerms.Ensure((long)pixels * KernelArgs.PixelTermCount);
        int width = KernelArgs.SumCount + 2 * LabelCount;
        _partialSums.Ensure((long)chunks * width);
        _reduceScratch.Ensure((long)(chunks + KernelArgs.ReduceGroup - 1) / KernelArgs.ReduceGroup * width);
        var args = ProjectAndBin(camFromMap, camera, withGradient);
        args.ChunkSize = ChunkSize;
        args.Chunks = chunks;
        if (PoisonOutputs)
        {
            _pixelTerms.Fill(0xff, (long)pixels * KernelArgs.PixelTermCount);
            _partialSums.Fill(0xff, (long)chunks * width);
            _sums.Fill(0xff, width);
        }
        _device.Launch("mosaic_evaluate", PixelThreads(args), args);
        _device.Launch("mosaic_reduce_chunks", chunks * KernelArgs.SumCount, args);
        _device.Launch("mosaic_reduce_label_chunks", chunks * LabelCount, args);
        ReduceRows(args, _partialSums, chunks, width, _sums);
        var sums = new double[width];
        _sums.Download(sums);
        return ToEvaluation(sums, LastBinning.Visible, withGradient, uncoveredLoss);
    }

    /// <summary>Threads of a per-pixel launch: whole tiles, so that a warp stays within one tile's list.</summary>
    private static int PixelThreads(in KernelArgs args) => args.TilesX * args.TilesY * args.TileSize * args.TileSize;

    /// <summary>
    /// Sums <paramref name="rows"/> rows of <paramref name="width"/> partial sums down to one row in
    /// <paramref name="destination"/>, <see cref="KernelArgs.ReduceGroup"/> rows at a time. The partial
    /// sums are overwritten: after the first pass they serve as the spare buffer.
    /// </summary>
    private void ReduceRows(KernelArgs args, DeviceBuffer<double> partials, int rows, int width, DeviceBuffer<double> destination)
    {
        ulong input = partials.Address, spare = _reduceScratch.Address;
        args.ReduceWidth = width;
        do
        {
            int outRows = (rows + KernelArgs.ReduceGroup - 1) / KernelArgs.ReduceGroup;
            ulong output = outRows == 1 ? destination.Address : spare;
            args.ReduceIn = input;
            args.ReduceOut = output;
            args.ReduceRows = rows;
            _device.Launch("mosaic_reduce_rows", outRows * width, args);
            (input, spare, rows) = (output, input, outRows);
        }
        while (rows > 1);
    }

    /// <remarks>The kernels do not sum the per-label uncovered terms (<see cref="ILabelRenderer.ReportsUncoveredTerms"/> is false), so a refinement level evaluates its start pose again with its costs.</remarks>
    private LossEvaluation ToEvaluation(double[] sums, int visible, bool withGradient, IReadOnlyList<double>? uncoveredLoss)
    {
        int valid = (int)sums[1];
        if (valid == 0)
            return LossEvaluation.Empty(LabelCount, visible, withGradient, uncoveredLoss);
        double[]? gradient = null, normal = null;
        if (withGradient)
        {
            gradient = new double[6];
            for (int k = 0; k < 6; k++)
                gradient[k] = sums[4 + k] / valid;
            normal = new double[36];
            int u = 10;
            for (int r = 0; r < 6; r++)
                for (int c = r; c < 6; c++)
                    normal[6 * r + c] = normal[6 * c + r] = sums[u++] / valid;
        }
        double covered = sums[2];
        var labelSums = sums.AsSpan(KernelArgs.SumCount);
        var lossByLabel = new double[LabelCount];
        var weightByLabel = new double[LabelCount];
        for (int k = 0; k < LabelCount; k++)
        {
            weightByLabel[k] = labelSums[2 * k + 1];
            lossByLabel[k] = weightByLabel[k] > 0 ? labelSums[2 * k] / weightByLabel[k] : double.NaN;
        }
        return new LossEvaluation(sums[0] / valid, sums[3] / valid, lossByLabel, weightByLabel,
            covered / valid, valid, visible, gradient, normal, uncoveredLoss?.ToArray());
    }

    /// <summary>
    /// The tile edge when the settings leave it open: 16 pixels for a 640-pixel-wide image, halved with
    /// each pyramid level down to 4. One thread per pixel walks its tile's whole list, and at coarse
    /// levels a tile of fixed size covers more of the scene: on an H200 an 80×60 image with 16-pixel
    /// tiles (lists of up to 4,400 entries) took longer to evaluate than the 640×480 one.
    /// </summary>
    internal static int DefaultTileSize(int width) => Math.Clamp((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, width / 40)), 4, 16);

    /// <summary>
    /// Stages 1 and 2: projection (with Jacobians when asked) and sorted tile lists; returns the
    /// arguments for stage 3 and sets <see cref="LastBinning"/>.
    /// </summary>
    private KernelArgs ProjectAndBin(Se3 camFromMap, PinholeCamera camera, bool withJacobian)
    {
        int tileSize = _settings.TileSize ?? DefaultTileSize(camera.Width);
        int tilesX = (camera.Width + tileSize - 1) / tileSize, tilesY = (camera.Height + tileSize - 1) / tileSize;
        int tiles = tilesX * tilesY;
        _tileCounts.Ensure(tiles);
        _tileOffsets.Ensure(tiles + 1);
        _tileCursors.Ensure(tiles);
        _tileGroups.Ensure(3 * ((tiles + KernelArgs.ScanGroup - 1) / KernelArgs.ScanGroup));
        _keys.Ensure(1);
        _sortedKeys.Ensure(1);
        var args = Arguments(camFromMap, camera, tileSize, tilesX, tilesY, withJacobian);

        _device.Launch("mosaic_project", _count, args);
        _tileCounts.Fill(0, tiles);
        _binTotals.Fill(0, 3);
        _device.Launch("mosaic_count_tiles", _count, args);
        _device.Launch("mosaic_scan_groups", (tiles + KernelArgs.ScanGroup - 1) / KernelArgs.ScanGroup, args);
        _device.Launch("mosaic_scan_tiles", 1, args);
        _device.Launch("mosaic_scan_spread", tiles, args);
        Span<int> totals = stackalloc int[3];
        _binTotals.Download(totals);
        int entries = totals[0], longest = totals[1];
        LastBinning = new BinningStats(totals[2], entries, longest);
        _keys.Ensure(entries);
        _sortedKeys.Ensure(entries);
        args.Keys = _keys.Address;
        args.SortedKeys = _sortedKeys.Address;
        if (PoisonOutputs)
        {
            _keys.Fill(0xff, entries);
            _sortedKeys.Fill(0xff, entries);
        }
        _device.Launch("mosaic_emit_keys", _count, args);
        // Runs of SortRun sorted, then merged pairwise until one run spans the longest list; each launch
        // writes the other buffer, and the last one written holds the sorted lists.
        _device.Launch("mosaic_sort_runs", entries, args);
        (args.Keys, args.SortedKeys) = (args.SortedKeys, args.Keys);
        for (int width = KernelArgs.SortRun; width < longest; width *= 2)
        {
            args.SortWidth = width;
            _device.Launch("mosaic_merge_runs", entries, args);
            (args.Keys, args.SortedKeys) = (args.SortedKeys, args.Keys);
        }
        return args;
    }

    private unsafe KernelArgs Arguments(Se3 camFromMap, PinholeCamera camera, int tileSize, int tilesX, int tilesY, bool withJacobian)
    {
        var s = _settings;
        var m = camFromMap.Rotation.Matrix;
        double qMax = s.SupportSigmas * s.SupportSigmas, cut = Math.Exp(-0.5 * qMax);
        // As the CPU backend (GaussianProjection.CameraFrame): the projection Jacobian is evaluated no
        // further than 30% of the half field of view outside the image.
        double marginX = 0.3 * 0.5 * camera.Width / camera.Fx, marginY = 0.3 * 0.5 * camera.Height / camera.Fy;
        var args = new KernelArgs
        {
            Means = _means.Address, Covariances = _covariances.Address, Opacities = _opacities.Address, Labels = _labels.Address,
            SecondLabels = _secondLabels.Address, FirstShares = _firstShares.Address,
            Splats = _splats.Address, Rects = _rects.Address, Jacobians = _jacobians.Address,
            TileCounts = _tileCounts.Address, TileOffsets = _tileOffsets.Address, TileCursors = _tileCursors.Address, TileGroups = _tileGroups.Address,
            BinTotals = _binTotals.Address, Keys = _keys.Address,
            QueryOffsets = _queryOffsets.Address, QueryLabels = _queryLabels.Address, QueryWeights = _queryWeights.Address,
            LabelWeights = _labelWeights.Address, Alpha = _alpha.Address, Depth = _depth.Address, PixelTerms = _pixelTerms.Address,
            PartialSums = _partialSums.Address, UncoveredShifts = _uncoveredShifts.Address,
            CoverageThreshold = s.CoverageThreshold,
            Fx = (float)camera.Fx, Fy = (float)camera.Fy, Cx = (float)camera.Cx, Cy = (float)camera.Cy,
            NearPlane = (float)s.NearPlane, FarPlane = (float)s.FarPlane, LowPass = (float)s.LowPassVariance, QMax = (float)qMax,
            LimXNeg = (float)((camera.Cx + 0.5) / camera.Fx + marginX),
            LimXPos = (float)((camera.Width - 0.5 - camera.Cx) / camera.Fx + marginX),
            LimYNeg = (float)((camera.Cy + 0.5) / camera.Fy + marginY),
            LimYPos = (float)((camera.Height - 0.5 - camera.Cy) / camera.Fy + marginY),
            Cut = (float)cut, InvNorm = (float)(1 / (1 - cut)), MaxAlpha = (float)s.MaxAlpha, MinTransmittance = (float)s.MinTransmittance,
            Epsilon = (float)s.LossEpsilon, KEpsilon = (float)(s.LossEpsilon * LabelCount),
            Count = _count, LabelCount = LabelCount,
            Width = camera.Width, Height = camera.Height, TileSize = tileSize, TilesX = tilesX, TilesY = tilesY,
            WithJacobian = withJacobian ? 1 : 0,
        };
        double[] r = [m.M00, m.M01, m.M02, m.M10, m.M11, m.M12, m.M20, m.M21, m.M22];
        for (int i = 0; i < 9; i++)
            args.R[i] = (float)r[i];
        args.T[0] = (float)camFromMap.Translation.X;
        args.T[1] = (float)camFromMap.Translation.Y;
        args.T[2] = (float)camFromMap.Translation.Z;
        return args;
    }

    /// <summary>The query as compressed rows; skipped when it is the query of the last call (refinement iterates over one query).</summary>
    private void UploadQuery(LabelDistributionImage query)
    {
        if (ReferenceEquals(query, _uploadedQuery))
            return;
        var offsets = query.Offsets;
        for (int p = 0; p + 1 < offsets.Length; p++)
            if (offsets[p + 1] - offsets[p] > KernelArgs.MaxSupport)
                throw new ArgumentException($"query pixel {p} carries {offsets[p + 1] - offsets[p]} labels; the CUDA backend takes at most {KernelArgs.MaxSupport}");
        _queryOffsets.Upload(offsets);
        // A query that ignores every pixel has no entries; the buffers still need an address.
        _queryLabels.Upload(query.AllLabels.Length > 0 ? query.AllLabels : [(ushort)0]);
        _queryWeights.Upload(query.AllWeights.Length > 0 ? query.AllWeights : [0f]);
        _uploadedQuery = query;
    }

    /// <summary>Frees the device memory and the device.</summary>
    public void Dispose()
    {
        foreach (var buffer in new IDisposable[]
        {
            _means, _covariances, _opacities, _firstShares, _splats, _jacobians, _labels, _secondLabels, _queryLabels, _rects, _tileCounts, _tileOffsets,
            _tileCursors, _tileGroups, _binTotals, _queryOffsets, _keys, _sortedKeys, _queryWeights, _labelWeights, _alpha, _depth, _pixelTerms, _partialSums, _sums,
            _uncoveredShifts, _reduceScratch,
        })
            buffer.Dispose();
        _device.Dispose();
    }
}
