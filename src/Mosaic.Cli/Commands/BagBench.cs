using System.CommandLine;
using System.Diagnostics;
using Mosaic.Ros.Bags;
using Mosaic.Ros.Images;
using Mosaic.Ros.Messages;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic bench bag PATH</c>: bag read throughput against raw file reads, and JPEG decode rate.</summary>
internal static class BagBench
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "Bag directory or storage file." };
        var repeats = new Option<int>("--repeats") { Description = "Passes over the bag (best is reported).", DefaultValueFactory = _ => 3 };
        var command = new Command("bag", "Read throughput of a bag as a ratio to reading its files' raw bytes; CompressedImage (JPEG) -> RGB images/s.")
        {
            path, repeats,
        };
        command.SetAction(parse =>
        {
            string bag = parse.GetValue(path)!;
            int n = Math.Max(1, parse.GetValue(repeats));
            using var reader = Rosbag2Reader.Open(bag);
            long bytes = reader.Files.Sum(f => new FileInfo(f).Length);
            // Streamed through one reused buffer: what reading the bytes costs, without a fresh array of the file's size.
            var buffer = new byte[1 << 20];
            double raw = Best(n, () =>
            {
                foreach (var f in reader.Files)
                {
                    using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                    while (stream.Read(buffer) > 0) { }
                }
            });
            long messages = 0;
            double read = Best(n, () => { messages = 0; foreach (var _ in reader.ReadMessages()) messages++; });
            var jpegs = reader.ReadMessages().Where(m => m.Topic.Type == CompressedImage.Definition.Name)
                .Select(Rosbag2Reader.Decode<CompressedImage>).Where(c => Jpeg.IsJpeg(c.Data)).ToList();
            double decode = jpegs.Count == 0 ? 0 : Best(n, () => { foreach (var image in jpegs) ImageCodecs.DecodeColor(image); });
            Console.WriteLine($"bag: {bag} ({reader.StorageIdentifier}, {bytes / 1048576.0:F1} MiB, {messages} messages)");
            Console.WriteLine($"raw file read:    {raw * 1000:F1} ms  ({bytes / 1048576.0 / raw:F0} MiB/s)");
            Console.WriteLine($"read all messages: {read * 1000:F1} ms  ({bytes / 1048576.0 / read:F0} MiB/s, {read / raw:F2}x the raw read time)");
            if (jpegs.Count > 0)
            {
                Console.WriteLine($"JPEG -> RGB:      {jpegs.Count / decode:F0} images/s ({jpegs.Count} images, {jpegs[0].Data.Length / 1024} KiB first)");
            }
            return 0;
        });
        return command;
    }

    private static double Best(int repeats, Action action)
    {
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return best;
    }
}
