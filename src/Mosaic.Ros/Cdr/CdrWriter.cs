using System.Buffers.Binary;
using System.Text;

namespace Mosaic.Ros.Cdr;

/// <summary>
/// Writes a ROS 2 serialized message: encapsulation header, then XCDR1 CDR with the same
/// alignment rules <see cref="CdrReader"/> reads.
/// </summary>
public sealed class CdrWriter
{
    private const int HeaderSize = 4;
    private byte[] _buffer;
    private int _length;

    /// <summary>Starts a message in the given byte order (ROS 2 writes little endian).</summary>
    public CdrWriter(bool littleEndian = true, int initialCapacity = 256)
    {
        IsLittleEndian = littleEndian;
        _buffer = new byte[Math.Max(initialCapacity, 16)];
        _buffer[0] = 0;
        _buffer[1] = littleEndian ? (byte)1 : (byte)0;
        _length = HeaderSize;
    }

    /// <summary>Whether the output is little endian.</summary>
    public bool IsLittleEndian { get; }

    /// <summary>The serialized message so far, encapsulation header included.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>A copy of the serialized message.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Writes a uint8.</summary>
    public void WriteByte(byte value) => Reserve(1, 1)[0] = value;

    /// <summary>Writes an int8.</summary>
    public void WriteSByte(sbyte value) => Reserve(1, 1)[0] = (byte)value;

    /// <summary>Writes a bool as one byte.</summary>
    public void WriteBool(bool value) => Reserve(1, 1)[0] = value ? (byte)1 : (byte)0;

    /// <summary>Writes an int16.</summary>
    public void WriteInt16(short value)
    {
        var s = Reserve(2, 2);
        if (IsLittleEndian) BinaryPrimitives.WriteInt16LittleEndian(s, value); else BinaryPrimitives.WriteInt16BigEndian(s, value);
    }

    /// <summary>Writes a uint16.</summary>
    public void WriteUInt16(ushort value)
    {
        var s = Reserve(2, 2);
        if (IsLittleEndian) BinaryPrimitives.WriteUInt16LittleEndian(s, value); else BinaryPrimitives.WriteUInt16BigEndian(s, value);
    }

    /// <summary>Writes an int32.</summary>
    public void WriteInt32(int value)
    {
        var s = Reserve(4, 4);
        if (IsLittleEndian) BinaryPrimitives.WriteInt32LittleEndian(s, value); else BinaryPrimitives.WriteInt32BigEndian(s, value);
    }

    /// <summary>Writes a uint32.</summary>
    public void WriteUInt32(uint value)
    {
        var s = Reserve(4, 4);
        if (IsLittleEndian) BinaryPrimitives.WriteUInt32LittleEndian(s, value); else BinaryPrimitives.WriteUInt32BigEndian(s, value);
    }

    /// <summary>Writes an int64.</summary>
    public void WriteInt64(long value)
    {
        var s = Reserve(8, 8);
        if (IsLittleEndian) BinaryPrimitives.WriteInt64LittleEndian(s, value); else BinaryPrimitives.WriteInt64BigEndian(s, value);
    }

    /// <summary>Writes a uint64.</summary>
    public void WriteUInt64(ulong value)
    {
        var s = Reserve(8, 8);
        if (IsLittleEndian) BinaryPrimitives.WriteUInt64LittleEndian(s, value); else BinaryPrimitives.WriteUInt64BigEndian(s, value);
    }

    /// <summary>Writes a float32.</summary>
    public void WriteSingle(float value)
    {
        var s = Reserve(4, 4);
        if (IsLittleEndian) BinaryPrimitives.WriteSingleLittleEndian(s, value); else BinaryPrimitives.WriteSingleBigEndian(s, value);
    }

    /// <summary>Writes a float64.</summary>
    public void WriteDouble(double value)
    {
        var s = Reserve(8, 8);
        if (IsLittleEndian) BinaryPrimitives.WriteDoubleLittleEndian(s, value); else BinaryPrimitives.WriteDoubleBigEndian(s, value);
    }

    /// <summary>Writes a string with its NUL terminator, length prefix counting the NUL.</summary>
    public void WriteString(string value)
    {
        int byteCount = Encoding.UTF8.GetByteCount(value);
        WriteUInt32((uint)(byteCount + 1));
        var s = Reserve(byteCount + 1, 1);
        Encoding.UTF8.GetBytes(value, s);
        s[byteCount] = 0;
    }

    /// <summary>
    /// Writes a wstring as ROS 2's Fast DDS and Cyclone DDS type support do in XCDR1: uint32 count of
    /// UTF-16 code units (no terminator), then each code unit widened to 4 bytes (a Linux wchar_t).
    /// </summary>
    public void WriteWString(string value)
    {
        WriteUInt32((uint)value.Length);
        foreach (char c in value)
        {
            WriteUInt32(c);
        }
    }

    /// <summary>Writes a sequence length prefix.</summary>
    public void WriteSequenceLength(int count) => WriteUInt32((uint)count);

    /// <summary>Writes a uint8[] sequence.</summary>
    public void WriteByteSequence(ReadOnlySpan<byte> bytes)
    {
        WriteSequenceLength(bytes.Length);
        bytes.CopyTo(Reserve(bytes.Length, 1));
    }

    /// <summary>Writes a float64[] sequence.</summary>
    public void WriteDoubleSequence(ReadOnlySpan<double> values)
    {
        WriteSequenceLength(values.Length);
        WriteDoubleArray(values);
    }

    /// <summary>Writes a fixed-size float64 array (no length prefix).</summary>
    public void WriteDoubleArray(ReadOnlySpan<double> values)
    {
        foreach (double v in values)
        {
            WriteDouble(v);
        }
    }

    private Span<byte> Reserve(int size, int alignment)
    {
        int body = _length - HeaderSize;
        int padding = alignment > 1 ? (alignment - body % alignment) % alignment : 0;
        int needed = _length + padding + size;
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
        _buffer.AsSpan(_length, padding).Clear();
        _length += padding;
        var slice = _buffer.AsSpan(_length, size);
        _length += size;
        return slice;
    }
}
