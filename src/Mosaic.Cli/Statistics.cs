namespace Mosaic.Cli;

/// <summary>Summary statistics for command reports.</summary>
internal static class Statistics
{
    /// <summary>The median of a non-empty sequence (mean of the middle two for even counts).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
