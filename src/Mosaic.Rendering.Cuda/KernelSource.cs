using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Mosaic.Rendering.Cuda;

/// <summary>
/// The CUDA C++ source NVRTC compiles: the embedded kernel files (kernels/*.cu, *.cuh) joined into one
/// translation unit in a fixed order, each preceded by a <c>#line</c> directive so that compiler
/// messages name the original file and line.
/// </summary>
public static class KernelSource
{
    /// <summary>The embedded files in translation-unit order (the prelude first).</summary>
    public static IReadOnlyList<string> Files { get; } =
        ["prelude_nvrtc.cuh", "mosaic_kernels.cuh", "project.cu", "bin.cu", "raster.cu", "reduce.cu"];

    /// <summary>The kernels the translation unit defines, in pipeline order (project, bin, rasterise, reduce).</summary>
    public static IReadOnlyList<string> Kernels { get; } =
    [
        "mosaic_project", "mosaic_count_tiles", "mosaic_scan_groups", "mosaic_scan_tiles", "mosaic_scan_spread", "mosaic_emit_keys", "mosaic_sort_runs", "mosaic_merge_runs",
        "mosaic_render", "mosaic_evaluate", "mosaic_reduce_chunks", "mosaic_reduce_label_chunks", "mosaic_reduce_rows",
    ];

    private static readonly Lazy<string> Assembled = new(Assemble);

    /// <summary>The whole translation unit.</summary>
    public static string Text => Assembled.Value;

    /// <summary>
    /// Lower-case hex SHA-256 of the source, the compiler options and what the code is compiled for
    /// (compiler version, device architecture): the key of a compiled module in the <see cref="ModuleCache"/>.
    /// </summary>
    public static string CacheKey(IEnumerable<string> options, string target)
    {
        var text = new StringBuilder(Text);
        foreach (string option in options)
            text.Append('\0').Append(option);
        text.Append('\0').Append(target);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>One embedded kernel file's text.</summary>
    public static string ReadFile(string name)
    {
        using var stream = typeof(KernelSource).Assembly.GetManifestResourceStream($"Mosaic.Rendering.Cuda.kernels.{name}")
            ?? throw new InvalidOperationException($"kernel file {name} is not embedded in {typeof(KernelSource).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string Assemble()
    {
        var text = new StringBuilder();
        foreach (string file in Files)
        {
            text.Append("#line 1 \"").Append(file).Append("\"\n");
            text.Append(ReadFile(file));
            if (text[^1] != '\n')
                text.Append('\n');
        }
        return text.ToString();
    }
}
