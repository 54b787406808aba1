using System.Buffers.Binary;
using System.Text;

namespace Mosaic.Ros.Mcap;

/// <summary>
/// Reads the little-endian fields of one MCAP record body. Every read is bounds-checked and throws
/// <see cref="FormatException"/> with the field's position inside the body; callers add the file context.
/// </summary>
internal ref struct McapFields
{
    private readonly ReadOnlySpan<byte> _body;
    private int _position;

    public McapFields(ReadOnlySpan<byte> body)
    {
        _body = body;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _body.Length - _position;

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public string String() => Encoding.UTF8.GetString(Take(LengthU32()));

    public ReadOnlySpan<byte> BytesU32() => Take(LengthU32());

    public ReadOnlySpan<byte> BytesU64()
    {
        ulong length = U64();
        if (length > (ulong)Remaining)
        {
            throw new FormatException($"byte field of {length} bytes exceeds the {Remaining} left in the record");
        }
        return Take((int)length);
    }

    public ReadOnlySpan<byte> Rest() => Take(Remaining);

    public Dictionary<string, string> StringMap()
    {
        var inner = new McapFields(Take(LengthU32()));
        var map = new Dictionary<string, string>();
        while (inner.Remaining > 0)
        {
            string key = inner.String();
            map[key] = inner.String();
        }
        return map;
    }

    public Dictionary<ushort, ulong> U16U64Map()
    {
        var inner = new McapFields(Take(LengthU32()));
        var map = new Dictionary<ushort, ulong>();
        while (inner.Remaining > 0)
        {
            ushort key = inner.U16();
            map[key] = inner.U64();
        }
        return map;
    }

    private int LengthU32()
    {
        uint length = U32();
        if (length > (uint)Remaining)
        {
            throw new FormatException($"length prefix {length} exceeds the {Remaining} bytes left in the record (field at {_position - 4})");
        }
        return (int)length;
    }

    private ReadOnlySpan<byte> Take(int size)
    {
        if (size > Remaining)
        {
            throw new FormatException($"record body ends at {_body.Length} bytes; needs {size} more at {_position}");
        }
        var slice = _body.Slice(_position, size);
        _position += size;
        return slice;
    }
}
