using System.Runtime.InteropServices;

namespace Mosaic.Rendering.Cuda;

/// <summary>
/// The CUDA driver API functions the backend calls, resolved from a loaded libcuda at run time (the
/// library may be absent, so nothing is bound at build time). Names and signatures as in cuda.h; the
/// _v2 entry points are the 64-bit ones cuda.h maps the plain names to.
/// </summary>
internal sealed unsafe class CudaDriverApi
{
    public const int ComputeCapabilityMajor = 75, ComputeCapabilityMinor = 76;

    public readonly delegate* unmanaged<uint, int> cuInit;
    public readonly delegate* unmanaged<int*, int> cuDriverGetVersion;
    public readonly delegate* unmanaged<int*, int> cuDeviceGetCount;
    public readonly delegate* unmanaged<int*, int, int> cuDeviceGet;
    public readonly delegate* unmanaged<byte*, int, int, int> cuDeviceGetName;
    public readonly delegate* unmanaged<int*, int, int, int> cuDeviceGetAttribute;
    public readonly delegate* unmanaged<nuint*, int, int> cuDeviceTotalMem_v2;
    public readonly delegate* unmanaged<IntPtr*, int, int> cuDevicePrimaryCtxRetain;
    public readonly delegate* unmanaged<int, int> cuDevicePrimaryCtxRelease_v2;
    public readonly delegate* unmanaged<IntPtr, int> cuCtxSetCurrent;
    public readonly delegate* unmanaged<int> cuCtxSynchronize;
    public readonly delegate* unmanaged<IntPtr*, void*, int> cuModuleLoadData;
    public readonly delegate* unmanaged<IntPtr, int> cuModuleUnload;
    public readonly delegate* unmanaged<IntPtr*, IntPtr, byte*, int> cuModuleGetFunction;
    public readonly delegate* unmanaged<ulong*, nuint, int> cuMemAlloc_v2;
    public readonly delegate* unmanaged<ulong, int> cuMemFree_v2;
    public readonly delegate* unmanaged<ulong, void*, nuint, int> cuMemcpyHtoD_v2;
    public readonly delegate* unmanaged<void*, ulong, nuint, int> cuMemcpyDtoH_v2;
    public readonly delegate* unmanaged<ulong, byte, nuint, int> cuMemsetD8_v2;
    public readonly delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int> cuLaunchKernel;
    public readonly delegate* unmanaged<int, byte**, int> cuGetErrorName;
    public readonly delegate* unmanaged<int, byte**, int> cuGetErrorString;

    public CudaDriverApi(IntPtr library)
    {
        cuInit = (delegate* unmanaged<uint, int>)Export(library, "cuInit");
        cuDriverGetVersion = (delegate* unmanaged<int*, int>)Export(library, "cuDriverGetVersion");
        cuDeviceGetCount = (delegate* unmanaged<int*, int>)Export(library, "cuDeviceGetCount");
        cuDeviceGet = (delegate* unmanaged<int*, int, int>)Export(library, "cuDeviceGet");
        cuDeviceGetName = (delegate* unmanaged<byte*, int, int, int>)Export(library, "cuDeviceGetName");
        cuDeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)Export(library, "cuDeviceGetAttribute");
        cuDeviceTotalMem_v2 = (delegate* unmanaged<nuint*, int, int>)Export(library, "cuDeviceTotalMem_v2");
        cuDevicePrimaryCtxRetain = (delegate* unmanaged<IntPtr*, int, int>)Export(library, "cuDevicePrimaryCtxRetain");
        cuDevicePrimaryCtxRelease_v2 = (delegate* unmanaged<int, int>)Export(library, "cuDevicePrimaryCtxRelease_v2");
        cuCtxSetCurrent = (delegate* unmanaged<IntPtr, int>)Export(library, "cuCtxSetCurrent");
        cuCtxSynchronize = (delegate* unmanaged<int>)Export(library, "cuCtxSynchronize");
        cuModuleLoadData = (delegate* unmanaged<IntPtr*, void*, int>)Export(library, "cuModuleLoadData");
        cuModuleUnload = (delegate* unmanaged<IntPtr, int>)Export(library, "cuModuleUnload");
        cuModuleGetFunction = (delegate* unmanaged<IntPtr*, IntPtr, byte*, int>)Export(library, "cuModuleGetFunction");
        cuMemAlloc_v2 = (delegate* unmanaged<ulong*, nuint, int>)Export(library, "cuMemAlloc_v2");
        cuMemFree_v2 = (delegate* unmanaged<ulong, int>)Export(library, "cuMemFree_v2");
        cuMemcpyHtoD_v2 = (delegate* unmanaged<ulong, void*, nuint, int>)Export(library, "cuMemcpyHtoD_v2");
        cuMemcpyDtoH_v2 = (delegate* unmanaged<void*, ulong, nuint, int>)Export(library, "cuMemcpyDtoH_v2");
        cuMemsetD8_v2 = (delegate* unmanaged<ulong, byte, nuint, int>)Export(library, "cuMemsetD8_v2");
        cuLaunchKernel = (delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int>)Export(library, "cuLaunchKernel");
        cuGetErrorName = (delegate* unmanaged<int, byte**, int>)Export(library, "cuGetErrorName");
        cuGetErrorString = (delegate* unmanaged<int, byte**, int>)Export(library, "cuGetErrorString");
    }

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> and the error unless <paramref name="result"/> is CUDA_SUCCESS.</summary>
    public void Check(int result, string call)
    {
        if (result == 0)
            return;
        byte* name = null, text = null;
        string description = cuGetErrorName(result, &name) == 0 && cuGetErrorString(result, &text) == 0
            ? $"{Marshal.PtrToStringUTF8((IntPtr)name)}: {Marshal.PtrToStringUTF8((IntPtr)text)}"
            : $"CUresult {result}";
        throw new CudaException($"{call} failed: {description}");
    }

    internal static IntPtr Export(IntPtr library, string name) =>
        NativeLibrary.TryGetExport(library, name, out IntPtr address)
            ? address
            : throw new CudaException($"the loaded CUDA library has no {name}: the driver is too old or the file is not the CUDA driver");
}

