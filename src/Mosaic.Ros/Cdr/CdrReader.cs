using System.Buffers.Binary;
using System.Text;

namespace Mosaic.Ros.Cdr;

/// <summary>
/// Reads a ROS 2 serialized message: the 4-byte encapsulation header, then plain XCDR1 CDR in the
/// header's byte order. Every read is bounds-checked; a length or count that cannot fit in the rest
/// of the buffer throws <see cref="CdrException"/> before anything is allocated.
/// </summary>
/// <remarks>Alignment is relative to the byte after the encapsulation header, as ROS 2 writes it.</remarks>
public ref struct CdrReader
{
    private const int HeaderSize = 4;
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Starts reading <paramref name="message"/>, which must begin with the encapsulation header.</summary>
    public CdrReader(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderSize)
        {
            throw new CdrException($"message is {message.Length} bytes, shorter than the 4-byte encapsulation header", 0);
        }
        if (message[0] != 0 || message[1] > 1)
        {
            throw new CdrException($"unsupported encapsulation kind 0x{message[0]:X2}{message[1]:X2} (expected plain CDR 0x0000 or 0x0001)", 0);
        }
        IsLittleEndian = message[1] == 1;
        _data = message[HeaderSize..];
        _position = 0;
    }

    /// <summary>Whether the buffer is little endian (encapsulation 0x0001).</summary>
    public bool IsLittleEndian { get; }

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Current position from the start of the message (header included), for error messages.</summary>
    public readonly int Offset => _position + HeaderSize;

    /// <summary>Reads a uint8.</summary>
    public byte ReadByte() => Take(1, 1)[0];

    /// <summary>Reads an int8.</summary>
    public sbyte ReadSByte() => (sbyte)Take(1, 1)[0];

    /// <summary>Reads a bool (any non-zero byte is true).</summary>
    public bool ReadBool() => Take(1, 1)[0] != 0;

    /// <summary>Reads an int16.</summary>
    public short ReadInt16()
    {
        var s = Take(2, 2);
        return IsLittleEndian ? BinaryPrimitives.ReadInt16LittleEndian(s) : BinaryPrimitives.ReadInt16BigEndian(s);
    }

    /// <summary>Reads a uint16.</summary>
    public ushort ReadUInt16()
    {
        var s = Take(2, 2);
        return IsLittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
    }

    /// <summary>Reads an int32.</summary>
    public int ReadInt32()
    {
        var s = Take(4, 4);
        return IsLittleEndian ? BinaryPrimitives.ReadInt32LittleEndian(s) : BinaryPrimitives.ReadInt32BigEndian(s);
    }

    /// <summary>Reads a uint32.</summary>
    public uint ReadUInt32()
    {
        var s = Take(4, 4);
        return IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
    }

    /// <summary>Reads an int64.</summary>
    public long ReadInt64()
    {
        var s = Take(8, 8);
        return IsLittleEndian ? BinaryPrimitives.ReadInt64LittleEndian(s) : BinaryPrimitives.ReadInt64BigEndian(s);
    }

    /// <summary>Reads a uint64.</summary>
    public ulong ReadUInt64()
    {
        var s = Take(8, 8);
        return IsLittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(s) : BinaryPrimitives.ReadUInt64BigEndian(s);
    }

    /// <summary>Reads a float32.</summary>
    public float ReadSingle()
    {
        var s = Take(4, 4);
        return IsLittleEndian ? BinaryPrimitives.ReadSingleLittleEndian(s) : BinaryPrimitives.ReadSingleBigEndian(s);
    }

    /// <summary>Reads a float64.</summary>
    public double ReadDouble()
    {
        var s = Take(8, 8);
        return IsLittleEndian ? BinaryPrimitives.ReadDoubleLittleEndian(s) : BinaryPrimitives.ReadDoubleBigEndian(s);
    }

    /// <summary>Reads a string: uint32 length including the terminating NUL, the bytes, the NUL.</summary>
    public string ReadString()
    {
        int start = Offset;
        uint length = ReadUInt32();
        if (length == 0)
        {
            // Some writers emit 0 for an empty string; accept it like rosidl does.
            return string.Empty;
        }
        if (length > (uint)Remaining)
        {
            throw new CdrException($"string length {length} exceeds the {Remaining} bytes left", start);
        }
        var bytes = Take((int)length, 1);
        // The NUL is required by the format but tolerated when missing (rosbags-written data has it).
        int textLength = bytes[^1] == 0 ? bytes.Length - 1 : bytes.Length;
        return Encoding.UTF8.GetString(bytes[..textLength]);
    }

    /// <summary>
    /// Reads a wstring as ROS 2's Fast DDS and Cyclone DDS type support write it in XCDR1: uint32 count
    /// of UTF-16 code units (no terminator), then each unit in 4 bytes. A unit above 0xFFFF is taken
    /// as a whole code point, which a writer storing UTF-32 would produce.
    /// </summary>
    public string ReadWString()
    {
        int count = ReadSequenceLength(4);
        var text = new StringBuilder(count);
        for (int i = 0; i < count; i++)
        {
            int at = Offset;
            uint unit = ReadUInt32();
            if (unit <= 0xFFFF)
            {
                text.Append((char)unit);
            }
            else if (unit <= 0x10FFFF && !(unit is >= 0xD800 and <= 0xDFFF))
            {
                text.Append(char.ConvertFromUtf32((int)unit));
            }
            else
            {
                throw new CdrException($"wstring character 0x{unit:X} is not a Unicode code point", at);
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// Reads a sequence length and checks that <paramref name="minElementSize"/> bytes per element
    /// can still be present, so a corrupt count never turns into a huge allocation.
    /// </summary>
    public int ReadSequenceLength(int minElementSize)
    {
        int start = Offset;
        uint count = ReadUInt32();
        if (minElementSize > 0 && count > (uint)(Remaining / minElementSize))
        {
            throw new CdrException($"sequence of {count} elements of at least {minElementSize} bytes exceeds the {Remaining} bytes left", start);
        }
        if (count > int.MaxValue)
        {
            throw new CdrException($"sequence of {count} elements is too long", start);
        }
        return (int)count;
    }

    /// <summary>Reads a uint8[] sequence (for example image data) as a copy.</summary>
    public byte[] ReadByteSequence()
    {
        int count = ReadSequenceLength(1);
        return Take(count, 1).ToArray();
    }

    /// <summary>Reads a float64[] sequence.</summary>
    public double[] ReadDoubleSequence()
    {
        int count = ReadSequenceLength(8);
        return ReadDoubleArray(count);
    }

    /// <summary>Reads a fixed-size float64 array (no length prefix).</summary>
    public double[] ReadDoubleArray(int count)
    {
        var result = new double[count];
        if (count == 0)
        {
            return result;
        }
        Align(8);
        if (count > Remaining / 8)
        {
            throw new CdrException($"float64[{count}] needs {count * 8} bytes but {Remaining} are left", Offset);
        }
        for (int i = 0; i < count; i++)
        {
            result[i] = ReadDouble();
        }
        return result;
    }

    /// <summary>Skips padding up to a multiple of <paramref name="alignment"/>.</summary>
    public void Align(int alignment)
    {
        int padded = (_position + alignment - 1) / alignment * alignment;
        if (padded > _data.Length)
        {
            throw new CdrException($"buffer ends inside alignment padding", Offset);
        }
        _position = padded;
    }

    /// <summary>Returns the next <paramref name="size"/> bytes after aligning to <paramref name="alignment"/>.</summary>
    public ReadOnlySpan<byte> Take(int size, int alignment)
    {
        if (alignment > 1)
        {
            Align(alignment);
        }
        if (size > Remaining)
        {
            throw new CdrException($"needs {size} more bytes but the buffer has {Remaining} left", Offset);
        }
        var slice = _data.Slice(_position, size);
        _position += size;
        return slice;
    }
}
