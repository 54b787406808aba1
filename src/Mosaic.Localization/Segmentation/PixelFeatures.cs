using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Mosaic.Core.Imaging;

namespace Mosaic.Localization.Segmentation;

/// <summary>
/// Per-pixel colour maps that stay put under a drive's exposure and white-balance changes, and the
/// filters the segmenters build their features from. All images are row-major, one value per pixel.
/// </summary>
public static class PixelFeatures
{
    /// <summary>
    /// Image-sized scratch buffers. A fresh one costs more than a box filter over it (a large-object
    /// allocation, zeroed), and a segmentation needs one per label at once, more than the shared pool keeps.
    /// </summary>
    internal static readonly ArrayPool<float> ImagePool = ArrayPool<float>.Create(maxArrayLength: 1 << 24, maxArraysPerBucket: 512);

    /// <summary>
    /// Grey-world chromaticity and lightness of every pixel: each channel is divided by its image
    /// mean (which cancels a global gain and white balance), then r = c_R/s, g = c_G/s and
    /// l = ln(s/3) with s = c_R + c_G + c_B.
    /// </summary>
    public static (float[] R, float[] G, float[] L) GreyWorld(RgbImage image)
    {
        int n = image.Width * image.Height;
        var rgb = image.Rgb;
        Span<double> channelMean = stackalloc double[3];
        for (int p = 0; p < n; p++)
            for (int c = 0; c < 3; c++)
                channelMean[c] += rgb[3 * p + c];
        for (int c = 0; c < 3; c++)
            channelMean[c] = channelMean[c] / n + 1;
        var r = new float[n];
        var g = new float[n];
        var l = new float[n];
        for (int p = 0; p < n; p++)
        {
            double cr = (rgb[3 * p] + 0.5) / channelMean[0], cg = (rgb[3 * p + 1] + 0.5) / channelMean[1], cb = (rgb[3 * p + 2] + 0.5) / channelMean[2];
            double s = cr + cg + cb;
            r[p] = (float)(cr / s);
            g[p] = (float)(cg / s);
            l[p] = (float)Math.Log(s / 3);
        }
        return (r, g, l);
    }

