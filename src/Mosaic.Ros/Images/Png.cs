using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Mosaic.Ros.Compression;

namespace Mosaic.Ros.Images;

/// <summary>
/// PNG decoding (8/16-bit gray, gray+alpha, RGB, RGBA, 8-bit palette; not interlaced) and encoding
/// (16-bit gray, 8-bit RGB) over <see cref="ZLibStream"/>. Chunk CRCs are checked; the inflated size
/// must match the header exactly, so damaged data never allocates more than the image needs.
/// </summary>
public static class Png
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The largest width or height accepted (larger headers are treated as damage).</summary>
    public const int MaxDimension = 1 << 15;

    /// <summary>Whether <paramref name="data"/> starts with the PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    /// <summary>Decodes a PNG file held in memory.</summary>
    public static PngImage Decode(ReadOnlySpan<byte> data)
    {
        if (!IsPng(data))
        {
            throw new ImageFormatException("not a PNG (bad signature)");
        }
        int position = Signature.Length;
        int width = 0, height = 0, bitDepth = 0, colorType = -1;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        bool ended = false;
        while (!ended)
        {
            if (data.Length - position < 12)
            {
                throw new ImageFormatException($"PNG truncated at byte {position}");
            }
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[position..]);
            if (length > (uint)(data.Length - position - 12))
            {
                throw new ImageFormatException($"PNG chunk at byte {position} claims {length} bytes, past the end of the data");
            }
            var typeAndData = data.Slice(position + 4, 4 + (int)length);
            string type = Encoding.ASCII.GetString(typeAndData[..4]);
            var body = typeAndData[4..];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(data[(position + 8 + (int)length)..]);
            if (Crc32.Compute(typeAndData) != crc)
            {
                throw new ImageFormatException($"PNG chunk '{type}' at byte {position} fails its CRC (damaged data)");
            }
            switch (type)
            {
                case "IHDR":
                    if (body.Length != 13) throw new ImageFormatException("PNG IHDR has the wrong size");
                    width = BinaryPrimitives.ReadInt32BigEndian(body);
                    height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                    bitDepth = body[8];
                    colorType = body[9];
                    if (body[12] != 0) throw new ImageFormatException("interlaced PNG is not supported");
                    break;
                case "PLTE":
                    palette = body.ToArray();
                    break;
                case "IDAT":
                    idat.Write(body);
                    break;
                case "IEND":
                    ended = true;
                    break;
            }
            position += 12 + (int)length;
        }
        if (width <= 0 || height <= 0 || width > MaxDimension || height > MaxDimension)
        {
            throw new ImageFormatException($"PNG size {width}x{height} is missing or out of range");
        }
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new ImageFormatException($"PNG colour type {colorType} is not valid") };
        if (bitDepth is not (8 or 16) || (colorType == 3 && bitDepth != 8))
        {
            throw new ImageFormatException($"PNG bit depth {bitDepth} with colour type {colorType} is not supported (8 or 16 bits; palettes 8 bits)");
        }
        int bytesPerPixel = channels * bitDepth / 8;
        int stride = width * bytesPerPixel;
        var raw = new byte[(long)(stride + 1) * height];
        idat.Position = 0;
        try
        {
            using var inflate = new ZLibStream(idat, CompressionMode.Decompress);
            int read = inflate.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            if (read != raw.Length)
            {
                throw new ImageFormatException($"PNG image data holds {read} bytes but {width}x{height} needs {raw.Length}");
            }
        }
        catch (InvalidDataException e)
        {
            throw new ImageFormatException("PNG image data is not valid zlib: " + e.Message, e);
        }
        var samples = Unfilter(raw, height, stride, bytesPerPixel);
        if (colorType == 3)
        {
            if (palette is null) throw new ImageFormatException("palette PNG without a PLTE chunk");
            var rgb = new byte[width * height * 3];
            for (int i = 0; i < width * height; i++)
            {
                int entry = samples[i] * 3;
                if (entry + 2 >= palette.Length) throw new ImageFormatException("PNG palette index out of range");
                rgb[3 * i] = palette[entry];
                rgb[3 * i + 1] = palette[entry + 1];
                rgb[3 * i + 2] = palette[entry + 2];
            }
            return new PngImage(width, height, 3, 8, rgb);
        }
        return new PngImage(width, height, channels, bitDepth, samples);
    }

    /// <summary>Encodes a 16-bit grayscale image (for example depth in millimetres).</summary>
    public static byte[] EncodeGray16(int width, int height, ReadOnlySpan<ushort> pixels, CompressionLevel level = CompressionLevel.Fastest)
    {
        var rows = new byte[width * 2 * height];
        for (int i = 0; i < pixels.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(rows.AsSpan(2 * i), pixels[i]);
        }
        return Encode(width, height, colorType: 0, bitDepth: 16, rows, bytesPerPixel: 2, level);
    }

    /// <summary>Encodes an 8-bit RGB image.</summary>
    public static byte[] EncodeRgb8(int width, int height, ReadOnlySpan<byte> rgb, CompressionLevel level = CompressionLevel.Fastest) =>
        Encode(width, height, colorType: 2, bitDepth: 8, rgb, bytesPerPixel: 3, level);

    private static byte[] Encode(int width, int height, byte colorType, byte bitDepth, ReadOnlySpan<byte> rows, int bytesPerPixel, CompressionLevel level)
    {
        int stride = width * bytesPerPixel;
        using var compressed = new MemoryStream();
        using (var deflate = new ZLibStream(compressed, level, leaveOpen: true))
        {
            // Filter "Up" on every row: cheap and good for smooth depth.
            var line = new byte[stride + 1];
            for (int y = 0; y < height; y++)
            {
                line[0] = y == 0 ? (byte)0 : (byte)2;
                var row = rows.Slice(y * stride, stride);
                for (int i = 0; i < stride; i++)
                {
                    line[i + 1] = y == 0 ? row[i] : (byte)(row[i] - rows[(y - 1) * stride + i]);
                }
                deflate.Write(line);
            }
        }
        using var output = new MemoryStream();
        output.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = bitDepth;
        header[9] = colorType;
        header[10] = header[11] = header[12] = 0;
        WriteChunk(output, "IHDR", header);
        WriteChunk(output, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)body.Length);
        output.Write(word);
        var typeAndBody = new byte[4 + body.Length];
        Encoding.ASCII.GetBytes(type, typeAndBody);
        body.CopyTo(typeAndBody.AsSpan(4));
        output.Write(typeAndBody);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Compute(typeAndBody));
        output.Write(word);
    }

    private static byte[] Unfilter(byte[] raw, int height, int stride, int bpp)
    {
        var output = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            byte filter = raw[y * (stride + 1)];
            var line = raw.AsSpan(y * (stride + 1) + 1, stride);
            var current = output.AsSpan(y * stride, stride);
            var previous = y > 0 ? output.AsSpan((y - 1) * stride, stride) : Span<byte>.Empty;
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? current[i - bpp] : 0;
                int b = y > 0 ? previous[i] : 0;
                int c = y > 0 && i >= bpp ? previous[i - bpp] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new ImageFormatException($"PNG row {y} has unknown filter type {filter}"),
                };
                current[i] = (byte)(line[i] + predictor);
            }
        }
        return output;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
