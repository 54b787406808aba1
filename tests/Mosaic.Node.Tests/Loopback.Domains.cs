namespace Mosaic.Transport.Dds.Tests;

internal static partial class Loopback
{
    private const int FirstDomain = 160;
}
