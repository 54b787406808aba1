namespace Mosaic.Ros.Cdr;

/// <summary>A CDR buffer is truncated or inconsistent. <see cref="Offset"/> is the byte position
/// (from the start of the message, encapsulation header included) where reading failed.</summary>
public sealed class CdrException : FormatException
{
    /// <summary>Byte offset from the start of the serialized message.</summary>
    public int Offset { get; }

    /// <summary>Creates the exception.</summary>
    public CdrException(string problem, int offset)
        : base($"CDR: {problem} (at byte {offset})")
    {
        Offset = offset;
    }
}
