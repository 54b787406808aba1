using System.Buffers.Binary;
using Mosaic.Ros.Messages;

namespace Mosaic.Ros.Images;

/// <summary>
/// Turns sensor_msgs images into pixels: raw <see cref="Image"/> encodings, <see cref="CompressedImage"/>
/// (JPEG, PNG) and compressed_depth_image_transport's compressedDepth (PNG or RVL, 16UC1 millimetres or
/// 32FC1 quantized inverse depth), and builds compressedDepth messages.
/// </summary>
public static class ImageCodecs
{
    private const int DepthHeaderSize = 12;

    /// <summary>
    /// Decodes a raw colour or grayscale image (rgb8, bgr8, rgba8, bgra8, mono8, mono16; Bayer mosaics
    /// bayer_rggb8/bggr8/gbrg8/grbg8 and their 16-bit forms, demosaiced bilinearly; YUV 4:2:2 as yuv422/uyvy
    /// or yuv422_yuy2/yuyv) to RGB8.
    /// </summary>
    public static ColorImage DecodeColor(Image message)
    {
        if (RawColor.BayerCell(message.Encoding) is var (cell, bayerBytes))
        {
            CheckLayout(message, bayerBytes);
            return RawColor.Demosaic(message, cell, bayerBytes);
        }
        if (RawColor.Yuv422Layout(message.Encoding) is { } layout)
        {
            CheckLayout(message, 2);
            return RawColor.DecodeYuv422(message, layout);
        }
        int width = (int)message.Width, height = (int)message.Height;
        // Byte offsets of R, G, B within a pixel, decided once per image rather than per pixel.
        var (bytesPerPixel, r, g, b) = message.Encoding switch
        {
            "rgb8" => (3, 0, 1, 2),
            "bgr8" => (3, 2, 1, 0),
            "rgba8" => (4, 0, 1, 2),
            "bgra8" => (4, 2, 1, 0),
            "mono8" or "8UC1" => (1, 0, 0, 0),
            "mono16" or "16UC1" => (2, 0, 0, 0),
            _ => throw new ImageFormatException($"image encoding '{message.Encoding}' is not a colour encoding this decoder knows"),
        };
        CheckLayout(message, bytesPerPixel);
        // 16-bit gray keeps its most significant byte: byte 0 when big endian, byte 1 when little.
        if (bytesPerPixel == 2)
        {
            r = g = b = message.IsBigEndian ? 0 : 1;
        }
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            var row = message.Data.AsSpan(y * (int)message.Step, width * bytesPerPixel);
            var output = rgb.AsSpan(3 * y * width, 3 * width);
            for (int x = 0, i = 0; x < width; x++, i += bytesPerPixel)
            {
                output[3 * x] = row[i + r];
                output[3 * x + 1] = row[i + g];
                output[3 * x + 2] = row[i + b];
            }
        }
        return new ColorImage(width, height, rgb);
    }

    /// <summary>Decodes a raw depth image: 16UC1/mono16 in millimetres (0 = invalid) or 32FC1 in metres.</summary>
    public static DepthImage DecodeDepth(Image message)
    {
        int width = (int)message.Width, height = (int)message.Height;
        int bytes = message.Encoding switch
        {
            "16UC1" or "mono16" => 2,
            "32FC1" => 4,
            _ => throw new ImageFormatException($"image encoding '{message.Encoding}' is not a depth encoding (16UC1, mono16 or 32FC1)"),
        };
        CheckLayout(message, bytes);
        var metres = new float[width * height];
        for (int y = 0; y < height; y++)
        {
            var row = message.Data.AsSpan(y * (int)message.Step, width * bytes);
            for (int x = 0; x < width; x++)
            {
                var p = row.Slice(x * bytes, bytes);
                metres[y * width + x] = bytes == 2
                    ? MillimetresToMetres(message.IsBigEndian ? BinaryPrimitives.ReadUInt16BigEndian(p) : BinaryPrimitives.ReadUInt16LittleEndian(p))
                    : ValidOrNaN(message.IsBigEndian ? BinaryPrimitives.ReadSingleBigEndian(p) : BinaryPrimitives.ReadSingleLittleEndian(p));
            }
        }
        return new DepthImage(width, height, metres);
    }

    /// <summary>Decodes a compressed colour image (JPEG or PNG, recognised by their magic bytes).</summary>
    public static ColorImage DecodeColor(CompressedImage message)
    {
        var data = message.Data.AsSpan();
        if (Jpeg.IsJpeg(data))
        {
            return Jpeg.Decode(data);
        }
        if (Png.IsPng(data))
        {
            var png = Png.Decode(data);
            return ToRgb(png);
        }
        throw new ImageFormatException($"compressed image with format '{message.Format}' is neither JPEG nor PNG");
    }

    /// <summary>Decodes a compressedDepth image (format "16UC1; compressedDepth [png|rvl]" or "32FC1; compressedDepth ...").</summary>
    public static DepthImage DecodeDepth(CompressedImage message)
    {
        var (encoding, codec) = ParseDepthFormat(message.Format);
        var data = message.Data.AsSpan();
        if (data.Length < DepthHeaderSize)
        {
            throw new ImageFormatException($"compressedDepth data is {data.Length} bytes, shorter than its 12-byte header");
        }
        int format = BinaryPrimitives.ReadInt32LittleEndian(data);
        float depthQuantA = BinaryPrimitives.ReadSingleLittleEndian(data[4..]);
        float depthQuantB = BinaryPrimitives.ReadSingleLittleEndian(data[8..]);
        var payload = data[DepthHeaderSize..];
        int width, height;
        ushort[] values;
        if (codec == "rvl")
        {
            (width, height, values) = Rvl.Decode(payload);
        }
        else
        {
            var png = Png.Decode(payload);
            if (png.Channels != 1 || png.BitDepth != 16)
            {
                throw new ImageFormatException($"compressedDepth PNG must be 16-bit grayscale, not {png.Channels} channel(s) of {png.BitDepth} bits");
            }
            (width, height) = (png.Width, png.Height);
            values = new ushort[width * height];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (ushort)(png.Samples[2 * i] << 8 | png.Samples[2 * i + 1]);
            }
        }
        var metres = new float[values.Length];
        if (encoding == "16UC1")
        {
            for (int i = 0; i < values.Length; i++) metres[i] = MillimetresToMetres(values[i]);
        }
        else
        {
            if (format != 0)
            {
                throw new ImageFormatException($"32FC1 compressedDepth with quantization format {format} is not supported (only inverse depth, 0)");
            }
            // Inverse depth quantization: v = a / d + b, so d = a / (v - b); 0 marks invalid.
            for (int i = 0; i < values.Length; i++)
            {
                metres[i] = values[i] == 0 ? float.NaN : depthQuantA / (values[i] - depthQuantB);
            }
        }
        return new DepthImage(width, height, metres);
    }

    /// <summary>
    /// Wraps an existing 16-bit grayscale PNG of millimetre depth as a compressedDepth message
    /// ("16UC1; compressedDepth png"), keeping the PNG bytes unchanged.
    /// </summary>
    public static CompressedImage CompressedDepthFromPng(Header header, ReadOnlySpan<byte> png)
    {
        var decoded = Png.Decode(png);
        if (decoded.Channels != 1 || decoded.BitDepth != 16)
        {
            throw new ImageFormatException("compressedDepth 16UC1 needs a 16-bit grayscale PNG");
        }
        var data = new byte[DepthHeaderSize + png.Length];
        // ConfigHeader {format = INV_DEPTH (0), depthQuantA, depthQuantB}: unused for 16UC1, written as zeros.
        png.CopyTo(data.AsSpan(DepthHeaderSize));
        return new CompressedImage(header, "16UC1; compressedDepth png", data);
    }

    private static (string Encoding, string Codec) ParseDepthFormat(string format)
    {
        var parts = format.Split(';', StringSplitOptions.TrimEntries);
        if (parts.Length < 2 || !parts[1].StartsWith("compressedDepth", StringComparison.Ordinal))
        {
            throw new ImageFormatException($"format '{format}' is not compressedDepth (expected '<encoding>; compressedDepth [png|rvl]')");
        }
        string encoding = parts[0];
        if (encoding is not ("16UC1" or "32FC1"))
        {
            throw new ImageFormatException($"compressedDepth of '{encoding}' is not supported (16UC1 or 32FC1)");
        }
        string codec = parts[1].Length > "compressedDepth".Length ? parts[1]["compressedDepth".Length..].Trim() : "png";
        if (codec is not ("png" or "rvl"))
        {
            throw new ImageFormatException($"compressedDepth codec '{codec}' is not supported (png or rvl)");
        }
        return (encoding, codec);
    }

    private static void CheckLayout(Image message, int bytesPerPixel)
    {
        long needed = message.Height == 0 ? 0 : (long)message.Step * (message.Height - 1) + (long)message.Width * bytesPerPixel;
        if (message.Step < message.Width * (long)bytesPerPixel)
        {
            throw new ImageFormatException($"image step {message.Step} is smaller than width {message.Width} x {bytesPerPixel} bytes");
        }
        if (message.Data.Length < needed)
        {
            throw new ImageFormatException($"{message.Encoding} image of {message.Width}x{message.Height} (step {message.Step}) needs {needed} bytes but has {message.Data.Length}");
        }
    }

    private static ColorImage ToRgb(PngImage png)
    {
        var rgb = new byte[png.Width * png.Height * 3];
        int bytes = png.BitDepth / 8;
        for (int i = 0; i < png.Width * png.Height; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                int channel = png.Channels >= 3 ? c : 0;
                rgb[3 * i + c] = png.Samples[(i * png.Channels + channel) * bytes];
            }
        }
        return new ColorImage(png.Width, png.Height, rgb);
    }

    private static float MillimetresToMetres(ushort mm) => mm == 0 ? float.NaN : mm * 0.001f;

    private static float ValidOrNaN(float metres) => metres > 0 && float.IsFinite(metres) ? metres : float.NaN;
}
