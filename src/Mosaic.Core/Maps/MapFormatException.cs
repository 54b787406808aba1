namespace Mosaic.Core.Maps;

/// <summary>A map file is missing, damaged or inconsistent. The message names the file and the problem.</summary>
public sealed class MapFormatException : Exception
{
    /// <summary>The path of the offending file.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }

    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    public MapFormatException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }
}
