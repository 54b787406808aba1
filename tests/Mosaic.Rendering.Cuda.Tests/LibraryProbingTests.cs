namespace Mosaic.Rendering.Cuda.Tests;

/// <summary>Finding libcuda and libnvrtc without linking them.</summary>
public class LibraryProbingTests
{
    [Fact]
    public void An_explicit_library_is_the_only_candidate()
    {
        Assert.Equal(["/opt/driver/libcuda.so.1"], CudaLibraries.DriverCandidates("/opt/driver/libcuda.so.1"));
        Assert.Equal(["/opt/nvrtc/libnvrtc.so.12"], CudaLibraries.NvrtcCandidates("/opt/nvrtc/libnvrtc.so.12", ["/usr/local/cuda/lib64"]));
        Assert.Equal(["libcuda.so.1", "libcuda.so"], CudaLibraries.DriverCandidates(null));
    }

    [Fact]
    public void Nvrtc_is_searched_newest_version_first_in_each_directory_then_by_soname()
    {
        string root = Path.Combine(Path.GetTempPath(), "mosaic-nvrtc-" + Guid.NewGuid().ToString("N"));
        string toolkit = Path.Combine(root, "cuda-12.4", "lib64"), wheel = Path.Combine(root, "site-packages", "nvidia", "cuda_nvrtc", "lib");
        Directory.CreateDirectory(toolkit);
        Directory.CreateDirectory(wheel);
        try
        {
            foreach (string name in new[] { "libnvrtc.so", "libnvrtc.so.11.2", "libnvrtc.so.12", "libnvrtc.so.12.4.127", "libnvrtc-builtins.so.12.4" })
                File.WriteAllText(Path.Combine(toolkit, name), "");
            File.WriteAllText(Path.Combine(wheel, "libnvrtc.so.12"), "");
            var candidates = CudaLibraries.NvrtcCandidates(null, [toolkit, Path.Combine(root, "missing"), wheel]);
            Assert.Equal(
            [
                Path.Combine(toolkit, "libnvrtc.so.12.4.127"), Path.Combine(toolkit, "libnvrtc.so.12"), Path.Combine(toolkit, "libnvrtc.so.11.2"),
                Path.Combine(wheel, "libnvrtc.so.12"),
                "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so",
            ], candidates);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("libnvrtc.so.12", "12.0.0")]
    [InlineData("libnvrtc.so.11.2", "11.2.0")]
    [InlineData("libnvrtc.so.12.4.127", "12.4.127")]
    [InlineData("libnvrtc.so", null)]
    [InlineData("libnvrtc-builtins.so.12", null)]
    [InlineData("libnvrtc.so.12.alt", null)]
    public void Nvrtc_versions_are_read_from_file_names(string name, string? version) =>
        Assert.Equal(version is null ? null : Version.Parse(version), CudaLibraries.NvrtcVersion(name));

    [Fact]
    public void A_failed_load_lists_every_candidate_and_why()
    {
        string notALibrary = Path.GetTempFileName();
        try
        {
            bool loaded = CudaLibraries.TryLoad(["/nonexistent/libcuda.so.1", notALibrary], out IntPtr handle, out _, out string failures);
            Assert.False(loaded);
            Assert.Equal(IntPtr.Zero, handle);
            Assert.Contains("/nonexistent/libcuda.so.1: ", failures);
            Assert.Contains(notALibrary + ": not a loadable library", failures);
            Assert.Contains("/nonexistent/libcuda.so.1: no such file", failures);
        }
        finally
        {
            File.Delete(notALibrary);
        }
    }
}