/// <summary>The NVRTC functions the backend calls, resolved from a loaded libnvrtc (nvrtc.h).</summary>
internal sealed unsafe class NvrtcApi
{
    public readonly delegate* unmanaged<int*, int*, int> nvrtcVersion;
    public readonly delegate* unmanaged<int*, int> nvrtcGetNumSupportedArchs;
    public readonly delegate* unmanaged<int*, int> nvrtcGetSupportedArchs;
    public readonly delegate* unmanaged<IntPtr*, byte*, byte*, int, byte**, byte**, int> nvrtcCreateProgram;
    public readonly delegate* unmanaged<IntPtr, int, byte**, int> nvrtcCompileProgram;
    public readonly delegate* unmanaged<IntPtr, nuint*, int> nvrtcGetProgramLogSize;
    public readonly delegate* unmanaged<IntPtr, byte*, int> nvrtcGetProgramLog;
    public readonly delegate* unmanaged<IntPtr, nuint*, int> nvrtcGetCUBINSize;
    public readonly delegate* unmanaged<IntPtr, byte*, int> nvrtcGetCUBIN;
    public readonly delegate* unmanaged<IntPtr, nuint*, int> nvrtcGetPTXSize;
    public readonly delegate* unmanaged<IntPtr, byte*, int> nvrtcGetPTX;
    public readonly delegate* unmanaged<IntPtr*, int> nvrtcDestroyProgram;
    public readonly delegate* unmanaged<int, byte*> nvrtcGetErrorString;

