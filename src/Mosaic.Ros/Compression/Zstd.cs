using System.Runtime.InteropServices;

namespace Mosaic.Ros.Compression;

/// <summary>Zstandard through the system's libzstd: whole-buffer and streaming (de)compression.</summary>
public static unsafe class Zstd
{
    private const ulong ContentSizeUnknown = ulong.MaxValue;
    private const ulong ContentSizeError = ulong.MaxValue - 1;

    /// <summary>Compresses <paramref name="source"/> into one frame (with its content size) at <paramref name="level"/>.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> source, int level = 3)
    {
        NativeLibraries.Require(NativeLibraries.Zstd);
        var destination = new byte[(int)ZSTD_compressBound((nuint)source.Length)];
        nuint written;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            written = ZSTD_compress(dst, (nuint)destination.Length, src, (nuint)source.Length, level);
        }
        Check(written, "compress");
        Array.Resize(ref destination, (int)written);
        return destination;
    }

    /// <summary>
    /// Decompresses one or more frames whose total size must be exactly <paramref name="expectedSize"/>
    /// (as an MCAP chunk declares it).
    /// </summary>
    public static byte[] Decompress(ReadOnlySpan<byte> source, long expectedSize)
    {
        NativeLibraries.Require(NativeLibraries.Zstd);
        // A zstd block of at most 128 KiB costs at least 4 bytes, so no frame expands more than 32768:1;
        // a larger declared size is corrupt and is refused before allocating.
        if (expectedSize < 0 || expectedSize > Array.MaxLength || expectedSize > (long)source.Length * 32768 + 1024)
        {
            throw new CompressionException($"zstd: declared size {expectedSize} is not possible for {source.Length} compressed bytes");
        }
        ulong frameSize = FrameContentSize(source);
        if (frameSize != ContentSizeUnknown && frameSize != (ulong)expectedSize)
        {
            // A frame that states its size must agree with the container before we allocate for it.
            var framesTotal = DecompressedSizeOfAllFrames(source);
            if (framesTotal != (ulong)expectedSize)
            {
                throw new CompressionException($"zstd: frames hold {framesTotal} bytes but {expectedSize} were declared");
            }
        }
        var destination = new byte[expectedSize];
        nuint result;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            result = ZSTD_decompress(dst, (nuint)destination.Length, src, (nuint)source.Length);
        }
        Check(result, "decompress");
        if ((long)result != expectedSize)
        {
            throw new CompressionException($"zstd: decompressed {result} bytes but {expectedSize} were declared");
        }
        return destination;
    }

    /// <summary>
    /// Decompresses a buffer whose size is only known from its frame headers (rosbag2 MESSAGE
    /// compression). Refuses outputs larger than <paramref name="maxSize"/>.
    /// </summary>
    public static byte[] Decompress(ReadOnlySpan<byte> source, int maxSize = 1 << 30)
    {
        NativeLibraries.Require(NativeLibraries.Zstd);
        ulong size = DecompressedSizeOfAllFrames(source);
        if (size == ContentSizeError)
        {
            throw new CompressionException("zstd: not a valid zstd frame");
        }
        if (size == ContentSizeUnknown)
        {
            using var input = new MemoryStream(source.ToArray(), writable: false);
            using var output = new MemoryStream();
            DecompressStream(input, output, maxSize);
            return output.ToArray();
        }
        if (size > (ulong)maxSize)
        {
            throw new CompressionException($"zstd: frame declares {size} bytes, more than the {maxSize} allowed");
        }
        return Decompress(source, (long)size);
    }

    /// <summary>Streams <paramref name="input"/> through the decompressor into <paramref name="output"/> (rosbag2 FILE compression).</summary>
    public static void DecompressStream(Stream input, Stream output, long maxSize = long.MaxValue)
    {
        NativeLibraries.Require(NativeLibraries.Zstd);
        IntPtr stream = ZSTD_createDStream();
        if (stream == IntPtr.Zero)
        {
            throw new OutOfMemoryException("zstd: cannot create a decompression stream");
        }
        try
        {
            Check(ZSTD_initDStream(stream), "init stream");
            var inBuffer = new byte[(int)ZSTD_DStreamInSize()];
            var outBuffer = new byte[(int)ZSTD_DStreamOutSize()];
            long total = 0;
            nuint lastHint = 0;
            int read;
            while ((read = input.Read(inBuffer, 0, inBuffer.Length)) > 0)
            {
                fixed (byte* inPtr = inBuffer)
                fixed (byte* outPtr = outBuffer)
                {
                    var zin = new Buffer { Data = inPtr, Size = (nuint)read, Position = 0 };
                    while (zin.Position < zin.Size)
                    {
                        var zout = new Buffer { Data = outPtr, Size = (nuint)outBuffer.Length, Position = 0 };
                        lastHint = ZSTD_decompressStream(stream, &zout, &zin);
                        Check(lastHint, "decompress stream");
                        total += (long)zout.Position;
                        if (total > maxSize)
                        {
                            throw new CompressionException($"zstd: output exceeds the {maxSize} bytes allowed");
                        }
                        output.Write(outBuffer, 0, (int)zout.Position);
                    }
                }
            }
            if (lastHint != 0)
            {
                throw new CompressionException("zstd: input ends inside a frame (truncated file)");
            }
        }
        finally
        {
            ZSTD_freeDStream(stream);
        }
    }

    private static ulong FrameContentSize(ReadOnlySpan<byte> source)
    {
        fixed (byte* src = source)
        {
            return ZSTD_getFrameContentSize(src, (nuint)source.Length);
        }
    }

    private static ulong DecompressedSizeOfAllFrames(ReadOnlySpan<byte> source)
    {
        fixed (byte* src = source)
        {
            return ZSTD_findDecompressedSize(src, (nuint)source.Length);
        }
    }

    private static void Check(nuint code, string what)
    {
        if (ZSTD_isError(code) != 0)
        {
            throw new CompressionException($"zstd {what}: {Marshal.PtrToStringAnsi(ZSTD_getErrorName(code))}");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Buffer
    {
        public byte* Data;
        public nuint Size;
        public nuint Position;
    }

    [DllImport(NativeLibraries.Zstd)] private static extern nuint ZSTD_compressBound(nuint srcSize);
    [DllImport(NativeLibraries.Zstd)] private static extern nuint ZSTD_compress(byte* dst, nuint dstCapacity, byte* src, nuint srcSize, int level);
    [DllImport(NativeLibraries.Zstd)] private static extern nuint ZSTD_decompress(byte* dst, nuint dstCapacity, byte* src, nuint srcSize);
    [DllImport(NativeLibraries.Zstd)] private static extern ulong ZSTD_getFrameContentSize(byte* src, nuint srcSize);
    [DllImport(NativeLibraries.Zstd)] private static extern ulong ZSTD_findDecompressedSize(byte* src, nuint srcSize);
    [DllImport(NativeLibraries.Zstd)] private static extern uint ZSTD_isError(nuint code);
    [DllImport(NativeLibraries.Zstd)] private static extern IntPtr ZSTD_getErrorName(nuint code);
    [DllImport(NativeLibraries.Zstd)] private static extern IntPtr ZSTD_createDStream();
    [DllImport(NativeLibraries.Zstd)] private static extern nuint ZSTD_initDStream(IntPtr stream);
    [DllImport(NativeLibraries.Zstd)] private static extern nuint ZSTD_freeDStream(IntPtr stream);
    [DllImport(NativeLibraries.Zstd)] private static extern nuint ZSTD_DStreamInSize();
    [DllImport(NativeLibraries.Zstd)] private static extern nuint ZSTD_DStreamOutSize();
    [DllImport(NativeLibraries.Zstd)] private static extern nuint ZSTD_decompressStream(IntPtr stream, Buffer* output, Buffer* input);
}
