using System.Runtime.InteropServices;

namespace Mosaic.Ros.Compression;

/// <summary>LZ4 frame format (as MCAP chunks use it) through the system's liblz4.</summary>
public static unsafe class Lz4Frame
{
    private const uint Version = 100;

    /// <summary>Compresses <paramref name="source"/> into one LZ4 frame with default preferences.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> source)
    {
        NativeLibraries.Require(NativeLibraries.Lz4);
        var destination = new byte[(int)LZ4F_compressFrameBound((nuint)source.Length, null)];
        nuint written;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            written = LZ4F_compressFrame(dst, (nuint)destination.Length, src, (nuint)source.Length, null);
        }
        Check(written, "compress");
        Array.Resize(ref destination, (int)written);
        return destination;
    }

    /// <summary>Decompresses a frame whose content must be exactly <paramref name="expectedSize"/> bytes.</summary>
    public static byte[] Decompress(ReadOnlySpan<byte> source, long expectedSize)
    {
        NativeLibraries.Require(NativeLibraries.Lz4);
        // LZ4 cannot expand more than ~255:1, so a larger declared size is corrupt; refuse it before allocating.
        if (expectedSize < 0 || expectedSize > Array.MaxLength || expectedSize > (long)source.Length * 256 + 64)
        {
            throw new CompressionException($"lz4: declared size {expectedSize} is not possible for {source.Length} compressed bytes");
        }
        IntPtr context;
        Check(LZ4F_createDecompressionContext(&context, Version), "create context");
        try
        {
            var destination = new byte[expectedSize];
            fixed (byte* src = source)
            fixed (byte* dst = destination)
            {
                nuint consumedTotal = 0, producedTotal = 0, hint = 1;
                while (consumedTotal < (nuint)source.Length)
                {
                    nuint srcSize = (nuint)source.Length - consumedTotal;
                    nuint dstSize = (nuint)destination.Length - producedTotal;
                    hint = LZ4F_decompress(context, dst + producedTotal, &dstSize, src + consumedTotal, &srcSize, null);
                    Check(hint, "decompress");
                    consumedTotal += srcSize;
                    producedTotal += dstSize;
                    if (srcSize == 0 && dstSize == 0)
                    {
                        break;
                    }
                }
                if (hint != 0)
                {
                    throw new CompressionException("lz4: input ends inside a frame (truncated)");
                }
                if ((long)producedTotal != expectedSize)
                {
                    throw new CompressionException($"lz4: decompressed {producedTotal} bytes but {expectedSize} were declared");
                }
            }
            return destination;
        }
        finally
        {
            LZ4F_freeDecompressionContext(context);
        }
    }

    private static void Check(nuint code, string what)
    {
        if (LZ4F_isError(code) != 0)
        {
            throw new CompressionException($"lz4 {what}: {Marshal.PtrToStringAnsi(LZ4F_getErrorName(code))}");
        }
    }

    [DllImport(NativeLibraries.Lz4)] private static extern nuint LZ4F_compressFrameBound(nuint srcSize, void* preferences);
    [DllImport(NativeLibraries.Lz4)] private static extern nuint LZ4F_compressFrame(byte* dst, nuint dstCapacity, byte* src, nuint srcSize, void* preferences);
    [DllImport(NativeLibraries.Lz4)] private static extern nuint LZ4F_createDecompressionContext(IntPtr* context, uint version);
    [DllImport(NativeLibraries.Lz4)] private static extern nuint LZ4F_freeDecompressionContext(IntPtr context);
    [DllImport(NativeLibraries.Lz4)] private static extern nuint LZ4F_decompress(IntPtr context, byte* dst, nuint* dstSize, byte* src, nuint* srcSize, void* options);
    [DllImport(NativeLibraries.Lz4)] private static extern uint LZ4F_isError(nuint code);
    [DllImport(NativeLibraries.Lz4)] private static extern IntPtr LZ4F_getErrorName(nuint code);
}
