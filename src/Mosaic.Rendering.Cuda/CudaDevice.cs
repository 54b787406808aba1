using System.Text;

namespace Mosaic.Rendering.Cuda;

/// <summary>
/// A GPU through the CUDA driver API: the device's primary context, the kernels compiled by NVRTC
/// (through the <see cref="ModuleCache"/>) and loaded as one module. Every driver call is checked.
/// Operations may come from any thread: each makes the context current first.
/// </summary>
internal sealed unsafe class CudaDevice : KernelDevice
{
    /// <summary>Threads per block of every launch.</summary>
    private const int BlockSize = 256;

    private readonly CudaDriverApi _driver;
    private readonly int _device;
    private readonly IntPtr _context;
    private readonly IntPtr _module;
    private readonly Dictionary<string, IntPtr> _functions = [];
    private bool _disposed;

    private CudaDevice(CudaDriverApi driver, int device, IntPtr context, IntPtr module, string description, string? cacheProblem)
    {
        (_driver, _device, _context, _module) = (driver, device, context, module);
        Description = description;
        CacheProblem = cacheProblem;
        foreach (string kernel in KernelSource.Kernels)
        {
            IntPtr function;
            fixed (byte* name = Encoding.UTF8.GetBytes(kernel + "\0"))
                _driver.Check(_driver.cuModuleGetFunction(&function, _module, name), $"cuModuleGetFunction({kernel})");
            _functions[kernel] = function;
        }
    }

    public override string Description { get; }

    /// <summary>Why the compiled kernels could not be cached on disk, or null.</summary>
    public string? CacheProblem { get; }

    /// <summary>
    /// Loads the libraries, initialises the driver, opens GPU <see cref="CudaOptions.Device"/> and
    /// compiles (or loads from the cache) the kernels. Throws <see cref="CudaException"/> saying what is missing.
    /// </summary>
    public static CudaDevice Open(CudaOptions options)
    {
        if (!CudaLibraries.TryLoad(CudaLibraries.DriverCandidates(options.DriverLibrary), out IntPtr driverLibrary, out _, out string driverFailures))
            throw new CudaException($"no CUDA driver (is an NVIDIA GPU and its driver installed?): {driverFailures}");
        var driver = new CudaDriverApi(driverLibrary);
        driver.Check(driver.cuInit(0), "cuInit");
        int count, version;
        driver.Check(driver.cuDeviceGetCount(&count), "cuDeviceGetCount");
        if (options.Device < 0 || options.Device >= count)
            throw new CudaException($"compute.device {options.Device} does not exist: the driver sees {count} GPU(s)");
        driver.Check(driver.cuDriverGetVersion(&version), "cuDriverGetVersion");
        int device, major, minor;
        driver.Check(driver.cuDeviceGet(&device, options.Device), "cuDeviceGet");
        driver.Check(driver.cuDeviceGetAttribute(&major, CudaDriverApi.ComputeCapabilityMajor, device), "cuDeviceGetAttribute(major)");
        driver.Check(driver.cuDeviceGetAttribute(&minor, CudaDriverApi.ComputeCapabilityMinor, device), "cuDeviceGetAttribute(minor)");
        var nameBytes = new byte[256];
        fixed (byte* name = nameBytes)
            driver.Check(driver.cuDeviceGetName(name, nameBytes.Length, device), "cuDeviceGetName");
        string deviceName = Encoding.UTF8.GetString(nameBytes).TrimEnd('\0');

        var nvrtcCandidates = CudaLibraries.NvrtcCandidates(options.NvrtcLibrary, CudaLibraries.StandardNvrtcDirectories());
        if (!CudaLibraries.TryLoad(nvrtcCandidates, out IntPtr nvrtcLibrary, out string nvrtcPath, out string nvrtcFailures))
            throw new CudaException($"no NVRTC library (install the CUDA toolkit's libnvrtc or set MOSAIC_NVRTC): {nvrtcFailures}");
        var nvrtc = new NvrtcApi(nvrtcLibrary);

        IntPtr context;
        driver.Check(driver.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        try
        {
            driver.Check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            var (module, target, cacheProblem) = LoadModule(driver, nvrtc, major * 10 + minor, deviceName, options);
            string description = $"{deviceName}, sm_{major}{minor}, driver {version / 1000}.{version % 1000 / 10}, NVRTC {nvrtc.Version()} ({Path.GetFileName(nvrtcPath)}), kernels {target}";
            return new CudaDevice(driver, device, context, module, description, cacheProblem);
        }
        catch
        {
            driver.cuDevicePrimaryCtxRelease_v2(device);
            throw;
        }
    }

    /// <summary>
    /// The kernels as a loaded module: a CUBIN for the device's own architecture when this NVRTC knows
    /// it, else PTX for the newest architecture it knows that the device can run (the driver compiles
    /// it on load). Compiled modules are cached; a cached one the driver refuses is compiled again.
    /// </summary>
    private static (IntPtr Module, string Target, string? CacheProblem) LoadModule(CudaDriverApi driver, NvrtcApi nvrtc, int sm, string deviceName, CudaOptions options)
    {
        int[] supported = nvrtc.SupportedArchitectures();
        bool cubin = supported.Contains(sm);
        int arch = cubin ? sm : supported.Where(a => a <= sm).DefaultIfEmpty(-1).Max();
        if (arch < 0)
            throw new CudaException($"NVRTC {nvrtc.Version()} cannot compile for this GPU (sm_{sm}); it supports sm_{string.Join(", sm_", supported)}");
        string target = cubin ? $"sm_{arch}" : $"compute_{arch}";
        string[] compileOptions = [$"--gpu-architecture={target}", "--std=c++17"];
        string key = KernelSource.CacheKey(compileOptions, $"NVRTC {nvrtc.Version()} {deviceName}");
        var cache = new ModuleCache(options.CacheDirectory ?? ModuleCache.DefaultDirectory());

        byte[]? image = cache.TryRead(key);
        if (image is not null && TryLoadImage(driver, image, out IntPtr cached))
            return (cached, target, null);
        if (image is not null)
            cache.Remove(key);
        image = nvrtc.Compile(KernelSource.Text, "mosaic_kernels.cu", compileOptions, cubin);
        string? cacheProblem = cache.TryWrite(key, image);
        IntPtr module;
        fixed (byte* pointer = image)
            driver.Check(driver.cuModuleLoadData(&module, pointer), "cuModuleLoadData");
        return (module, target, cacheProblem);
    }

    private static bool TryLoadImage(CudaDriverApi driver, byte[] image, out IntPtr module)
    {
        IntPtr loaded;
        int result;
        fixed (byte* pointer = image)
            result = driver.cuModuleLoadData(&loaded, pointer);
        module = loaded;
        return result == 0;
    }

    private void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _driver.Check(_driver.cuCtxSetCurrent(_context), "cuCtxSetCurrent");
    }

