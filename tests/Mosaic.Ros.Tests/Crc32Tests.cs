using Mosaic.Ros.Compression;

namespace Mosaic.Ros.Tests;

public class Crc32Tests
{
    // The definition, one bit at a time: the slow, obvious reference.
    private static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
        }
        return ~c;
    }

    [Fact]
    public void The_check_value_of_123456789_is_CBF43926()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
    }

    [Fact]
    public void Every_length_and_every_split_point_match_the_bitwise_definition()
    {
        var random = new Random(7);
        var data = new byte[300];
        random.NextBytes(data);
        for (int length = 0; length <= data.Length; length++)
        {
            var span = data.AsSpan(0, length);
            uint expected = BitwiseCrc(span);
            Assert.Equal(expected, Crc32.Compute(span));
            int split = random.Next(length + 1);
            Assert.Equal(expected, Crc32.Append(Crc32.Compute(span[..split]), span[split..]));
        }
    }
}
