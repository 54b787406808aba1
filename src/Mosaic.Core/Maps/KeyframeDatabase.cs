using System.Buffers.Binary;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;

namespace Mosaic.Core.Maps;

/// <summary>A retrieval keyframe: when and where the camera was, and the global descriptor of the view.</summary>
/// <param name="Stamp">Image stamp, nanoseconds since the epoch.</param>
/// <param name="MapFromCamera">T_map_cam of the (optical) camera.</param>
/// <param name="Descriptor">Global descriptor of the label image rendered from the map at this pose.</param>
public sealed record Keyframe(long Stamp, Se3 MapFromCamera, float[] Descriptor);

/// <summary>
/// The retrieval database of a map (DESIGN.md §5, <c>keyframes.bin</c>): keyframe poses and global
/// descriptors computed from label images rendered from the map itself, so it holds nothing the map
/// does not. Also records the camera those images were rendered with.
/// </summary>
/// <remarks>
/// File layout, little endian: magic "MOSAICKF", uint32 version (1), int32 keyframe count, int32
/// descriptor length, int32 width, int32 height, float64 fx fy cx cy; then per keyframe int64 stamp,
/// float64 qw qx qy qz tx ty tz, float32 × descriptor length.
/// </remarks>
public sealed class KeyframeDatabase
{
    /// <summary>Name of the file in a map directory.</summary>
    public const string FileName = "keyframes.bin";

    private static ReadOnlySpan<byte> Magic => "MOSAICKF"u8;
    private const uint Version = 1;
    private const int HeaderBytes = 8 + 4 + 4 + 4 + 4 + 4 + 4 * 8;

    /// <summary>The camera the descriptors' label images were rendered with.</summary>
    public PinholeCamera Camera { get; }

    /// <summary>Length of every descriptor.</summary>
    public int DescriptorLength { get; }

    /// <summary>The keyframes in stamp order.</summary>
    public IReadOnlyList<Keyframe> Keyframes { get; }

    /// <summary>Creates a database; every descriptor must have <paramref name="descriptorLength"/> finite values.</summary>
    public KeyframeDatabase(PinholeCamera camera, int descriptorLength, IReadOnlyList<Keyframe> keyframes)
    {
        if (descriptorLength < 1)
            throw new ArgumentOutOfRangeException(nameof(descriptorLength), "descriptors need at least one value");
        for (int i = 0; i < keyframes.Count; i++)
        {
            if (keyframes[i].Descriptor.Length != descriptorLength)
                throw new ArgumentException($"keyframe {i}: descriptor has {keyframes[i].Descriptor.Length} values, expected {descriptorLength}");
        }
        (Camera, DescriptorLength, Keyframes) = (camera, descriptorLength, keyframes);
    }

    /// <summary>Writes the database in the layout above.</summary>
    public void Write(Stream stream)
    {
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), Keyframes.Count);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), DescriptorLength);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(20), Camera.Width);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(24), Camera.Height);
        double[] intrinsics = [Camera.Fx, Camera.Fy, Camera.Cx, Camera.Cy];
        for (int i = 0; i < 4; i++)
            BinaryPrimitives.WriteDoubleLittleEndian(header.AsSpan(28 + 8 * i), intrinsics[i]);
        stream.Write(header);
        var record = new byte[RecordBytes(DescriptorLength)];
        foreach (var keyframe in Keyframes)
        {
            var q = keyframe.MapFromCamera.Rotation.ToQuaternion();
            var t = keyframe.MapFromCamera.Translation;
            BinaryPrimitives.WriteInt64LittleEndian(record, keyframe.Stamp);
            double[] pose = [q.W, q.X, q.Y, q.Z, t.X, t.Y, t.Z];
            for (int i = 0; i < 7; i++)
                BinaryPrimitives.WriteDoubleLittleEndian(record.AsSpan(8 + 8 * i), pose[i]);
            for (int i = 0; i < DescriptorLength; i++)
                BinaryPrimitives.WriteSingleLittleEndian(record.AsSpan(64 + 4 * i), keyframe.Descriptor[i]);
            stream.Write(record);
        }
    }

    /// <summary>Reads and validates a database; <paramref name="fileName"/> names the file in errors.</summary>
    /// <exception cref="MapFormatException">Wrong magic or version, truncated, trailing data, bad values.</exception>
    public static KeyframeDatabase Read(Stream stream, string fileName)
    {
        var header = new byte[HeaderBytes];
        if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
            throw new MapFormatException(fileName, $"truncated: shorter than the {HeaderBytes}-byte header");
        if (!header.AsSpan(0, 8).SequenceEqual(Magic))
            throw new MapFormatException(fileName, "wrong magic: not a Mosaic keyframe database");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        if (version != Version)
            throw new MapFormatException(fileName, $"version {version} is not supported (this build reads version {Version})");
        int count = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        int length = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(16));
        int width = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(20));
        int height = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(24));
        if (count < 0 || length < 1 || length > 1 << 20)
            throw new MapFormatException(fileName, $"header: {count} keyframes of descriptor length {length} is out of range");
        PinholeCamera camera;
        try
        {
            camera = new PinholeCamera(width, height,
                BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(28)), BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(36)),
                BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(44)), BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(52)));
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new MapFormatException(fileName, $"header: bad camera: {e.Message}");
        }
        var record = new byte[RecordBytes(length)];
        var keyframes = new List<Keyframe>(Math.Min(count, 1 << 16));
        Span<double> pose = stackalloc double[7];
        for (int k = 0; k < count; k++)
        {
            if (stream.ReadAtLeast(record, record.Length, throwOnEndOfStream: false) < record.Length)
                throw new MapFormatException(fileName, $"truncated: the header declares {count} keyframes but the data ends inside keyframe {k}");
            long stamp = BinaryPrimitives.ReadInt64LittleEndian(record);
            for (int i = 0; i < 7; i++)
            {
                pose[i] = BinaryPrimitives.ReadDoubleLittleEndian(record.AsSpan(8 + 8 * i));
                if (!double.IsFinite(pose[i]))
                    throw new MapFormatException(fileName, $"keyframe {k}: pose value {i} is not finite");
            }
            var q = new Quaterniond(pose[0], pose[1], pose[2], pose[3]);
            if (q.Norm < 1e-6)
                throw new MapFormatException(fileName, $"keyframe {k}: rotation quaternion is zero");
            var descriptor = new float[length];
            for (int i = 0; i < length; i++)
            {
                descriptor[i] = BinaryPrimitives.ReadSingleLittleEndian(record.AsSpan(64 + 4 * i));
                if (!float.IsFinite(descriptor[i]))
                    throw new MapFormatException(fileName, $"keyframe {k}: descriptor value {i} is not finite");
            }
            keyframes.Add(new Keyframe(stamp, Se3.FromQuaternion(q.Normalized(), new Vector3d(pose[4], pose[5], pose[6])), descriptor));
        }
        if (stream.ReadByte() >= 0)
            throw new MapFormatException(fileName, $"unexpected data after the {count} keyframes the header declares");
        return new KeyframeDatabase(camera, length, keyframes);
    }

    private static int RecordBytes(int descriptorLength) => 8 + 7 * 8 + 4 * descriptorLength;
}