    public override ulong Allocate(long bytes)
    {
        MakeCurrent();
        ulong address;
        _driver.Check(_driver.cuMemAlloc_v2(&address, (nuint)bytes), $"cuMemAlloc({bytes} bytes)");
        return address;
    }

    public override void Free(ulong address)
    {
        MakeCurrent();
        _driver.Check(_driver.cuMemFree_v2(address), "cuMemFree");
    }

    public override void Upload(ulong destination, void* source, long bytes)
    {
        MakeCurrent();
        _driver.Check(_driver.cuMemcpyHtoD_v2(destination, source, (nuint)bytes), "cuMemcpyHtoD");
    }

    public override void Download(void* destination, ulong source, long bytes)
    {
        MakeCurrent();
        _driver.Check(_driver.cuMemcpyDtoH_v2(destination, source, (nuint)bytes), "cuMemcpyDtoH");
    }

    public override void Fill(ulong destination, byte value, long bytes)
    {
        MakeCurrent();
        _driver.Check(_driver.cuMemsetD8_v2(destination, value, (nuint)bytes), "cuMemsetD8");
    }

    public override void Launch(string kernel, int threads, in KernelArgs args)
    {
        if (threads <= 0)
            return;
        MakeCurrent();
        if (!_functions.TryGetValue(kernel, out IntPtr function))
            throw new CudaException($"no kernel {kernel} in the module");
        fixed (KernelArgs* pointer = &args)
        {
            void* parameter = pointer;
            _driver.Check(_driver.cuLaunchKernel(function, (uint)((threads + BlockSize - 1) / BlockSize), 1, 1, BlockSize, 1, 1, 0, IntPtr.Zero, &parameter, null),
                $"cuLaunchKernel({kernel}, {threads} threads)");
        }
    }

    public override void Synchronize()
    {
        MakeCurrent();
        _driver.Check(_driver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    public override void Dispose()
    {
        if (_disposed)
            return;
        _driver.cuCtxSetCurrent(_context);
        _driver.cuModuleUnload(_module);
        _driver.cuDevicePrimaryCtxRelease_v2(_device);
        _disposed = true;
    }
}
