using System.Runtime.InteropServices;

namespace Mosaic.Rendering.Cuda;

/// <summary>
/// Finds and loads the two native libraries the CUDA backend needs: the driver (libcuda.so.1, part of
/// the NVIDIA driver) and NVRTC (libnvrtc.so.*, part of the CUDA toolkit or of the nvidia-cuda-nvrtc
/// Python wheels). Nothing is linked at build time, so machines without them build and run the CPU backend.
/// </summary>
public static class CudaLibraries
{
    /// <summary>
    /// Driver names to try: <paramref name="explicitPath"/> alone when given (option or
    /// <c>MOSAIC_CUDA_DRIVER</c>), else the driver's soname and its development link.
    /// </summary>
    public static IReadOnlyList<string> DriverCandidates(string? explicitPath) =>
        !string.IsNullOrEmpty(explicitPath) ? [explicitPath] : ["libcuda.so.1", "libcuda.so"];

    /// <summary>
    /// NVRTC libraries to try, best first: <paramref name="explicitPath"/> alone when given (option or
    /// <c>MOSAIC_NVRTC</c>); else every <c>libnvrtc.so.N[.M]</c> found in <paramref name="directories"/>
    /// (newest version first, directories in the order given), then the sonames the loader may resolve
    /// through LD_LIBRARY_PATH and ldconfig.
    /// </summary>
    public static IReadOnlyList<string> NvrtcCandidates(string? explicitPath, IEnumerable<string> directories)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return [explicitPath];
        var candidates = new List<string>();
        foreach (string directory in directories)
        {
            if (!Directory.Exists(directory))
                continue;
            var found = Directory.EnumerateFiles(directory, "libnvrtc.so*")
                .Select(path => (Path: path, Version: NvrtcVersion(Path.GetFileName(path))))
                .Where(f => f.Version is not null)
                .OrderByDescending(f => f.Version)
                .Select(f => f.Path);
            candidates.AddRange(found.Where(path => !candidates.Contains(path)));
        }
        candidates.AddRange(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"]);
        return candidates;
    }

    /// <summary>
    /// Where CUDA toolkits and the NVRTC wheels usually put libnvrtc: $CUDA_PATH and $CUDA_HOME,
    /// /usr/local/cuda, /usr/local/cuda-* (newest first), the multiarch library directory, and the
    /// nvidia/cuda_nvrtc/lib folders of Python's site-packages under /usr and /usr/local.
    /// </summary>
    public static IReadOnlyList<string> StandardNvrtcDirectories()
    {
        var directories = new List<string>();
        foreach (string variable in new[] { "CUDA_PATH", "CUDA_HOME" })
        {
            string? root = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(root))
                directories.Add(Path.Combine(root, "lib64"));
        }
        directories.Add("/usr/local/cuda/lib64");
        if (Directory.Exists("/usr/local"))
            directories.AddRange(Directory.EnumerateDirectories("/usr/local", "cuda-*").Order().Reverse().Select(d => Path.Combine(d, "lib64")));
        directories.Add("/usr/lib/x86_64-linux-gnu");
        foreach (string prefix in new[] { "/usr/local/lib", "/usr/lib" })
        {
            if (!Directory.Exists(prefix))
                continue;
            foreach (string python in Directory.EnumerateDirectories(prefix, "python3*"))
                foreach (string packages in new[] { "site-packages", "dist-packages" })
                    directories.Add(Path.Combine(python, packages, "nvidia", "cuda_nvrtc", "lib"));
        }
        return directories;
    }

    /// <summary>
    /// Loads the first candidate that the dynamic loader accepts; otherwise returns false with one line
    /// per candidate tried and why it failed.
    /// </summary>
    public static bool TryLoad(IReadOnlyList<string> candidates, out IntPtr handle, out string loaded, out string failures)
    {
        var reasons = new List<string>();
        foreach (string candidate in candidates)
        {
            try
            {
                handle = NativeLibrary.Load(candidate);
                loaded = candidate;
                failures = "";
                return true;
            }
            catch (DllNotFoundException)
            {
                bool isPath = candidate.Contains('/');
                reasons.Add(isPath && !File.Exists(candidate) ? $"{candidate}: no such file"
                    : isPath ? $"{candidate}: not a loadable library (or its dependencies are missing)"
                    : $"{candidate}: not found by the dynamic loader");
            }
            catch (BadImageFormatException)
            {
                reasons.Add($"{candidate}: not a library for this platform");
            }
        }
        handle = IntPtr.Zero;
        loaded = "";
        failures = string.Join("; ", reasons);
        return false;
    }

    /// <summary>The version of a file named libnvrtc.so.N[.M[.P]] as comparable numbers; null for other names (libnvrtc.so, libnvrtc-builtins…).</summary>
    internal static Version? NvrtcVersion(string fileName)
    {
        const string prefix = "libnvrtc.so.";
        if (!fileName.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        string[] parts = fileName[prefix.Length..].Split('.');
        if (parts.Length is 0 or > 3 || parts.Any(p => p.Length == 0 || !p.All(char.IsAsciiDigit)))
            return null;
        int[] numbers = parts.Select(int.Parse).Concat([0, 0]).Take(3).ToArray();
        return new Version(numbers[0], numbers[1], numbers[2]);
    }
}
