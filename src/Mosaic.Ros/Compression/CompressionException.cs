namespace Mosaic.Ros.Compression;

/// <summary>Compressed data could not be decoded (damaged frame, wrong declared size).</summary>
public sealed class CompressionException : IOException
{
    /// <summary>Creates the exception.</summary>
    public CompressionException(string message) : base(message)
    {
    }
}
