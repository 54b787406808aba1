using Mosaic.Ros.Cdr;

namespace Mosaic.Ros.Messages;

/// <summary>sensor_msgs/msg/Image: raw pixels, <see cref="Step"/> bytes per row.</summary>
public sealed record Image(Header Header, uint Height, uint Width, string Encoding, bool IsBigEndian, uint Step, byte[] Data)
    : IRosMessage<Image>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("sensor_msgs/msg/Image",
        "std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data\n",
        Header.Definition);

    /// <inheritdoc/>
    public static Image Read(ref CdrReader reader) => new(Header.Read(ref reader), reader.ReadUInt32(), reader.ReadUInt32(),
        reader.ReadString(), reader.ReadByte() != 0, reader.ReadUInt32(), reader.ReadByteSequence());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        writer.WriteUInt32(Height);
        writer.WriteUInt32(Width);
        writer.WriteString(Encoding);
        writer.WriteByte(IsBigEndian ? (byte)1 : (byte)0);
        writer.WriteUInt32(Step);
        writer.WriteByteSequence(Data);
    }
}

/// <summary>sensor_msgs/msg/CompressedImage: <see cref="Format"/> is e.g. "jpeg", "png" or "16UC1; compressedDepth png".</summary>
public sealed record CompressedImage(Header Header, string Format, byte[] Data) : IRosMessage<CompressedImage>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("sensor_msgs/msg/CompressedImage",
        "std_msgs/Header header\nstring format\nuint8[] data\n", Header.Definition);

    /// <inheritdoc/>
    public static CompressedImage Read(ref CdrReader reader) => new(Header.Read(ref reader), reader.ReadString(), reader.ReadByteSequence());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        writer.WriteString(Format);
        writer.WriteByteSequence(Data);
    }
}

/// <summary>sensor_msgs/msg/RegionOfInterest.</summary>
public readonly record struct RegionOfInterest(uint XOffset, uint YOffset, uint Height, uint Width, bool DoRectify)
    : IRosMessage<RegionOfInterest>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("sensor_msgs/msg/RegionOfInterest",
        "uint32 x_offset\nuint32 y_offset\nuint32 height\nuint32 width\nbool do_rectify\n");

    /// <inheritdoc/>
    public static RegionOfInterest Read(ref CdrReader reader) =>
        new(reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadBool());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        writer.WriteUInt32(XOffset);
        writer.WriteUInt32(YOffset);
        writer.WriteUInt32(Height);
        writer.WriteUInt32(Width);
        writer.WriteBool(DoRectify);
    }
}

/// <summary>
/// sensor_msgs/msg/CameraInfo. ROS 2 names the matrices d, k, r, p; ROS 1 (and bags converted from
/// it) D, K, R, P. The CDR layout is the same, so one record reads both.
/// </summary>
public sealed record CameraInfo(
    Header Header, uint Height, uint Width, string DistortionModel,
    double[] D, double[] K, double[] R, double[] P,
    uint BinningX, uint BinningY, RegionOfInterest Roi) : IRosMessage<CameraInfo>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("sensor_msgs/msg/CameraInfo",
        "std_msgs/Header header\nuint32 height\nuint32 width\nstring distortion_model\nfloat64[] d\nfloat64[9] k\n" +
        "float64[9] r\nfloat64[12] p\nuint32 binning_x\nuint32 binning_y\nRegionOfInterest roi\n",
        Header.Definition, RegionOfInterest.Definition);

    /// <inheritdoc/>
    public static CameraInfo Read(ref CdrReader reader) => new(Header.Read(ref reader), reader.ReadUInt32(), reader.ReadUInt32(),
        reader.ReadString(), reader.ReadDoubleSequence(), reader.ReadDoubleArray(9), reader.ReadDoubleArray(9),
        reader.ReadDoubleArray(12), reader.ReadUInt32(), reader.ReadUInt32(), RegionOfInterest.Read(ref reader));

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        writer.WriteUInt32(Height);
        writer.WriteUInt32(Width);
        writer.WriteString(DistortionModel);
        writer.WriteDoubleSequence(D);
        writer.WriteDoubleArray(PoseWithCovariance.FixedLength(K, 9));
        writer.WriteDoubleArray(PoseWithCovariance.FixedLength(R, 9));
        writer.WriteDoubleArray(PoseWithCovariance.FixedLength(P, 12));
        writer.WriteUInt32(BinningX);
        writer.WriteUInt32(BinningY);
        Roi.Write(writer);
    }
}

