using Mosaic.Ros.Cdr;

namespace Mosaic.Ros.Messages;

/// <summary>builtin_interfaces/msg/Time: seconds and nanoseconds since the epoch (or since start in sim time).</summary>
public readonly record struct RosTime(int Sec, uint Nanosec) : IRosMessage<RosTime>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("builtin_interfaces/msg/Time", "int32 sec\nuint32 nanosec\n");

    /// <summary>The time as nanoseconds.</summary>
    public long Nanoseconds => Sec * 1_000_000_000L + Nanosec;

    /// <summary>The time as seconds.</summary>
    public double Seconds => Sec + Nanosec * 1e-9;

    /// <summary>Splits a nanosecond count into seconds and a non-negative nanosecond part.</summary>
    public static RosTime FromNanoseconds(long nanoseconds)
    {
        long sec = Math.DivRem(nanoseconds, 1_000_000_000L, out long rem);
        if (rem < 0)
        {
            sec -= 1;
            rem += 1_000_000_000L;
        }
        return new RosTime(checked((int)sec), (uint)rem);
    }

    /// <inheritdoc/>
    public static RosTime Read(ref CdrReader reader) => new(reader.ReadInt32(), reader.ReadUInt32());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        writer.WriteInt32(Sec);
        writer.WriteUInt32(Nanosec);
    }
}

/// <summary>std_msgs/msg/Header: stamp and coordinate frame.</summary>
public sealed record Header(RosTime Stamp, string FrameId) : IRosMessage<Header>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } =
        new("std_msgs/msg/Header", "builtin_interfaces/Time stamp\nstring frame_id\n", RosTime.Definition);

    /// <inheritdoc/>
    public static Header Read(ref CdrReader reader) => new(RosTime.Read(ref reader), reader.ReadString());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Stamp.Write(writer);
        writer.WriteString(FrameId);
    }
}

/// <summary>std_msgs/msg/String.</summary>
public sealed record StringMessage(string Data) : IRosMessage<StringMessage>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("std_msgs/msg/String", "string data\n");

    /// <inheritdoc/>
    public static StringMessage Read(ref CdrReader reader) => new(reader.ReadString());

    /// <inheritdoc/>
    public void Write(CdrWriter writer) => writer.WriteString(Data);
}

/// <summary>rosgraph_msgs/msg/Clock: simulated time on /clock (what <c>ros2 bag play --clock</c> publishes).</summary>
public readonly record struct Clock(RosTime Time) : IRosMessage<Clock>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("rosgraph_msgs/msg/Clock", "builtin_interfaces/Time clock\n", RosTime.Definition);

    /// <inheritdoc/>
    public static Clock Read(ref CdrReader reader) => new(RosTime.Read(ref reader));

    /// <inheritdoc/>
    public void Write(CdrWriter writer) => Time.Write(writer);
}
