using Mosaic.Ros.Messages;

namespace Mosaic.Ros.Images;

/// <summary>
/// Raw colour encodings that carry less than one full RGB pixel per pixel, as camera drivers publish them
/// when nothing debayers or converts downstream: Bayer mosaics (sensor_msgs image_encodings
/// <c>bayer_rggb8</c>, <c>bayer_bggr8</c>, <c>bayer_gbrg8</c>, <c>bayer_grbg8</c> and their 16-bit forms) and
/// YUV 4:2:2 (<c>yuv422</c>/<c>uyvy</c>: U Y V Y, <c>yuv422_yuy2</c>/<c>yuyv</c>: Y U Y V).
/// </summary>
internal static class RawColor
{
    /// <summary>The 2×2 Bayer cell of an encoding (channel 0 R, 1 G, 2 B, row-major from the top-left pixel) and its bytes per pixel; null for other encodings.</summary>
    public static (int[] Cell, int BytesPerPixel)? BayerCell(string encoding)
    {
        if (!encoding.StartsWith("bayer_", StringComparison.Ordinal) || encoding.Length < "bayer_rggb8".Length)
            return null;
        string pattern = encoding.Substring(6, 4), depth = encoding[10..];
        if (depth is not ("8" or "16") || pattern is not ("rggb" or "bggr" or "gbrg" or "grbg"))
            return null;
        return (pattern.Select(c => c switch { 'r' => 0, 'g' => 1, _ => 2 }).ToArray(), depth == "8" ? 1 : 2);
    }

    /// <summary>
    /// Bilinear demosaicing: each pixel keeps its own channel and takes each other channel as the mean of
    /// the 3×3 neighbours that carry it (fewer at the border). Exact for colours that vary linearly.
    /// 16-bit mosaics keep their most significant byte.
    /// </summary>
    public static ColorImage Demosaic(Image message, int[] cell, int bytesPerPixel)
    {
        int width = (int)message.Width, height = (int)message.Height;
        int high = bytesPerPixel == 2 && !message.IsBigEndian ? 1 : 0;
        var raw = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            var row = message.Data.AsSpan(y * (int)message.Step, width * bytesPerPixel);
            for (int x = 0; x < width; x++)
                raw[y * width + x] = row[x * bytesPerPixel + high];
        }
        var rgb = new byte[width * height * 3];
        Span<int> sum = stackalloc int[3];
        Span<int> count = stackalloc int[3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                sum.Clear();
                count.Clear();
                for (int dy = -1; dy <= 1; dy++)
                {
                    int yy = y + dy;
                    if (yy < 0 || yy >= height)
                        continue;
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int xx = x + dx;
                        if (xx < 0 || xx >= width)
                            continue;
                        int channel = cell[(yy & 1) * 2 + (xx & 1)];
                        sum[channel] += raw[yy * width + xx];
                        count[channel]++;
                    }
                }
                int own = cell[(y & 1) * 2 + (x & 1)];
                for (int c = 0; c < 3; c++)
                {
                    rgb[3 * (y * width + x) + c] = c == own ? raw[y * width + x]
                        : count[c] == 0 ? (byte)0
                        : (byte)((sum[c] + count[c] / 2) / count[c]);
                }
            }
        }
        return new ColorImage(width, height, rgb);
    }

    /// <summary>Byte offsets of Y0, U, Y1, V in a 4-byte pair of pixels of a YUV 4:2:2 encoding; null for other encodings.</summary>
    public static (int Y0, int U, int Y1, int V)? Yuv422Layout(string encoding) => encoding switch
    {
        "yuv422" or "uyvy" => (1, 0, 3, 2),
        "yuv422_yuy2" or "yuyv" => (0, 1, 2, 3),
        _ => null,
    };

    /// <summary>YUV 4:2:2 to RGB with the ITU-R BT.601 video-range matrix, as OpenCV's cv_bridge conversion does; each pair of pixels shares its chroma.</summary>
    public static ColorImage DecodeYuv422(Image message, (int Y0, int U, int Y1, int V) layout)
    {
        int width = (int)message.Width, height = (int)message.Height;
        if (width % 2 != 0)
            throw new ImageFormatException($"{message.Encoding} image width {width} is odd; YUV 4:2:2 pairs pixels");
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            var row = message.Data.AsSpan(y * (int)message.Step, width * 2);
            for (int x = 0; x < width; x += 2)
            {
                var pair = row.Slice(2 * x, 4);
                int u = pair[layout.U] - 128, v = pair[layout.V] - 128;
                Write(rgb, 3 * (y * width + x), pair[layout.Y0], u, v);
                Write(rgb, 3 * (y * width + x + 1), pair[layout.Y1], u, v);
            }
        }
        return new ColorImage(width, height, rgb);
    }

    private static void Write(byte[] rgb, int at, int y, int u, int v)
    {
        double luma = 1.164 * (y - 16);
        rgb[at] = Clamp(luma + 1.596 * v);
        rgb[at + 1] = Clamp(luma - 0.392 * u - 0.813 * v);
        rgb[at + 2] = Clamp(luma + 2.017 * u);
    }

    private static byte Clamp(double value) => (byte)Math.Clamp((int)Math.Round(value), 0, 255);
}
