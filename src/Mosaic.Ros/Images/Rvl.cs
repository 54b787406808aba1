using System.Buffers.Binary;

namespace Mosaic.Ros.Images;

/// <summary>
/// RVL depth coding (Wilson 2017) as compressed_depth_image_transport writes it: u32 width, u32
/// height, then 4-bit variable-length codes packed in little-endian 32-bit words, alternating a run
/// of zeros and a run of non-zero values coded as zig-zag deltas from the previous non-zero value.
/// </summary>
public static class Rvl
{
    /// <summary>Decodes a buffer starting with the width and height header.</summary>
    public static (int Width, int Height, ushort[] Values) Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8)
        {
            throw new ImageFormatException("RVL data is shorter than its 8-byte size header");
        }
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(data);
        uint height = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (width == 0 || height == 0 || width > Png.MaxDimension || height > Png.MaxDimension)
        {
            throw new ImageFormatException($"RVL size {width}x{height} is out of range");
        }
        var values = new ushort[width * height];
        var reader = new NibbleReader(data[8..]);
        int index = 0;
        int previous = 0;
        while (index < values.Length)
        {
            int zeros = reader.ReadVle();
            if (zeros > values.Length - index)
            {
                throw new ImageFormatException("RVL zero run runs past the end of the image");
            }
            index += zeros;
            if (index == values.Length) break;
            int nonZeros = reader.ReadVle();
            if (nonZeros > values.Length - index)
            {
                throw new ImageFormatException("RVL value run runs past the end of the image");
            }
            for (int i = 0; i < nonZeros; i++)
            {
                int positive = reader.ReadVle();
                int delta = (positive >> 1) ^ -(positive & 1);
                previous += delta;
                values[index++] = (ushort)previous;
            }
        }
        return ((int)width, (int)height, values);
    }

    /// <summary>Encodes values with the same header and layout <see cref="Decode"/> reads.</summary>
    public static byte[] Encode(int width, int height, ReadOnlySpan<ushort> values)
    {
        var writer = new NibbleWriter();
        int previous = 0;
        int i = 0;
        while (i < values.Length)
        {
            int zeros = 0;
            while (i < values.Length && values[i] == 0) { zeros++; i++; }
            writer.WriteVle(zeros);
            if (i == values.Length) break;
            int start = i;
            while (i < values.Length && values[i] != 0) i++;
            writer.WriteVle(i - start);
            for (int j = start; j < i; j++)
            {
                int delta = values[j] - previous;
                writer.WriteVle((delta << 1) ^ (delta >> 31));
                previous = values[j];
            }
        }
        var body = writer.Finish();
        var output = new byte[8 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(output, (uint)width);
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(4), (uint)height);
        body.CopyTo(output, 8);
        return output;
    }

    private ref struct NibbleReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;
        private uint _word;
        private int _nibblesLeft;

        public int ReadVle()
        {
            int value = 0, shift = 0;
            while (true)
            {
                if (_nibblesLeft == 0)
                {
                    if (_data.Length - _position < 4)
                    {
                        throw new ImageFormatException("RVL data ends before the image is complete");
                    }
                    _word = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
                    _position += 4;
                    _nibblesLeft = 8;
                }
                uint nibble = _word >> 28;
                _word <<= 4;
                _nibblesLeft--;
                value |= (int)(nibble & 7) << shift;
                shift += 3;
                if ((nibble & 8) == 0) return value;
                if (shift > 30) throw new ImageFormatException("RVL code longer than 32 bits (damaged data)");
            }
        }
    }

    private sealed class NibbleWriter
    {
        private readonly List<byte> _bytes = new();
        private uint _word;
        private int _nibbles;

        public void WriteVle(int value)
        {
            uint v = (uint)value;
            do
            {
                uint nibble = v & 7;
                v >>= 3;
                if (v != 0) nibble |= 8;
                _word = _word << 4 | nibble;
                if (++_nibbles == 8) Flush();
            } while (v != 0);
        }

        public byte[] Finish()
        {
            if (_nibbles > 0)
            {
                _word <<= 4 * (8 - _nibbles);
                Flush();
            }
            return _bytes.ToArray();
        }

        private void Flush()
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, _word);
            _bytes.AddRange(b.ToArray());
            _word = 0;
            _nibbles = 0;
        }
    }
}
