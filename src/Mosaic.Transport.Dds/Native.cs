using System.Reflection;
using System.Runtime.InteropServices;

namespace Mosaic.Transport.Dds;

/// <summary>
/// The Cyclone DDS C API (libddsc 0.10, stable <c>dds_*</c> functions) and Mosaic's raw-CDR shim
/// (native/mosaic_dds_shim.c), by P/Invoke. Entities are <c>int</c> handles; negative values are error codes.
/// </summary>
internal static unsafe partial class Native
{
    private const string Ddsc = "ddsc";
    private const string Shim = "mosaic_dds";

    internal const int RetcodePreconditionNotMet = -4;
    internal const uint AnyState = 0x7F;
    internal const short DataRepresentationXcdr1 = 0;

    private static readonly Lazy<string?> LoadProblem = new(FindLibraries);
    private static IntPtr ddscHandle;
    private static IntPtr shimHandle;

    static Native() => NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);

    /// <summary>Throws <see cref="DdsException"/> saying what to install when libddsc or the shim cannot be loaded.</summary>
    internal static void Require()
    {
        if (LoadProblem.Value is { } problem)
        {
            throw new DdsException(problem);
        }
    }

    private static string? FindLibraries()
    {
        // Debian names the library by its SONAME libddsc.so.0debian; upstream builds use libddsc.so.0.
        foreach (var name in new[] { "libddsc.so.0debian", "libddsc.so.0", "libddsc.so" })
        {
            if (NativeLibrary.TryLoad(name, out ddscHandle))
            {
                break;
            }
        }
        if (ddscHandle == IntPtr.Zero)
        {
            return "Cyclone DDS (libddsc) not found; install it with: sudo apt-get install cyclonedds-dev";
        }
        var shim = Path.Combine(AppContext.BaseDirectory, "libmosaic_dds.so");
        if (!File.Exists(shim))
        {
            return $"the DDS shim {shim} was not built; install the Cyclone DDS headers (sudo apt-get install cyclonedds-dev) and rebuild";
        }
        if (!NativeLibrary.TryLoad(shim, out shimHandle))
        {
            return $"the DDS shim {shim} could not be loaded (was it built against another Cyclone DDS version?)";
        }
        return null;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Ddsc && name != Shim)
        {
            return IntPtr.Zero;
        }
        _ = LoadProblem.Value;
        return name == Ddsc ? ddscHandle : shimHandle;
    }

    /// <summary>Cyclone's text for an error code.</summary>
    internal static string Describe(int retcode) => Marshal.PtrToStringUTF8(dds_strretcode(retcode)) ?? $"error {retcode}";

    /// <summary>Returns <paramref name="result"/>, or throws naming <paramref name="what"/> when it is an error code.</summary>
    internal static int Check(int result, string what) =>
        result >= 0 ? result : throw new DdsException($"{what}: {Describe(result)}");

    [StructLayout(LayoutKind.Sequential)]
    internal struct MatchedStatus
    {
        public uint TotalCount;
        public int TotalCountChange;
        public uint CurrentCount;
        public int CurrentCountChange;
        public ulong LastHandle;
    }

    [LibraryImport(Ddsc)] internal static partial IntPtr dds_strretcode(int retcode);
    [LibraryImport(Ddsc, StringMarshalling = StringMarshalling.Utf8)] internal static partial int dds_create_domain(uint domain, string? config);
    [LibraryImport(Ddsc)] internal static partial int dds_create_participant(uint domain, IntPtr qos, IntPtr listener);
    [LibraryImport(Ddsc)] internal static partial int dds_delete(int entity);
    [LibraryImport(Ddsc)] internal static partial IntPtr dds_create_qos();
    [LibraryImport(Ddsc)] internal static partial void dds_delete_qos(IntPtr qos);
    [LibraryImport(Ddsc)] internal static partial void dds_qset_reliability(IntPtr qos, int kind, long maxBlockingTime);
    [LibraryImport(Ddsc)] internal static partial void dds_qset_durability(IntPtr qos, int kind);
    [LibraryImport(Ddsc)] internal static partial void dds_qset_history(IntPtr qos, int kind, int depth);
    [LibraryImport(Ddsc)] internal static partial void dds_qset_writer_data_lifecycle(IntPtr qos, [MarshalAs(UnmanagedType.U1)] bool autodispose);
    [LibraryImport(Ddsc)] internal static partial void dds_qset_data_representation(IntPtr qos, uint n, short* values);
    [LibraryImport(Ddsc)] internal static partial int dds_create_reader(int participant, int topic, IntPtr qos, IntPtr listener);
    [LibraryImport(Ddsc)] internal static partial int dds_create_writer(int participant, int topic, IntPtr qos, IntPtr listener);
    [LibraryImport(Ddsc)] internal static partial int dds_create_waitset(int participant);
    [LibraryImport(Ddsc)] internal static partial int dds_create_readcondition(int reader, uint mask);
    [LibraryImport(Ddsc)] internal static partial int dds_waitset_attach(int waitset, int entity, IntPtr attach);
    [LibraryImport(Ddsc)] internal static partial int dds_waitset_wait(int waitset, IntPtr* attached, nuint count, long relativeTimeout);
    [LibraryImport(Ddsc)] internal static partial int dds_waitset_set_trigger(int waitset, [MarshalAs(UnmanagedType.U1)] bool trigger);
    [LibraryImport(Ddsc)] internal static partial int dds_get_publication_matched_status(int writer, out MatchedStatus status);
    [LibraryImport(Ddsc)] internal static partial int dds_get_subscription_matched_status(int reader, out MatchedStatus status);

    [LibraryImport(Shim, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mosaic_dds_create_topic(int participant, string topic, string type, IntPtr qos, out IntPtr sertype);
    [LibraryImport(Shim)] internal static partial int mosaic_dds_write(int writer, IntPtr sertype, byte* bytes, uint size);
    [LibraryImport(Shim)] internal static partial int mosaic_dds_take(int reader, out IntPtr sample, out uint size, out long sourceTimestamp);
    [LibraryImport(Shim)] internal static partial void mosaic_dds_copy(IntPtr sample, byte* destination, uint size);
    [LibraryImport(Shim)] internal static partial void mosaic_dds_release(IntPtr sample);
}
