namespace Mosaic.Ros.Bags;

/// <summary>A bag (directory, metadata.yaml or storage file) cannot be read; the message names the file and the problem.</summary>
public sealed class BagFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    public BagFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The offending file or directory.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
