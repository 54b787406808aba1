using System.Reflection;
using System.Runtime.InteropServices;

namespace Mosaic.Ros.Compression;

/// <summary>
/// Finds the Debian/Ubuntu shared libraries this assembly P/Invokes (libzstd, liblz4, libturbojpeg)
/// by their SONAMEs, and turns a missing library into an error that names the package to install.
/// </summary>
internal static class NativeLibraries
{
    internal const string Zstd = "zstd";
    internal const string Lz4 = "lz4";
    internal const string TurboJpeg = "turbojpeg";

    private static readonly Dictionary<string, (string[] Candidates, string Package)> Known = new()
    {
        [Zstd] = (["libzstd.so.1", "libzstd.so", "libzstd.dylib", "zstd.dll"], "libzstd1"),
        [Lz4] = (["liblz4.so.1", "liblz4.so", "liblz4.dylib", "lz4.dll"], "liblz4-1"),
        [TurboJpeg] = (["libturbojpeg.so.0", "libturbojpeg.so", "libturbojpeg.dylib", "turbojpeg.dll"], "libturbojpeg0"),
    };

    private static readonly Dictionary<string, IntPtr> Loaded = new();

    // Every P/Invoke entry point calls Require first, so this runs before the runtime resolves any import.
    static NativeLibraries() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);

    /// <summary>Throws <see cref="DllNotFoundException"/> naming the Debian package when <paramref name="name"/> cannot be loaded.</summary>
    internal static void Require(string name)
    {
        if (Load(name) == IntPtr.Zero)
        {
            var (candidates, package) = Known[name];
            throw new DllNotFoundException(
                $"native library {candidates[0]} not found; install it with: sudo apt-get install {package}");
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        Known.ContainsKey(name) ? Load(name) : IntPtr.Zero;

    private static IntPtr Load(string name)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(name, out var handle))
            {
                return handle;
            }
            handle = IntPtr.Zero;
            foreach (var candidate in Known[name].Candidates)
            {
                if (NativeLibrary.TryLoad(candidate, out handle))
                {
                    break;
                }
            }
            Loaded[name] = handle;
            return handle;
        }
    }
}
