using System.Runtime.InteropServices;
using Mosaic.Ros.Compression;

namespace Mosaic.Ros.Images;

/// <summary>JPEG decoding and encoding through the system's libturbojpeg (TurboJPEG 2 API).</summary>
public static unsafe class Jpeg
{
    private const int PixelFormatRgb = 0;
    private const int Subsampling420 = 2;

    /// <summary>Whether <paramref name="data"/> starts with a JPEG SOI marker.</summary>
    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    /// <summary>Decodes a JPEG into 8-bit RGB.</summary>
    public static ColorImage Decode(ReadOnlySpan<byte> data)
    {
        NativeLibraries.Require(NativeLibraries.TurboJpeg);
        if (!IsJpeg(data))
        {
            throw new ImageFormatException("not a JPEG (no SOI marker)");
        }
        IntPtr handle = tjInitDecompress();
        if (handle == IntPtr.Zero)
        {
            throw new ImageFormatException("libturbojpeg: cannot create a decompressor");
        }
        try
        {
            fixed (byte* source = data)
            {
                int width, height, subsampling, colorspace;
                if (tjDecompressHeader3(handle, source, (nuint)data.Length, &width, &height, &subsampling, &colorspace) != 0)
                {
                    throw new ImageFormatException("JPEG header: " + Error(handle));
                }
                if (width <= 0 || height <= 0 || width > Png.MaxDimension || height > Png.MaxDimension)
                {
                    throw new ImageFormatException($"JPEG size {width}x{height} is out of range");
                }
                var rgb = new byte[width * height * 3];
                fixed (byte* destination = rgb)
                {
                    if (tjDecompress2(handle, source, (nuint)data.Length, destination, width, 0, height, PixelFormatRgb, 0) != 0)
                    {
                        throw new ImageFormatException("JPEG data: " + Error(handle));
                    }
                }
                return new ColorImage(width, height, rgb);
            }
        }
        finally
        {
            tjDestroy(handle);
        }
    }

    /// <summary>Encodes 8-bit RGB as a 4:2:0 JPEG of the given quality (1-100).</summary>
    public static byte[] Encode(ColorImage image, int quality = 90)
    {
        NativeLibraries.Require(NativeLibraries.TurboJpeg);
        IntPtr handle = tjInitCompress();
        if (handle == IntPtr.Zero)
        {
            throw new ImageFormatException("libturbojpeg: cannot create a compressor");
        }
        byte* output = null;
        try
        {
            nuint size = 0;
            fixed (byte* source = image.Rgb)
            {
                if (tjCompress2(handle, source, image.Width, 0, image.Height, PixelFormatRgb, &output, &size, Subsampling420, quality, 0) != 0)
                {
                    throw new ImageFormatException("JPEG encode: " + Error(handle));
                }
            }
            return new ReadOnlySpan<byte>(output, (int)size).ToArray();
        }
        finally
        {
            if (output != null) tjFree(output);
            tjDestroy(handle);
        }
    }

    private static string Error(IntPtr handle) => Marshal.PtrToStringAnsi(tjGetErrorStr2(handle)) ?? "unknown error";

    [DllImport(NativeLibraries.TurboJpeg)] private static extern IntPtr tjInitDecompress();
    [DllImport(NativeLibraries.TurboJpeg)] private static extern IntPtr tjInitCompress();
    [DllImport(NativeLibraries.TurboJpeg)] private static extern int tjDestroy(IntPtr handle);
    [DllImport(NativeLibraries.TurboJpeg)] private static extern int tjDecompressHeader3(IntPtr handle, byte* jpeg, nuint size, int* width, int* height, int* subsampling, int* colorspace);
    [DllImport(NativeLibraries.TurboJpeg)] private static extern int tjDecompress2(IntPtr handle, byte* jpeg, nuint size, byte* destination, int width, int pitch, int height, int pixelFormat, int flags);
    [DllImport(NativeLibraries.TurboJpeg)] private static extern int tjCompress2(IntPtr handle, byte* source, int width, int pitch, int height, int pixelFormat, byte** jpeg, nuint* size, int subsampling, int quality, int flags);
    [DllImport(NativeLibraries.TurboJpeg)] private static extern void tjFree(byte* buffer);
    [DllImport(NativeLibraries.TurboJpeg)] private static extern IntPtr tjGetErrorStr2(IntPtr handle);
}
