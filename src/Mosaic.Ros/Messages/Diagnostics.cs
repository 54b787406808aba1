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
        var values = MessageSequence.Read<KeyValue>(ref reader, 8);
        return new DiagnosticStatus(level, name, message, hardwareId, values);
    }

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        writer.WriteByte(Level);
        writer.WriteString(Name);
        writer.WriteString(Message);
        writer.WriteString(HardwareId);
        MessageSequence.Write(writer, Values);
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
        return new DiagnosticArray(header, MessageSequence.Read<DiagnosticStatus>(ref reader, 20));
    }

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        MessageSequence.Write(writer, Status);
    }
}
