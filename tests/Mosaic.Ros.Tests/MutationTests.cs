using Mosaic.Ros.Bags;
using Mosaic.Ros.Cdr;
using Mosaic.Ros.Compression;
using Mosaic.Ros.Images;
using Mosaic.Ros.Mcap;
using Mosaic.Ros.Messages;
using Xunit.Abstractions;

namespace Mosaic.Ros.Tests;

/// <summary>
/// Fault injection over real data: truncated, bit-flipped and length-corrupted messages and bag files
/// must fail with this library's own exception types (or read fine), never crash or allocate wildly.
/// </summary>
public class MutationTests(ITestOutputHelper output)
{
    private static readonly Type[] Expected =
    [
        typeof(CdrException), typeof(McapFormatException), typeof(BagFormatException), typeof(CompressionException),
        typeof(ImageFormatException), typeof(NotSupportedException),
    ];

    [Fact]
    public void Mutated_real_messages_decode_or_fail_with_a_cdr_error()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "rosbags-rs", "test_bag_mcap"));
        var random = new Random(7);
        int mutants = 0;
        foreach (var message in reader.ReadMessages())
        {
            var decoder = reader.DecoderFor(message.Topic.Type);
            if (decoder is null) continue;
            byte[] original = message.Data.ToArray();
            foreach (var mutant in Mutants(original, random, 12))
            {
                mutants++;
                Check(() => decoder.Decode(mutant));
                if (MessageRegistry.IsKnown(message.Topic.Type)) Check(() => MessageRegistry.Decode(message.Topic.Type, mutant));
            }
        }
        output.WriteLine($"{mutants} message mutants");
        Assert.True(mutants > 1000);
    }

    [Theory]
    [InlineData("evo/nav2_turtlebot.mcap")]
    [InlineData("rosbag2/rosbag2_py/test/resources/mcap/talker/talker.mcap")]
    [InlineData("evo/tf_example/tf_example.db3")]
    [InlineData("rosbag2/rosbag2_cpp/test/rosbag2_cpp/bags/only_topics.mcap")]
    [InlineData("rosbag2/rosbag2_tests/resources/sqlite3/cdr_test/cdr_test_0.db3")]
    public void Mutated_real_bag_files_read_or_fail_with_a_format_error(string relative)
    {
        byte[] original = File.ReadAllBytes(SharedData.Path("bags", relative));
        var random = new Random(11);
        using var temp = new TempDirectory();
        AllocatedReading(temp.Combine($"warm-up{Path.GetExtension(relative)}"), original);
        long clean = AllocatedReading(temp.Combine($"intact{Path.GetExtension(relative)}"), original);
        int mutants = 0;
        long most = 0;
        foreach (var mutant in Mutants(original, random, 40))
        {
            most = Math.Max(most, AllocatedReading(temp.Combine($"m{mutants++}{Path.GetExtension(relative)}"), mutant));
        }
        output.WriteLine($"{relative}: {mutants} file mutants, at most {most / 1024} KiB allocated by one, {clean / 1024} KiB reading the intact file ({original.Length / 1024} KiB)");
        // A corrupt length must never turn into a huge allocation: no mutant costs much more than the intact file.
        Assert.True(most < 2 * clean + (1 << 20), $"a mutant allocated {most} bytes, the intact file {clean}");
    }

    /// <summary>
    /// Writes the bytes as a bag file, reads its embedded metadata, statistics and every message, decodes
    /// them, and returns the bytes this thread allocated doing so.
    /// </summary>
    private static long AllocatedReading(string path, byte[] contents)
    {
        File.WriteAllBytes(path, contents);
        // Per thread: xUnit runs other test classes in parallel, and their allocations must not count here.
        long before = GC.GetAllocatedBytesForCurrentThread();
        Check(() =>
        {
            using var reader = Rosbag2Reader.Open(path);
            _ = reader.Metadata;
            _ = reader.Statistics();
            foreach (var message in reader.ReadMessages())
            {
                reader.DecoderFor(message.Topic.Type)?.Decode(message.Data.Span);
            }
        });
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        File.Delete(path);
        return allocated;
    }

    private static void Check(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (Expected.Contains(e.GetType()))
        {
        }
    }

    private static IEnumerable<byte[]> Mutants(byte[] original, Random random, int count)
    {
        for (int i = 0; i < count; i++)
        {
            byte[] mutant = (byte[])original.Clone();
            switch (i % 3)
            {
                case 0: // truncate
                    yield return mutant.AsSpan(0, random.Next(mutant.Length)).ToArray();
                    continue;
                case 1: // flip a few bytes
                    for (int k = 0; k < 1 + random.Next(4); k++) mutant[random.Next(mutant.Length)] ^= (byte)(1 + random.Next(255));
                    break;
                default: // plant a huge little-endian length at an aligned position
                    int at = random.Next(Math.Max(1, mutant.Length / 4)) * 4;
                    if (at + 4 <= mutant.Length) BitConverter.TryWriteBytes(mutant.AsSpan(at), random.Next(2) == 0 ? int.MaxValue : random.Next(1 << 16, 1 << 30));
                    break;
            }
            yield return mutant;
        }
    }
}
