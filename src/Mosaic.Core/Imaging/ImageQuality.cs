namespace Mosaic.Core.Imaging;

/// <summary>
/// Image similarity over a mask of valid pixels: PSNR over RGB, and SSIM (Wang et al. 2004, 7×7
/// box windows, K1 = 0.01, K2 = 0.03) over luma, averaged over the windows that lie entirely in the
/// mask. Used to measure how well a map can be turned back into pictures.
/// </summary>
public static class ImageQuality
{
    private const int Radius = 3;

    /// <summary>PSNR (dB, peak 255) of <paramref name="estimate"/> against <paramref name="reference"/> over masked pixels; NaN when none.</summary>
    public static double Psnr(RgbImage reference, RgbImage estimate, bool[] mask)
    {
        Check(reference, estimate, mask);
        double sum = 0;
        long count = 0;
        for (int p = 0; p < mask.Length; p++)
        {
            if (!mask[p])
                continue;
            for (int c = 0; c < 3; c++)
            {
                double d = reference.Rgb[3 * p + c] - estimate.Rgb[3 * p + c];
                sum += d * d;
            }
            count += 3;
        }
        if (count == 0)
            return double.NaN;
        double mse = sum / count;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>Mean SSIM of the luma of two images over 7×7 windows inside the mask; NaN when no window fits.</summary>
    public static double Ssim(RgbImage reference, RgbImage estimate, bool[] mask)
    {
        Check(reference, estimate, mask);
        int w = reference.Width, h = reference.Height;
        var a = Luma(reference);
        var b = Luma(estimate);
        const double c1 = 0.01 * 255 * 0.01 * 255, c2 = 0.03 * 255 * 0.03 * 255;
        double total = 0;
        long windows = 0;
        var inside = IntegralOfMask(mask, w, h);
        int full = (2 * Radius + 1) * (2 * Radius + 1);
        for (int y = Radius; y < h - Radius; y++)
        {
            for (int x = Radius; x < w - Radius; x++)
            {
                if (BoxSum(inside, w, x, y) != full)
                    continue;
                double ma = 0, mb = 0, aa = 0, bb = 0, ab = 0;
                for (int dy = -Radius; dy <= Radius; dy++)
                {
                    for (int dx = -Radius; dx <= Radius; dx++)
                    {
                        int p = (y + dy) * w + x + dx;
                        double va = a[p], vb = b[p];
                        ma += va; mb += vb; aa += va * va; bb += vb * vb; ab += va * vb;
                    }
                }
                ma /= full; mb /= full;
                double va2 = aa / full - ma * ma, vb2 = bb / full - mb * mb, cov = ab / full - ma * mb;
                total += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va2 + vb2 + c2));
                windows++;
            }
        }
        return windows == 0 ? double.NaN : total / windows;
    }

    private static void Check(RgbImage reference, RgbImage estimate, bool[] mask)
    {
        if (reference.Width != estimate.Width || reference.Height != estimate.Height || mask.Length != reference.Width * reference.Height)
            throw new ArgumentException("images and mask must have the same size");
    }

    private static double[] Luma(RgbImage image)
    {
        var luma = new double[image.Width * image.Height];
        for (int p = 0; p < luma.Length; p++)
            luma[p] = 0.299 * image.Rgb[3 * p] + 0.587 * image.Rgb[3 * p + 1] + 0.114 * image.Rgb[3 * p + 2];
        return luma;
    }

    private static int[] IntegralOfMask(bool[] mask, int w, int h)
    {
        var integral = new int[(w + 1) * (h + 1)];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                integral[(y + 1) * (w + 1) + x + 1] = (mask[y * w + x] ? 1 : 0) + integral[y * (w + 1) + x + 1] + integral[(y + 1) * (w + 1) + x] - integral[y * (w + 1) + x];
        return integral;
    }

    private static int BoxSum(int[] integral, int w, int x, int y)
    {
        int stride = w + 1, x0 = x - Radius, y0 = y - Radius, x1 = x + Radius + 1, y1 = y + Radius + 1;
        return integral[y1 * stride + x1] - integral[y0 * stride + x1] - integral[y1 * stride + x0] + integral[y0 * stride + x0];
    }
}
