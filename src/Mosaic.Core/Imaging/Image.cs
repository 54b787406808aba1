namespace Mosaic.Core.Imaging;

/// <summary>A dense row-major single-channel image.</summary>
/// <typeparam name="T">Pixel type: <c>ushort</c> for labels, <c>float</c> for weights and depth.</typeparam>
public sealed class Image<T> where T : unmanaged
{
    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixels, row after row.</summary>
    public T[] Data { get; }

    /// <summary>A new image with every pixel set to default(T).</summary>
    public Image(int width, int height)
        : this(width, height, new T[checked(width * height)])
    {
    }

    /// <summary>An image over existing pixel data of exactly width × height elements.</summary>
    public Image(int width, int height, T[] data)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        if (data.Length != width * height)
            throw new ArgumentException($"{data.Length} pixels given for a {width}x{height} image", nameof(data));
        Width = width;
        Height = height;
        Data = data;
    }

    /// <summary>The pixel at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public ref T this[int x, int y] => ref Data[y * Width + x];

    /// <summary>Row <paramref name="y"/>.</summary>
    public Span<T> Row(int y) => Data.AsSpan(y * Width, Width);

    /// <summary>A deep copy.</summary>
    public Image<T> Clone() => new(Width, Height, (T[])Data.Clone());
}
