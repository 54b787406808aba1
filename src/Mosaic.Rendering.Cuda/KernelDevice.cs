namespace Mosaic.Rendering.Cuda;

/// <summary>
/// Where the kernels run: a CUDA GPU (<see cref="CudaDevice"/>) or the emulated device of the tests
/// (<see cref="EmulatedDevice"/>). Memory is addressed by 64-bit device addresses; every launch is
/// one-dimensional over <c>threads</c> threads and receives the one <see cref="KernelArgs"/> block.
/// </summary>
internal abstract unsafe class KernelDevice : IDisposable
{
    /// <summary>What this device is, for logs (e.g. "NVIDIA H100 80GB HBM3, sm_90, driver 12.4").</summary>
    public abstract string Description { get; }

    public abstract ulong Allocate(long bytes);

    public abstract void Free(ulong address);

    public abstract void Upload(ulong destination, void* source, long bytes);

    public abstract void Download(void* destination, ulong source, long bytes);

    public abstract void Fill(ulong destination, byte value, long bytes);

    public abstract void Launch(string kernel, int threads, in KernelArgs args);

    /// <summary>Waits for all launched work; asynchronous faults surface here as exceptions.</summary>
    public abstract void Synchronize();

    public abstract void Dispose();
}

/// <summary>A typed, growable array in device memory.</summary>
internal sealed unsafe class DeviceBuffer<T>(KernelDevice device) : IDisposable where T : unmanaged
{
    /// <summary>The device address (0 before the first allocation).</summary>
    public ulong Address { get; private set; }

    /// <summary>Elements the allocation holds.</summary>
    public long Capacity { get; private set; }

    /// <summary>Makes room for at least <paramref name="count"/> elements; the contents are lost when it grows.</summary>
    public void Ensure(long count)
    {
        if (count <= Capacity)
            return;
        Release();
        long grown = Math.Max(count, Capacity * 3 / 2);
        Address = device.Allocate(Math.Max(1, grown) * sizeof(T));
        Capacity = grown;
    }

    public void Upload(ReadOnlySpan<T> values)
    {
        Ensure(values.Length);
        fixed (T* source = values)
            device.Upload(Address, source, (long)values.Length * sizeof(T));
    }

    public void Download(Span<T> values)
    {
        if (values.Length > Capacity)
            throw new ArgumentException($"cannot read {values.Length} elements from a buffer of {Capacity}");
        fixed (T* destination = values)
            device.Download(destination, Address, (long)values.Length * sizeof(T));
    }

    /// <summary>Sets the first <paramref name="count"/> elements' bytes to <paramref name="value"/>.</summary>
    public void Fill(byte value, long count) => device.Fill(Address, value, count * sizeof(T));

    public void Dispose() => Release();

    private void Release()
    {
        if (Address != 0)
            device.Free(Address);
        Address = 0;
        Capacity = 0;
    }
}
