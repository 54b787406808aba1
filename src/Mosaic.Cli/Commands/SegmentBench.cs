using System.CommandLine;
using System.Diagnostics;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Localization.Segmentation;
using Mosaic.Mapping;
using Mosaic.Ros.Bags;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary>
/// <c>mosaic bench segment</c>: query-time cost of a map's segmenter on real images, per output
/// size (the segmenter issue's measurement).
/// </summary>
internal static class SegmentBench
{
    public static Command Create()
    {
        var map = new Option<string>("--map") { Description = "Map directory whose segmenter.yaml is measured.", Required = true };
        var bag = new Option<string>("--bag") { Description = "Drive to take colour images from.", Required = true };
        var topic = new Option<string>("--topic") { Description = "Colour image topic (Image or CompressedImage).", DefaultValueFactory = _ => "/camera/color/image_raw/compressed" };
        var frames = new Option<int>("--frames") { Description = "Images to segment per size.", DefaultValueFactory = _ => 20 };
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated label image sizes WxH.", DefaultValueFactory = _ => "320x240,640x480" };
        var command = new Command("segment", "Time per image of a map's segmenter at given label image sizes (inputs are real images resized so the segmenter's output has that size).")
        {
            map, bag, topic, frames, sizes,
        };
        command.SetAction(parse =>
        {
            try
            {
                var privacyMap = MapDirectory.Load(parse.GetValue(map)!);
                var segmenter = Segmenters.Load(privacyMap.SegmenterDefinition ?? throw new FormatException("the map has no segmenter.yaml"), "segmenter.yaml");
                var images = ReadImages(parse.GetValue(bag)!, parse.GetValue(topic)!, Math.Max(1, parse.GetValue(frames)));
                var table = new Table().AddColumns("labels (W x H)", "input (W x H)", "median ms", "p95 ms", "images");
                foreach (string size in parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var parts = size.Split('x');
                    if (parts.Length != 2 || !int.TryParse(parts[0], out int w) || !int.TryParse(parts[1], out int h) || w < 1 || h < 1)
                        throw new ArgumentException($"--sizes: '{size}' is not WxH");
                    var inputs = images.Select(i => Resize(i, w << segmenter.Level, h << segmenter.Level)).ToList();
                    BenchCommand.WarmUp(() => inputs.ForEach(input => segmenter.Segment(input)));
                    var times = new List<double>();
                    foreach (var input in inputs)
                    {
                        var clock = Stopwatch.StartNew();
                        segmenter.Segment(input);
                        times.Add(clock.Elapsed.TotalMilliseconds);
                    }
                    times.Sort();
                    table.AddRow(size, $"{inputs[0].Width}x{inputs[0].Height}", $"{times[times.Count / 2]:F1}", $"{times[(int)Math.Ceiling(0.95 * times.Count) - 1]:F1}", $"{times.Count}");
                }
                AnsiConsole.MarkupLine($"segmenter {segmenter.GetType().Name}, K = {segmenter.LabelCount}, level {segmenter.Level}, {Environment.ProcessorCount} cores");
                AnsiConsole.Write(table);
                return 0;
            }
            catch (Exception e) when (e is MapFormatException or IOException or FormatException or ArgumentException or InvalidDataException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static List<RgbImage> ReadImages(string bagPath, string topic, int count)
    {
        var images = new List<RgbImage>();
        using var bag = Rosbag2Reader.Open(bagPath);
        foreach (var message in bag.ReadMessages(new BagReadOptions(new HashSet<string> { topic })))
        {
            images.Add(DriveMessages.DecodeColor(message));
            if (images.Count == count)
                break;
        }
        return images.Count > 0 ? images : throw new ArgumentException($"{bagPath}: no message on {topic}");
    }

    /// <summary>Nearest-neighbour resize: the cost of segmenting depends on the size, not on the content's scale.</summary>
    private static RgbImage Resize(RgbImage image, int width, int height)
    {
        if (image.Width == width && image.Height == height)
            return image;
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            int sy = Math.Min(image.Height - 1, y * image.Height / height);
            for (int x = 0; x < width; x++)
            {
                int sx = Math.Min(image.Width - 1, x * image.Width / width);
                image.Rgb.AsSpan(3 * (sy * image.Width + sx), 3).CopyTo(rgb.AsSpan(3 * (y * width + x), 3));
            }
        }
        return new RgbImage(width, height, rgb);
    }
}
