using System.Diagnostics;

namespace Mosaic.Rendering.Cuda;

/// <summary>Time spent in one kernel or kind of memory operation over the calls since the profile was reset.</summary>
/// <param name="Stage">The kernel's name, or "copy to device", "copy to host", "memset".</param>
/// <param name="Calls">Launches or operations.</param>
/// <param name="Total">Their summed wall time, each waited for to completion.</param>
public sealed record StageTime(string Stage, int Calls, TimeSpan Total);

/// <summary>Visible Gaussians, tile-list entries and the longest tile list of one projection and binning.</summary>
public readonly record struct BinningStats(int Visible, int Entries, int LongestList);

/// <summary>
/// A device that waits for every launch and memory operation to finish and adds its wall time to a
/// table per stage: where the time of a call goes. The waits take away the overlap between launches,
/// so the stages add up to more than the same call takes unprofiled.
/// </summary>
internal sealed unsafe class ProfilingDevice(KernelDevice inner) : KernelDevice
{
    private readonly Dictionary<string, (int Calls, long Ticks)> _stages = [];

    public override string Description => inner.Description;

    /// <summary>The stages in the order they first ran.</summary>
    public IReadOnlyList<StageTime> Stages =>
        _stages.Select(s => new StageTime(s.Key, s.Value.Calls, Stopwatch.GetElapsedTime(0, s.Value.Ticks))).ToList();

    public void Reset() => _stages.Clear();

    public override ulong Allocate(long bytes) => inner.Allocate(bytes);

    public override void Free(ulong address) => inner.Free(address);

    public override void Upload(ulong destination, void* source, long bytes)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Upload(destination, source, bytes);
        Add("copy to device", start);
    }

    public override void Download(void* destination, ulong source, long bytes)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Download(destination, source, bytes);
        Add("copy to host", start);
    }

    public override void Fill(ulong destination, byte value, long bytes)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Fill(destination, value, bytes);
        inner.Synchronize();
        Add("memset", start);
    }

    public override void Launch(string kernel, int threads, in KernelArgs args)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Launch(kernel, threads, args);
        inner.Synchronize();
        Add(kernel, start);
    }

    public override void Synchronize() => inner.Synchronize();

    public override void Dispose() => inner.Dispose();

    private void Add(string stage, long start)
    {
        long ticks = Stopwatch.GetTimestamp() - start;
        _stages[stage] = _stages.TryGetValue(stage, out var s) ? (s.Calls + 1, s.Ticks + ticks) : (1, ticks);
    }
}