    /// <summary>Central-difference gradient (x, y) of <paramref name="image"/>, clamped at the borders.</summary>
    public static (float[] Gx, float[] Gy) Gradient(float[] image, int w, int h)
    {
        var gx = new float[w * h];
        var gy = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                gx[y * w + x] = image[y * w + Math.Min(x + 1, w - 1)] - image[y * w + Math.Max(x - 1, 0)];
                gy[y * w + x] = image[Math.Min(y + 1, h - 1) * w + x] - image[Math.Max(y - 1, 0) * w + x];
            }
        }
        return (gx, gy);
    }

    /// <summary>In-place mean over a (2r+1)² window, the window clipped at the borders.</summary>
    public static void BoxFilter(float[] image, int w, int h, int radius)
    {
        if (radius == 0)
            return;
        var temp = ImagePool.Rent(w * h);
        int y = 0;
        for (; y + 4 <= h && Vector256.IsHardwareAccelerated; y += 4)
        {
            BoxRows(image.AsSpan(y * w, w), image.AsSpan((y + 1) * w, w), image.AsSpan((y + 2) * w, w), image.AsSpan((y + 3) * w, w),
                temp.AsSpan(y * w, w), temp.AsSpan((y + 1) * w, w), temp.AsSpan((y + 2) * w, w), temp.AsSpan((y + 3) * w, w), radius);
        }
        for (; y < h; y++)
            BoxRow(image.AsSpan(y * w, w), temp.AsSpan(y * w, w), radius);
        ColumnMeans([temp], w, h, radius, 0, w, (y, means) => means.CopyTo(image.AsSpan(y * w, w)));
        ImagePool.Return(temp);
    }

    /// <summary>Receives the window means of one row of a column strip (see <see cref="ColumnMeans"/>).</summary>
    internal delegate void RowMeans(int y, Span<float> means);

    /// <summary>
    /// The means over (2r+1)-row windows (clipped at the borders) of columns [x0, x0 + width) of each
    /// of <paramref name="images"/>, row by row: <paramref name="consume"/> gets, for each row y, the
    /// means image-major (image i's at i · width). Running double sums of whole rows, so memory is read
    /// row by row; strips of columns are independent and can run in parallel with the same results.
    /// </summary>
    internal static void ColumnMeans(float[][] images, int w, int h, int radius, int x0, int width, RowMeans consume)
    {
        int n = images.Length;
        var sums = new double[n * width];
        var means = new float[n * width];
        int lo = 0, hi = -1;
        for (int y = 0; y < h; y++)
        {
            int wantLo = Math.Max(0, y - radius), wantHi = Math.Min(h - 1, y + radius);
            for (; hi < wantHi; hi++)
                for (int i = 0; i < n; i++)
                    AddRow(images[i].AsSpan((hi + 1) * w + x0, width), sums.AsSpan(i * width, width), 1);
            for (; lo < wantLo; lo++)
                for (int i = 0; i < n; i++)
                    AddRow(images[i].AsSpan(lo * w + x0, width), sums.AsSpan(i * width, width), -1);
            double inverse = 1.0 / (hi - lo + 1);
            for (int i = 0; i < n; i++)
                ScaleRow(sums.AsSpan(i * width, width), inverse, means.AsSpan(i * width, width));
            consume(y, means);
        }
    }

    /// <summary>sum[x] += sign · row[x] in double precision, vectorised (the same sums as one pixel at a time).</summary>
    private static void AddRow(ReadOnlySpan<float> row, Span<double> sum, int sign)
    {
        var rows = MemoryMarshal.Cast<float, Vector<float>>(row);
        var sums = MemoryMarshal.Cast<double, Vector<double>>(sum);
        for (int i = 0; i < rows.Length; i++)
        {
            Vector.Widen(rows[i], out var low, out var high);
            (sums[2 * i], sums[2 * i + 1]) = sign > 0 ? (sums[2 * i] + low, sums[2 * i + 1] + high) : (sums[2 * i] - low, sums[2 * i + 1] - high);
        }
        for (int x = rows.Length * Vector<float>.Count; x < row.Length; x++)
            sum[x] += sign > 0 ? row[x] : -row[x];
    }

    /// <summary>output[x] = (float)(sum[x] · scale), vectorised.</summary>
    private static void ScaleRow(ReadOnlySpan<double> sum, double scale, Span<float> output)
    {
        var sums = MemoryMarshal.Cast<double, Vector<double>>(sum);
        var outputs = MemoryMarshal.Cast<float, Vector<float>>(output);
        var factor = new Vector<double>(scale);
        for (int i = 0; i < outputs.Length; i++)
            outputs[i] = Vector.Narrow(sums[2 * i] * factor, sums[2 * i + 1] * factor);
        for (int x = outputs.Length * Vector<float>.Count; x < output.Length; x++)
            output[x] = (float)(sum[x] * scale);
    }

    /// <summary>The means of <paramref name="input"/> over (2r+1)-pixel windows, clipped at the ends.</summary>
    internal static void BoxRow(ReadOnlySpan<float> input, Span<float> output, int radius)
    {
        int n = input.Length;
        double sum = 0;
        int lo = 0, hi = -1;
        for (int i = 0; i < n; i++)
        {
            int wantLo = Math.Max(0, i - radius), wantHi = Math.Min(n - 1, i + radius);
            while (hi < wantHi)
                sum += input[++hi];
            while (lo < wantLo)
                sum -= input[lo++];
            output[i] = (float)(sum / (hi - lo + 1));
        }
    }

    /// <summary>
    /// <see cref="BoxRow"/> of four rows of one length at once, one row per lane of a vector of double
    /// sums: each lane adds, subtracts and divides exactly as <see cref="BoxRow"/> does, so the means are
    /// the same to the bit, but the four running sums no longer wait for each other. The rows are first
    /// interleaved as doubles, so that each step of the window reads one vector.
    /// </summary>
    internal static void BoxRows(ReadOnlySpan<float> in0, ReadOnlySpan<float> in1, ReadOnlySpan<float> in2, ReadOnlySpan<float> in3,
        Span<float> out0, Span<float> out1, Span<float> out2, Span<float> out3, int radius)
    {
        int n = in0.Length;
        if (in1.Length != n || in2.Length != n || in3.Length != n || out0.Length < n || out1.Length < n || out2.Length < n || out3.Length < n)
            throw new ArgumentException("the four rows and their outputs must have one length");
        var rented = ArrayPool<double>.Shared.Rent(4 * n);
        var values = rented.AsSpan(0, 4 * n);
        for (int x = 0; x < n; x++)
            (values[4 * x], values[4 * x + 1], values[4 * x + 2], values[4 * x + 3]) = (in0[x], in1[x], in2[x], in3[x]);
        var sum = Vector256<double>.Zero;
        int lo = 0, hi = -1;
        for (int i = 0; i < n; i++)
        {
            int wantLo = Math.Max(0, i - radius), wantHi = Math.Min(n - 1, i + radius);
            for (; hi < wantHi; hi++)
                sum += Vector256.Create<double>(values.Slice(4 * (hi + 1), 4));
            for (; lo < wantLo; lo++)
                sum -= Vector256.Create<double>(values.Slice(4 * lo, 4));
            var mean = sum / Vector256.Create((double)(hi - lo + 1));
            var means = Vector128.Narrow(mean.GetLower(), mean.GetUpper());
            (out0[i], out1[i], out2[i], out3[i]) = (means.GetElement(0), means.GetElement(1), means.GetElement(2), means.GetElement(3));
        }
        ArrayPool<double>.Shared.Return(rented);
    }

    /// <summary>
    /// Interleaves per-pixel maps into one pixel-major array: result[p · maps.Count + f] = maps[f][p],
    /// for the first <paramref name="pixels"/> values of each map (default: all of them).
    /// </summary>
    public static float[] Interleave(IReadOnlyList<float[]> maps, int pixels = -1)
    {
        int n = pixels < 0 ? maps[0].Length : pixels, d = maps.Count;
        var result = new float[n * d];
        for (int f = 0; f < d; f++)
        {
            var map = maps[f];
            for (int p = 0; p < n; p++)
                result[p * d + f] = map[p];
        }
        return result;
    }
}
