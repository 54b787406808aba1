using Mosaic.Core.Imaging;

namespace Mosaic.Rendering;

/// <summary>
/// A label rendering (DESIGN.md §6): per pixel the composited weight A_k of each label k and their
/// sum A, plus the expected depth. Debug images (hard label, alpha, depth) derive from these.
/// </summary>
public sealed class RenderedLabels
{
    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Number of labels K.</summary>
    public int LabelCount { get; }

    /// <summary>A_k, pixel-major: element (y·Width + x)·K + k.</summary>
    public float[] LabelWeights { get; }

    /// <summary>A = Σ_k A_k per pixel (the rendered opacity).</summary>
    public float[] Alpha { get; }

    /// <summary>Expected depth Σ w_i z_i / A per pixel (metres); NaN where nothing was rendered.</summary>
    public float[] Depth { get; }

    internal RenderedLabels(int width, int height, int labelCount)
    {
        (Width, Height, LabelCount) = (width, height, labelCount);
        LabelWeights = new float[checked(width * height * labelCount)];
        Alpha = new float[width * height];
        Depth = new float[width * height];
    }

    /// <summary>The A a pixel needs for a hard label: half covered.</summary>
    public const double DefaultMinAlpha = 0.5;

    /// <summary>
    /// The label with the largest weight at each pixel whose A reaches <paramref name="minAlpha"/>;
    /// <see cref="Labels.Ignore"/> elsewhere.
    /// </summary>
    public Image<ushort> HardLabels(double minAlpha = DefaultMinAlpha)
    {
        var image = new Image<ushort>(Width, Height);
        for (int p = 0; p < Width * Height; p++)
        {
            if (Alpha[p] < minAlpha)
            {
                image.Data[p] = Labels.Ignore;
                continue;
            }
            var w = LabelWeights.AsSpan(p * LabelCount, LabelCount);
            int best = 0;
            for (int k = 1; k < w.Length; k++)
                if (w[k] > w[best])
                    best = k;
            image.Data[p] = (ushort)best;
        }
        return image;
    }

    /// <summary>A as an image.</summary>
    public Image<float> AlphaImage() => new(Width, Height, (float[])Alpha.Clone());

    /// <summary>Expected depth as an image (NaN where empty).</summary>
    public Image<float> DepthImage() => new(Width, Height, (float[])Depth.Clone());
}