/// <summary>sensor_msgs/msg/PointField: one field of a <see cref="PointCloud2"/>'s points.</summary>
/// <param name="Name">Field name; viewers look for x, y, z, rgb, intensity, label.</param>
/// <param name="Offset">Byte offset of the field within a point.</param>
/// <param name="Datatype">One of the type constants (<see cref="Float32"/>, <see cref="UInt32"/>, ...).</param>
/// <param name="Count">Elements in the field (1 for a scalar).</param>
public sealed record PointField(string Name, uint Offset, byte Datatype, uint Count) : IRosMessage<PointField>
{
    /// <summary>Datatype of an 8-bit signed field.</summary>
    public const byte Int8 = 1;
    /// <summary>Datatype of an 8-bit unsigned field.</summary>
    public const byte UInt8 = 2;
    /// <summary>Datatype of a 16-bit signed field.</summary>
    public const byte Int16 = 3;
    /// <summary>Datatype of a 16-bit unsigned field.</summary>
    public const byte UInt16 = 4;
    /// <summary>Datatype of a 32-bit signed field.</summary>
    public const byte Int32 = 5;
    /// <summary>Datatype of a 32-bit unsigned field.</summary>
    public const byte UInt32 = 6;
    /// <summary>Datatype of a 32-bit float field.</summary>
    public const byte Float32 = 7;
    /// <summary>Datatype of a 64-bit float field.</summary>
    public const byte Float64 = 8;

    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("sensor_msgs/msg/PointField",
        "uint8 INT8    = 1\nuint8 UINT8   = 2\nuint8 INT16   = 3\nuint8 UINT16  = 4\nuint8 INT32   = 5\nuint8 UINT32  = 6\n" +
        "uint8 FLOAT32 = 7\nuint8 FLOAT64 = 8\nstring name\nuint32 offset\nuint8 datatype\nuint32 count\n");

    /// <inheritdoc/>
    public static PointField Read(ref CdrReader reader) => new(reader.ReadString(), reader.ReadUInt32(), reader.ReadByte(), reader.ReadUInt32());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        writer.WriteString(Name);
        writer.WriteUInt32(Offset);
        writer.WriteByte(Datatype);
        writer.WriteUInt32(Count);
    }
}

/// <summary>
/// sensor_msgs/msg/PointCloud2: <see cref="Height"/> rows of <see cref="Width"/> points, each
/// <see cref="PointStep"/> bytes laid out as <see cref="Fields"/> say.
/// </summary>
public sealed record PointCloud2(
    Header Header, uint Height, uint Width, IReadOnlyList<PointField> Fields, bool IsBigEndian,
    uint PointStep, uint RowStep, byte[] Data, bool IsDense) : IRosMessage<PointCloud2>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("sensor_msgs/msg/PointCloud2",
        "std_msgs/Header header\nuint32 height\nuint32 width\nPointField[] fields\nbool is_bigendian\nuint32 point_step\n" +
        "uint32 row_step\nuint8[] data\nbool is_dense\n",
        Header.Definition, PointField.Definition);

    /// <inheritdoc/>
    public static PointCloud2 Read(ref CdrReader reader) => new(Header.Read(ref reader), reader.ReadUInt32(), reader.ReadUInt32(),
        // A field is at least a name's length (4 bytes) and offset, datatype and count (9 more).
        MessageSequence.Read<PointField>(ref reader, 13), reader.ReadBool(), reader.ReadUInt32(), reader.ReadUInt32(),
        reader.ReadByteSequence(), reader.ReadBool());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        writer.WriteUInt32(Height);
        writer.WriteUInt32(Width);
        MessageSequence.Write(writer, Fields);
        writer.WriteBool(IsBigEndian);
        writer.WriteUInt32(PointStep);
        writer.WriteUInt32(RowStep);
        writer.WriteByteSequence(Data);
        writer.WriteBool(IsDense);
    }
}
