using System.Numerics;

namespace Mosaic.Rendering;

/// <summary>
/// One tile's splats, front to back, copied out of the projection into contiguous arrays: every pixel
/// of the tile scans the same list, so it then reads memory in order instead of jumping through the
/// projection by index.
/// </summary>
internal sealed class TileSplats<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Splats loaded.</summary>
    public int Count { get; private set; }

    /// <summary>Index of each splat among the projection's visible Gaussians.</summary>
    public int[] Index = [];
    public T[] MeanX = [], MeanY = [], ConicA = [], ConicB = [], ConicC = [], Opacity = [], Depth = [];
    public ushort[] Label = [], SecondLabel = [];
    public T[] FirstLabelShare = [];

    /// <summary>Per splat, α and dα/dq at the pixel being composited (<see cref="LabelRasterizer{T}"/> fills them).</summary>
    public T[] Alpha = [], AlphaSlope = [];

    public void Load(ReadOnlySpan<int> list, Splat2D<T>[] splats)
    {
        int n = list.Length;
        if (Index.Length < n)
        {
            int size = Math.Max(n, Index.Length * 3 / 2);
            Index = new int[size];
            MeanX = new T[size]; MeanY = new T[size]; ConicA = new T[size]; ConicB = new T[size]; ConicC = new T[size];
            Opacity = new T[size]; Depth = new T[size];
            Label = new ushort[size]; SecondLabel = new ushort[size]; FirstLabelShare = new T[size];
            Alpha = new T[size]; AlphaSlope = new T[size];
        }
        for (int i = 0; i < n; i++)
        {
            int g = list[i];
            ref readonly var s = ref splats[g];
            Index[i] = g;
            MeanX[i] = s.MeanX; MeanY[i] = s.MeanY; ConicA[i] = s.ConicA; ConicB[i] = s.ConicB; ConicC[i] = s.ConicC;
            Opacity[i] = s.Opacity; Depth[i] = s.Depth; Label[i] = s.Label;
            SecondLabel[i] = s.SecondLabel; FirstLabelShare[i] = s.FirstLabelShare;
        }
        Count = n;
    }
}