    public NvrtcApi(IntPtr library)
    {
        nvrtcVersion = (delegate* unmanaged<int*, int*, int>)CudaDriverApi.Export(library, "nvrtcVersion");
        nvrtcGetNumSupportedArchs = (delegate* unmanaged<int*, int>)CudaDriverApi.Export(library, "nvrtcGetNumSupportedArchs");
        nvrtcGetSupportedArchs = (delegate* unmanaged<int*, int>)CudaDriverApi.Export(library, "nvrtcGetSupportedArchs");
        nvrtcCreateProgram = (delegate* unmanaged<IntPtr*, byte*, byte*, int, byte**, byte**, int>)CudaDriverApi.Export(library, "nvrtcCreateProgram");
        nvrtcCompileProgram = (delegate* unmanaged<IntPtr, int, byte**, int>)CudaDriverApi.Export(library, "nvrtcCompileProgram");
        nvrtcGetProgramLogSize = (delegate* unmanaged<IntPtr, nuint*, int>)CudaDriverApi.Export(library, "nvrtcGetProgramLogSize");
        nvrtcGetProgramLog = (delegate* unmanaged<IntPtr, byte*, int>)CudaDriverApi.Export(library, "nvrtcGetProgramLog");
        nvrtcGetCUBINSize = (delegate* unmanaged<IntPtr, nuint*, int>)CudaDriverApi.Export(library, "nvrtcGetCUBINSize");
        nvrtcGetCUBIN = (delegate* unmanaged<IntPtr, byte*, int>)CudaDriverApi.Export(library, "nvrtcGetCUBIN");
        nvrtcGetPTXSize = (delegate* unmanaged<IntPtr, nuint*, int>)CudaDriverApi.Export(library, "nvrtcGetPTXSize");
        nvrtcGetPTX = (delegate* unmanaged<IntPtr, byte*, int>)CudaDriverApi.Export(library, "nvrtcGetPTX");
        nvrtcDestroyProgram = (delegate* unmanaged<IntPtr*, int>)CudaDriverApi.Export(library, "nvrtcDestroyProgram");
        nvrtcGetErrorString = (delegate* unmanaged<int, byte*>)CudaDriverApi.Export(library, "nvrtcGetErrorString");
    }

    public void Check(int result, string call)
    {
        if (result != 0)
            throw new CudaException($"{call} failed: {Marshal.PtrToStringUTF8((IntPtr)nvrtcGetErrorString(result))}");
    }

    /// <summary>The version as "major.minor".</summary>
    public string Version()
    {
        int major, minor;
        Check(nvrtcVersion(&major, &minor), "nvrtcVersion");
        return $"{major}.{minor}";
    }

    /// <summary>The SM versions (e.g. 90 for sm_90) this NVRTC can compile for.</summary>
    public int[] SupportedArchitectures()
    {
        int count;
        Check(nvrtcGetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs");
        var archs = new int[count];
        fixed (int* pointer = archs)
            Check(nvrtcGetSupportedArchs(pointer), "nvrtcGetSupportedArchs");
        return archs;
    }

    /// <summary>
    /// Compiles <paramref name="source"/> with <paramref name="options"/>; returns the CUBIN when
    /// <paramref name="cubin"/>, else the PTX (NUL-terminated, as cuModuleLoadData wants it). A failed
    /// compilation throws with NVRTC's log.
    /// </summary>
    public byte[] Compile(string source, string name, IReadOnlyList<string> options, bool cubin)
    {
        IntPtr program;
        var utf8 = System.Text.Encoding.UTF8;
        fixed (byte* sourceBytes = utf8.GetBytes(source + "\0"))
        fixed (byte* nameBytes = utf8.GetBytes(name + "\0"))
            Check(nvrtcCreateProgram(&program, sourceBytes, nameBytes, 0, null, null), "nvrtcCreateProgram");
        try
        {
            var optionHandles = options.Select(o => GCHandle.Alloc(utf8.GetBytes(o + "\0"), GCHandleType.Pinned)).ToArray();
            int compiled;
            try
            {
                var pointers = stackalloc byte*[optionHandles.Length];
                for (int i = 0; i < optionHandles.Length; i++)
                    pointers[i] = (byte*)optionHandles[i].AddrOfPinnedObject();
                compiled = nvrtcCompileProgram(program, optionHandles.Length, pointers);
            }
            finally
            {
                foreach (var handle in optionHandles)
                    handle.Free();
            }
            if (compiled != 0)
                throw new CudaException($"NVRTC could not compile the kernels ({Marshal.PtrToStringUTF8((IntPtr)nvrtcGetErrorString(compiled))}):\n{Log(program)}");
            nuint size;
            Check(cubin ? nvrtcGetCUBINSize(program, &size) : nvrtcGetPTXSize(program, &size), cubin ? "nvrtcGetCUBINSize" : "nvrtcGetPTXSize");
            var image = new byte[(int)size];
            fixed (byte* pointer = image)
                Check(cubin ? nvrtcGetCUBIN(program, pointer) : nvrtcGetPTX(program, pointer), cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX");
            return image;
        }
        finally
        {
            nvrtcDestroyProgram(&program);
        }
    }

    private string Log(IntPtr program)
    {
        nuint size;
        if (nvrtcGetProgramLogSize(program, &size) != 0 || size == 0)
            return "(no log)";
        var log = new byte[(int)size];
        fixed (byte* pointer = log)
            nvrtcGetProgramLog(program, pointer);
        return System.Text.Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
    }
}
