namespace Mosaic.Core.Imaging;

/// <summary>Conventions for label values (DESIGN.md §4).</summary>
public static class Labels
{
    /// <summary>The label of pixels that carry no label (invalid, unsegmented, masked out).</summary>
    public const ushort Ignore = ushort.MaxValue;

    /// <summary>The largest label count a map may have: every value below <see cref="Ignore"/>.</summary>
    public const int MaxLabelCount = ushort.MaxValue;
}
