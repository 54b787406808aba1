using Mosaic.Ros.Cdr;

namespace Mosaic.Ros.Messages;

/// <summary>diagnostic_msgs/msg/KeyValue.</summary>
public sealed record KeyValue(string Key, string Value) : IRosMessage<KeyValue>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("diagnostic_msgs/msg/KeyValue", "string key\nstring value\n");

    /// <inheritdoc/>
    public static KeyValue Read(ref CdrReader reader) => new(reader.ReadString(), reader.ReadString());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        writer.WriteString(Key);
        writer.WriteString(Value);
    }
}

/// <summary>diagnostic_msgs/msg/DiagnosticStatus; <see cref="Level"/> is OK=0, WARN=1, ERROR=2, STALE=3.</summary>
public sealed record DiagnosticStatus(byte Level, string Name, string Message, string HardwareId, IReadOnlyList<KeyValue> Values)
    : IRosMessage<DiagnosticStatus>
{
    /// <summary>Level: everything is fine.</summary>
    public const byte Ok = 0;
    /// <summary>Level: degraded.</summary>
    public const byte Warn = 1;
    /// <summary>Level: failing.</summary>
    public const byte Error = 2;
    /// <summary>Level: no recent data.</summary>
    public const byte Stale = 3;

    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("diagnostic_msgs/msg/DiagnosticStatus",
        "byte OK=0\nbyte WARN=1\nbyte ERROR=2\nbyte STALE=3\nbyte level\nstring name\nstring message\nstring hardware_id\nKeyValue[] values\n",
        KeyValue.Definition);

    /// <inheritdoc/>
    public static DiagnosticStatus Read(ref CdrReader reader)
    {
        byte level = reader.ReadByte();
        string name = reader.ReadString();
        string message = reader.ReadString();
        string hardwareId = reader.ReadString();
        int count = reader.ReadSequenceLength(8);
        var values = new KeyValue[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = KeyValue.Read(ref reader);
        }
        return new DiagnosticStatus(level, name, message, hardwareId, values);
    }

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        writer.WriteByte(Level);
        writer.WriteString(Name);
        writer.WriteString(Message);
        writer.WriteString(HardwareId);
        writer.WriteSequenceLength(Values.Count);
        foreach (var value in Values)
        {
            value.Write(writer);
        }
    }
}

/// <summary>diagnostic_msgs/msg/DiagnosticArray: what /diagnostics carries.</summary>
public sealed record DiagnosticArray(Header Header, IReadOnlyList<DiagnosticStatus> Status) : IRosMessage<DiagnosticArray>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("diagnostic_msgs/msg/DiagnosticArray",
        "std_msgs/Header header\nDiagnosticStatus[] status\n", Header.Definition, DiagnosticStatus.Definition);

    /// <inheritdoc/>
    public static DiagnosticArray Read(ref CdrReader reader)
    {
        var header = Header.Read(ref reader);
        int count = reader.ReadSequenceLength(20);
        var status = new DiagnosticStatus[count];
        for (int i = 0; i < count; i++)
        {
            status[i] = DiagnosticStatus.Read(ref reader);
        }
        return new DiagnosticArray(header, status);
    }

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        writer.WriteSequenceLength(Status.Count);
        foreach (var status in Status)
        {
            status.Write(writer);
        }
    }
}
