using System.Runtime.InteropServices;

namespace Mosaic.Rendering.Cuda;

/// <summary>
/// The kernels compiled for the host (native/emulator.cpp → libmosaic_cuda_emu.so) and run one thread
/// after another in host memory: what lets the tests check the kernels and <see cref="CudaLabelRenderer"/>
/// against the CPU backend on machines without a GPU. Not a compute backend: it is slow and cannot
/// show races.
/// </summary>
internal sealed unsafe partial class EmulatedDevice : KernelDevice
{
    private const string Library = "mosaic_cuda_emu";
    private readonly HashSet<ulong> _allocations = [];

    public override string Description => "emulated CUDA device (host C++, sequential)";

    public override ulong Allocate(long bytes)
    {
        ulong address = (ulong)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        _allocations.Add(address);
        return address;
    }

    public override void Free(ulong address)
    {
        if (!_allocations.Remove(address))
            throw new InvalidOperationException($"0x{address:x} was not allocated on this device or is already freed");
        NativeMemory.AlignedFree((void*)address);
    }

    public override void Upload(ulong destination, void* source, long bytes) => Buffer.MemoryCopy(source, (void*)destination, bytes, bytes);

    public override void Download(void* destination, ulong source, long bytes) => Buffer.MemoryCopy((void*)source, destination, bytes, bytes);

    public override void Fill(ulong destination, byte value, long bytes) => new Span<byte>((void*)destination, checked((int)bytes)).Fill(value);

    public override void Launch(string kernel, int threads, in KernelArgs args)
    {
        const int block = 256;
        fixed (KernelArgs* pointer = &args)
        {
            if (mosaic_emu_launch(kernel, (uint)((threads + block - 1) / block), block, pointer) != 0)
                throw new CudaException($"the emulated device has no kernel {kernel}");
        }
    }

    public override void Synchronize()
    {
    }

    /// <summary>The native argument block's size and field offsets, in the order of <c>mosaic_emu_layout</c>.</summary>
    public static ulong[] NativeLayout()
    {
        var layout = new ulong[10];
        fixed (ulong* pointer = layout)
            mosaic_emu_layout(pointer);
        return layout;
    }

    public override void Dispose()
    {
        foreach (ulong address in _allocations)
            NativeMemory.AlignedFree((void*)address);
        _allocations.Clear();
    }

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mosaic_emu_launch(string name, uint blocks, uint threads, KernelArgs* args);

    [LibraryImport(Library)]
    private static partial void mosaic_emu_layout(ulong* layout);
}
