namespace Mosaic.Ros.Images;

/// <summary>An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B.</summary>
public sealed record ColorImage(int Width, int Height, byte[] Rgb);

/// <summary>A depth image in metres; invalid pixels are NaN.</summary>
public sealed record DepthImage(int Width, int Height, float[] Metres);

/// <summary>A decoded PNG: 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels of 8 or 16 bits.</summary>
public sealed record PngImage(int Width, int Height, int Channels, int BitDepth, byte[] Samples)
{
    /// <summary>Sample (x, y, c) of a 16-bit image (PNG stores them big endian).</summary>
    public ushort Sample16(int x, int y, int c)
    {
        int i = ((y * Width + x) * Channels + c) * 2;
        return (ushort)(Samples[i] << 8 | Samples[i + 1]);
    }
}

/// <summary>Image bytes cannot be decoded (bad format string, damaged data, unsupported encoding).</summary>
public sealed class ImageFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public ImageFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
