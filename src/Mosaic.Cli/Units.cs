using System.Globalization;

namespace Mosaic.Cli;

/// <summary>How command reports print sizes, memory and stamps.</summary>
internal static class Units
{
    /// <summary>A stamp (ns) as seconds with all nine decimals, as TUM files and CSV columns carry it.</summary>
    public static string StampSeconds(long stamp) => $"{stamp / 1_000_000_000}.{stamp % 1_000_000_000:D9}";

    /// <summary>A byte count with a binary unit (B, KiB, MiB, GiB).</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:F1} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):F1} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):F2} GiB",
    };

    /// <summary>The process's peak resident set so far (Linux VmHWM, the kernel's high-water mark); null elsewhere.</summary>
    public static long? PeakResidentBytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
            return null;
        foreach (var line in File.ReadLines(status))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        return null;
    }
}
