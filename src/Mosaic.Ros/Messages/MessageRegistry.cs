using Mosaic.Ros.Cdr;

namespace Mosaic.Ros.Messages;

/// <summary>The message types Mosaic decodes, looked up by type name (<c>pkg/msg/Type</c> or <c>pkg/Type</c>).</summary>
public static class MessageRegistry
{
    private delegate object Decoder(ReadOnlySpan<byte> data);

    private static readonly Dictionary<string, (MessageDefinition Definition, Decoder Decode)> Types = new();

    static MessageRegistry()
    {
        Add<RosTime>();
        Add<Header>();
        Add<StringMessage>();
        Add<Clock>();
        Add<Image>();
        Add<CompressedImage>();
        Add<CameraInfo>();
        Add<PointField>();
        Add<PointCloud2>();
        Add<Odometry>();
        Add<NavPath>();
        Add<PoseStamped>();
        Add<PoseWithCovarianceStamped>();
        Add<TransformStamped>();
        Add<TFMessage>();
        Add<DiagnosticArray>();
    }

    /// <summary>Whether <paramref name="typeName"/> has a typed decoder.</summary>
    public static bool IsKnown(string typeName) => Types.ContainsKey(MessageDefinition.NormalizeName(typeName));

    /// <summary>The definition of a known type, or null.</summary>
    public static MessageDefinition? FindDefinition(string typeName) =>
        Types.TryGetValue(MessageDefinition.NormalizeName(typeName), out var entry) ? entry.Definition : null;

    /// <summary>
    /// Decodes a serialized message of <paramref name="typeName"/> into its record. Throws
    /// <see cref="NotSupportedException"/> for unknown types and <see cref="CdrException"/> for bad data.
    /// </summary>
    public static object Decode(string typeName, ReadOnlySpan<byte> data)
    {
        if (!Types.TryGetValue(MessageDefinition.NormalizeName(typeName), out var entry))
        {
            throw new NotSupportedException($"no decoder for message type '{typeName}'");
        }
        return entry.Decode(data);
    }

    private static void Add<T>() where T : IRosMessage<T> =>
        Types[T.Definition.Name] = (T.Definition, data => RosSerializer.Deserialize<T>(data));
}
