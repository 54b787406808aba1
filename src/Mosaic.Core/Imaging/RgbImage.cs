namespace Mosaic.Core.Imaging;

/// <summary>An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B.</summary>
public sealed class RgbImage
{
    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>3 · Width · Height bytes: R, G, B per pixel.</summary>
    public byte[] Rgb { get; }

    /// <summary>An image over existing interleaved RGB bytes (not copied).</summary>
    public RgbImage(int width, int height, byte[] rgb)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        if (rgb.Length != 3L * width * height)
            throw new ArgumentException($"{rgb.Length} bytes given for a {width}x{height} RGB image (need {3L * width * height})", nameof(rgb));
        (Width, Height, Rgb) = (width, height, rgb);
    }

    /// <summary>
    /// The image at pyramid level <paramref name="level"/>: each level averages 2×2 blocks, so pixel
    /// centres match <see cref="Cameras.PinholeCamera.AtLevel"/>; odd last rows/columns are dropped.
    /// </summary>
    public RgbImage AtLevel(int level)
    {
        if (level < 0)
            throw new ArgumentOutOfRangeException(nameof(level), "pyramid level must be non-negative");
        var image = this;
        for (int l = 0; l < level; l++)
            image = image.Halve();
        return image;
    }

    private RgbImage Halve()
    {
        int w = Width / 2, h = Height / 2;
        if (w == 0 || h == 0)
            throw new ArgumentOutOfRangeException(nameof(Width), $"a {Width}x{Height} image cannot be halved");
        var half = new byte[3 * w * h];
        for (int y = 0; y < h; y++)
        {
            int r0 = 3 * (2 * y) * Width, r1 = r0 + 3 * Width;
            for (int x = 0; x < w; x++)
            {
                int a = r0 + 6 * x, b = r1 + 6 * x, o = 3 * (y * w + x);
                for (int c = 0; c < 3; c++)
                    half[o + c] = (byte)((Rgb[a + c] + Rgb[a + 3 + c] + Rgb[b + c] + Rgb[b + 3 + c] + 2) >> 2);
            }
        }
        return new RgbImage(w, h, half);
    }
}
