using System.Runtime.InteropServices;

namespace Mosaic.Rendering.Cuda;

/// <summary>
/// The argument block every kernel receives by value: the C# mirror of <c>MosaicArgs</c> in
/// kernels/mosaic_kernels.cuh, field for field (8-byte fields first, so no packing is needed).
/// Device addresses are 64-bit integers.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KernelArgs
{
    public ulong Means, Covariances, Opacities, Labels, SecondLabels, FirstShares;
    public ulong Splats, Rects, Jacobians;
    public ulong TileCounts, TileOffsets, TileCursors, TileGroups, BinTotals, Keys, SortedKeys;
    public ulong QueryOffsets, QueryLabels, QueryWeights;
    public ulong LabelWeights, Alpha, Depth, PixelTerms;
    public ulong PartialSums, ReduceIn, ReduceOut;
    public ulong UncoveredShifts;
    public double CoverageThreshold;
    public fixed float R[9];
    public fixed float T[3];
    public float Fx, Fy, Cx, Cy;
    public float NearPlane, FarPlane, LowPass, QMax;
    public float LimXNeg, LimXPos, LimYNeg, LimYPos;
    public float Cut, InvNorm, MaxAlpha, MinTransmittance, Epsilon, KEpsilon;
    public int Count;
    public int LabelCount;
    public int Width, Height, TileSize, TilesX, TilesY;
    public int WithJacobian;
    public int ChunkSize, Chunks;
    public int SortWidth;
    public int ReduceRows, ReduceWidth;

    /// <summary>Floats the splat record of one Gaussian holds (<c>MOSAIC_SPLAT_SIZE</c>).</summary>
    public const int SplatSize = 8;

    /// <summary>Floats per pixel in the evaluation's per-pixel terms (<c>MOSAIC_PIXEL_TERMS</c>).</summary>
    public const int PixelTermCount = 31;

    /// <summary>Sums the reduction produces (<c>MOSAIC_SUMS</c>): loss, valid, covered, objective, gradient, normal triangle.</summary>
    public const int SumCount = 31;

    /// <summary>Most labels one query pixel may carry (<c>MOSAIC_MAX_SUPPORT</c>).</summary>
    public const int MaxSupport = 64;

    /// <summary>Entries the first sorting launch puts in order per run (<c>MOSAIC_SORT_RUN</c>); merge passes double it.</summary>
    public const int SortRun = 32;

    /// <summary>Tiles per group of the parallel offset scan (<c>MOSAIC_SCAN_GROUP</c>).</summary>
    public const int ScanGroup = 32;

    /// <summary>Rows of partial sums one reduction pass adds up into one (<c>MOSAIC_REDUCE_GROUP</c>).</summary>
    public const int ReduceGroup = 32;

    /// <summary>Floats of one Gaussian's pose Jacobian (<c>MOSAIC_JACOBIAN_SIZE</c>).</summary>
    public const int JacobianSize = 30;
}
