namespace Mosaic.Rendering.Cuda;

/// <summary>
/// Compiled kernel modules on disk, one file per key (<see cref="KernelSource.CacheKey"/>), so that
/// NVRTC runs once per source, options and device rather than at every start. Writes are atomic
/// (temporary file, then rename); a cache that cannot be written is not an error, only slower.
/// </summary>
public sealed class ModuleCache
{
    /// <summary>Uses <paramref name="directory"/>, created when needed.</summary>
    public ModuleCache(string directory) => Directory = directory;

    /// <summary>Where the modules are kept.</summary>
    public string Directory { get; }

    /// <summary>
    /// The default place: <c>$MOSAIC_CUDA_CACHE</c>, else <c>$XDG_CACHE_HOME/mosaic/cuda</c>, else
    /// <c>~/.cache/mosaic/cuda</c>.
    /// </summary>
    public static string DefaultDirectory()
    {
        string? explicitDirectory = Environment.GetEnvironmentVariable("MOSAIC_CUDA_CACHE");
        if (!string.IsNullOrEmpty(explicitDirectory))
            return explicitDirectory;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "mosaic", "cuda");
    }

    /// <summary>The module stored under <paramref name="key"/>, or null.</summary>
    public byte[]? TryRead(string key)
    {
        string path = PathOf(key);
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            return bytes.Length > 0 ? bytes : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Stores <paramref name="module"/> under <paramref name="key"/>; returns why not, or null when stored.</summary>
    public string? TryWrite(string key, byte[] module)
    {
        string path = PathOf(key);
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllBytes(temporary, module);
            File.Move(temporary, path, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The directory itself is unusable; nothing was left behind worth reporting.
            }
            return $"cannot write the module cache {Directory}: {e.Message}";
        }
    }

    /// <summary>Forgets the module under <paramref name="key"/> (one the driver refused to load).</summary>
    public void Remove(string key)
    {
        try
        {
            File.Delete(PathOf(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left in place: the next load fails the same way and compiles again.
        }
    }

    private string PathOf(string key)
    {
        if (key.Length == 0 || !key.All(char.IsAsciiHexDigitLower))
            throw new ArgumentException($"module cache key '{key}' is not a lower-case hex digest", nameof(key));
        return Path.Combine(Directory, key + ".cubin");
    }
}
