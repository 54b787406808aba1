namespace Mosaic.Rendering.Cuda.Tests;

/// <summary>Compiled kernels on disk: keyed by source, options and target; atomic; never fatal.</summary>
public class ModuleCacheTests
{
    [Fact]
    public void A_stored_module_is_read_back_and_can_be_removed()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mosaic-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cache = new ModuleCache(directory);
            string key = KernelSource.CacheKey(["--gpu-architecture=sm_90"], "NVRTC 12.4 NVIDIA H100");
            Assert.Null(cache.TryRead(key));
            Assert.Null(cache.TryWrite(key, [1, 2, 3]));
            Assert.Equal([1, 2, 3], cache.TryRead(key));
            Assert.Equal([key + ".cubin"], Directory.EnumerateFiles(directory).Select(Path.GetFileName));
            cache.Remove(key);
            Assert.Null(cache.TryRead(key));
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void An_unwritable_cache_reports_why_and_keeps_nothing()
    {
        string file = Path.GetTempFileName();
        try
        {
            // A directory that cannot be created: its parent is a file.
            var cache = new ModuleCache(Path.Combine(file, "cuda"));
            string? problem = cache.TryWrite(KernelSource.CacheKey([], "x"), [1]);
            Assert.NotNull(problem);
            Assert.Contains(Path.Combine(file, "cuda"), problem);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Keys_differ_by_options_and_target_and_are_stable()
    {
        string key = KernelSource.CacheKey(["--gpu-architecture=sm_90"], "NVRTC 12.4 NVIDIA H100");
        Assert.Equal(key, KernelSource.CacheKey(["--gpu-architecture=sm_90"], "NVRTC 12.4 NVIDIA H100"));
        Assert.NotEqual(key, KernelSource.CacheKey(["--gpu-architecture=sm_89"], "NVRTC 12.4 NVIDIA H100"));
        Assert.NotEqual(key, KernelSource.CacheKey(["--gpu-architecture=sm_90"], "NVRTC 12.6 NVIDIA H100"));
        Assert.Equal(64, key.Length);
        Assert.Throws<ArgumentException>(() => new ModuleCache("/tmp").TryRead("../escape"));
    }
}
