namespace Mosaic.Ros.Mcap;

/// <summary>An MCAP file is damaged or uses something this reader does not support.</summary>
public sealed class McapFormatException : IOException
{
    /// <summary>Creates the exception; <paramref name="offset"/> is the file position of the problem.</summary>
    public McapFormatException(string filePath, long offset, string problem)
        : base($"{filePath}: {problem} (at byte {offset})")
    {
        FilePath = filePath;
        Offset = offset;
        Problem = problem;
    }

    /// <summary>The file.</summary>
    public string FilePath { get; }

    /// <summary>Byte offset in the file.</summary>
    public long Offset { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
