using Mosaic.Ros.Cdr;

namespace Mosaic.Ros.Messages;

/// <summary>A ROS 2 message (or nested type) that can write itself as CDR.</summary>
public interface IRosMessage
{
    /// <summary>Writes the fields (no encapsulation header) to <paramref name="writer"/>.</summary>
    void Write(CdrWriter writer);
}

/// <summary>A ROS 2 message type with its definition and a CDR reader.</summary>
public interface IRosMessage<TSelf> : IRosMessage where TSelf : IRosMessage<TSelf>
{
    /// <summary>The type's name, definition text and the definitions it depends on.</summary>
    static abstract MessageDefinition Definition { get; }

    /// <summary>Reads the fields (the encapsulation header already consumed) from <paramref name="reader"/>.</summary>
    static abstract TSelf Read(ref CdrReader reader);
}

/// <summary>Whole-message (de)serialization: encapsulation header plus fields.</summary>
public static class RosSerializer
{
    /// <summary>Serializes <paramref name="message"/> as little-endian CDR, header included.</summary>
    public static byte[] Serialize(IRosMessage message, bool littleEndian = true)
    {
        var writer = new CdrWriter(littleEndian);
        message.Write(writer);
        return writer.ToArray();
    }

    /// <summary>Deserializes a whole message; throws <see cref="CdrException"/> on a malformed buffer.</summary>
    public static T Deserialize<T>(ReadOnlySpan<byte> data) where T : IRosMessage<T>
    {
        var reader = new CdrReader(data);
        return T.Read(ref reader);
    }
}

/// <summary>Sequences of nested message types (<c>Type[] name</c>): uint32 count, then each element.</summary>
internal static class MessageSequence
{
    /// <summary>
    /// Reads a sequence of <typeparamref name="T"/>; <paramref name="minElementSize"/> is the fewest bytes
    /// one element takes, so a corrupt count fails before anything is allocated.
    /// </summary>
    public static T[] Read<T>(ref CdrReader reader, int minElementSize) where T : IRosMessage<T>
    {
        var items = new T[reader.ReadSequenceLength(minElementSize)];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = T.Read(ref reader);
        }
        return items;
    }

    /// <summary>Writes <paramref name="items"/> as a sequence.</summary>
    public static void Write<T>(CdrWriter writer, IReadOnlyList<T> items) where T : IRosMessage
    {
        writer.WriteSequenceLength(items.Count);
        foreach (var item in items)
        {
            item.Write(writer);
        }
    }
}
