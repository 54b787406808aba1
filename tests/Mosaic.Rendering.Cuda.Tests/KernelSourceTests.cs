using System.Text.RegularExpressions;

namespace Mosaic.Rendering.Cuda.Tests;

/// <summary>The translation unit NVRTC compiles is the one the emulated device was built from.</summary>
public partial class KernelSourceTests
{
    [Fact]
    public void Every_file_is_assembled_in_order_with_line_markers()
    {
        string text = KernelSource.Text;
        int last = -1;
        foreach (string file in KernelSource.Files)
        {
            int at = text.IndexOf($"#line 1 \"{file}\"\n", StringComparison.Ordinal);
            Assert.True(at > last, $"{file} is missing or out of order");
            last = at;
            Assert.Contains(KernelSource.ReadFile(file), text);
        }
    }

    [Fact]
    public void The_kernel_list_matches_the_kernels_defined_and_the_emulators_table()
    {
        string text = KernelSource.Text;
        var defined = KernelDefinition().Matches(text).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(KernelSource.Kernels.Order(), defined.Order());
        string table = KernelListMacro().Match(text).Groups[1].Value;
        var listed = KernelListEntry().Matches(table).Select(m => m.Groups[1].Value);
        Assert.Equal(KernelSource.Kernels.Order(), listed.Order());
    }

    [Fact]
    public void The_nvrtc_prelude_uses_no_headers()
    {
        // NVRTC compiles without the CUDA toolkit's include directory; the kernels must not need it.
        Assert.DoesNotContain("#include", KernelSource.Text);
    }

    [GeneratedRegex(@"MOSAIC_KERNEL void (\w+)\(const MosaicArgs a\)")]
    private static partial Regex KernelDefinition();

    [GeneratedRegex(@"#define MOSAIC_KERNEL_LIST\(X\)((?:[^\n]*\\\n)*[^\n]*)")]
    private static partial Regex KernelListMacro();

    [GeneratedRegex(@"X\((\w+)\)")]
    private static partial Regex KernelListEntry();
}
