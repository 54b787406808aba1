using System.CommandLine;
using System.Globalization;
using Mosaic.Mapping;
using Mosaic.Ros.Bags;
using Mosaic.Ros.Import;
using Spectre.Console;
using static Mosaic.Cli.Units;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic bag info</c>, <c>convert</c> and <c>import-7scenes</c>: rosbag2 tooling.</summary>
internal static class BagCommand
{
    public static Command Create() => new("bag", "Inspect rosbag2 recordings and make them from datasets.")
    {
        Info(),
        Convert(),
        Import7Scenes(),
    };

    private static Command Info()
    {
        var path = new Argument<string>("path") { Description = "Bag directory, metadata.yaml, or a bare .db3 / .mcap file." };
        var command = new Command("info", "Summarize a bag like `ros2 bag info`: storage, duration, counts, types, sizes.") { path };
        command.SetAction(parse =>
        {
            string bag = parse.GetValue(path)!;
            try
            {
                using var reader = Rosbag2Reader.Open(bag);
                var statistics = reader.Statistics();
                long count = statistics.Values.Sum(s => s.MessageCount);
                long start = statistics.Count > 0 ? statistics.Values.Min(s => s.StartTime) : 0;
                long end = statistics.Count > 0 ? statistics.Values.Max(s => s.EndTime) : 0;
                long bytes = reader.Files.Sum(f => new FileInfo(f).Length);
                var grid = new Grid().AddColumn().AddColumn();
                grid.AddRow("Files:", Markup.Escape(string.Join(", ", reader.Files.Select(Path.GetFileName))));
                grid.AddRow("Bag size:", FormatBytes(bytes));
                grid.AddRow("Storage id:", reader.StorageIdentifier);
                grid.AddRow("Metadata:", reader.Metadata switch
                {
                    null => "none",
                    var m when reader.MetadataIsEmbedded => $"embedded in the storage file, version {m.Version}",
                    var m => $"{BagMetadata.FileName} version {m.Version}",
                });
                if (reader.Metadata is { RosDistro.Length: > 0 } withDistro)
                {
                    grid.AddRow("ROS distro:", Markup.Escape(withDistro.RosDistro));
                }
                grid.AddRow("Compression:", reader.CompressionMode.Length == 0 ? "none" : $"{reader.Metadata!.CompressionFormat} ({reader.CompressionMode})");
                grid.AddRow("Duration:", count == 0 ? "0 s" : $"{(end - start) * 1e-9:F3} s");
                grid.AddRow("Start:", count == 0 ? "-" : FormatTime(start));
                grid.AddRow("End:", count == 0 ? "-" : FormatTime(end));
                grid.AddRow("Messages:", count.ToString("N0", CultureInfo.InvariantCulture));
                AnsiConsole.Write(grid);
                var table = new Table().AddColumns("topic", "type", "count", "serialization", "definition");
                foreach (var topic in reader.Topics)
                {
                    long n = statistics.TryGetValue(topic.Name, out var s) ? s.MessageCount : 0;
                    string definition = reader.DecoderFor(topic.Type) is null ? "[yellow]none[/]" : "known";
                    table.AddRow(Markup.Escape(topic.Name), Markup.Escape(topic.Type), n.ToString("N0", CultureInfo.InvariantCulture),
                        topic.SerializationFormat == "cdr" ? "cdr" : $"[red]{Markup.Escape(topic.SerializationFormat)}[/]", definition);
                }
                AnsiConsole.Write(table);
                var cameras = DriveTopics.Cameras(reader);
                if (cameras.Count > 0)
                {
                    // What the first message of each camera topic says: the frames and sizes the parameters must name.
                    var cameraTable = new Table().AddColumns("camera topic", "frame_id", "first message", "rate");
                    foreach (var camera in cameras)
                    {
                        var s = statistics.GetValueOrDefault(camera.Topic);
                        string rate = s is { MessageCount: > 1 } && s.EndTime > s.StartTime
                            ? $"{(s.MessageCount - 1) / ((s.EndTime - s.StartTime) * 1e-9):0.#} Hz" : "-";
                        cameraTable.AddRow(Markup.Escape(camera.Topic), Markup.Escape(camera.FrameId), Markup.Escape(camera.Description), rate);
                    }
                    AnsiConsole.Write(cameraTable);
                }
                foreach (var warning in reader.Warnings)
                {
                    AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
                }
                return 0;
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command Convert()
    {
        var input = new Argument<string>("input") { Description = "Bag directory, metadata.yaml, or a bare .db3 / .mcap file." };
        var output = new Option<string>("--out") { Description = "Bag directory to create (must not exist).", Required = true };
        var storage = new Option<string>("--storage") { Description = "mcap or sqlite3.", DefaultValueFactory = _ => "mcap" };
        var compression = new Option<string>("--compression") { Description = "MCAP chunk compression: zstd, lz4 or none.", DefaultValueFactory = _ => "zstd" };
        var maxSize = new Option<double>("--max-file-size") { Description = "Split into files of about this many MiB (0 = one file).", DefaultValueFactory = _ => 0 };
        var maxDuration = new Option<double>("--max-file-duration") { Description = "Split into files spanning at most this many seconds (0 = no limit).", DefaultValueFactory = _ => 0 };
        var topics = new Option<string[]>("--topics") { Description = "Copy only these topics (default: all).", AllowMultipleArgumentsPerToken = true };
        var start = new Option<double>("--start") { Description = "Skip messages before this many seconds after the bag's first message.", DefaultValueFactory = _ => 0 };
        var end = new Option<double>("--end") { Description = "Stop after this many seconds after the bag's first message (-1 = the end).", DefaultValueFactory = _ => -1 };
        var command = new Command("convert", "Copy a bag into another storage, compression or split, optionally a subset of topics or a time range (like `ros2 bag convert`).")
        {
            input, output, storage, compression, maxSize, maxDuration, topics, start, end,
        };
        command.SetAction(parse =>
        {
            string outPath = parse.GetValue(output)!;
            try
            {
                using var reader = Rosbag2Reader.Open(parse.GetValue(input)!);
                var statistics = reader.Statistics();
                long first = statistics.Count > 0 ? statistics.Values.Min(s => s.StartTime) : 0;
                string[] selected = parse.GetValue(topics) ?? [];
                var unknown = selected.Where(t => reader.Topics.All(bagTopic => bagTopic.Name != t)).ToList();
                if (unknown.Count > 0)
                {
                    throw new ArgumentException($"the bag has no topic {string.Join(", ", unknown)}");
                }
                double endSeconds = parse.GetValue(end);
                var options = new BagConvertOptions
                {
                    Read = new BagReadOptions(
                        selected.Length > 0 ? selected.ToHashSet() : null,
                        first + (long)(parse.GetValue(start) * 1e9),
                        endSeconds < 0 ? long.MaxValue : first + (long)(endSeconds * 1e9)),
                    Write = new Rosbag2WriterOptions
                    {
                        StorageIdentifier = parse.GetValue(storage)!,
                        McapCompression = parse.GetValue(compression) is "none" ? "" : parse.GetValue(compression)!,
                        MaxFileSize = (long)(parse.GetValue(maxSize) * 1024 * 1024),
                        MaxFileDuration = TimeSpan.FromSeconds(parse.GetValue(maxDuration)),
                    },
                };
                BagConvertResult? result = null;
                AnsiConsole.Progress().Start(context =>
                {
                    var task = context.AddTask("copying messages", maxValue: 1);
                    result = BagConverter.Convert(reader, outPath, options, new Progress<double>(p => task.Value = p));
                    task.Value = 1;
                });
                AnsiConsole.MarkupLine($"Wrote [bold]{result!.Messages:N0}[/] messages in {result.Files} file(s), {FormatBytes(result.Bytes)}, to {Markup.Escape(outPath)}");
                foreach (var warning in reader.Warnings)
                {
                    AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
                }
                return 0;
            }
            catch (Exception e) when (e is IOException or FormatException or ArgumentException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command Import7Scenes()
    {
        var source = new Option<string>("--source") { Description = "7-Scenes scene folder (frames/, rgb-poses-dslam.txt).", Required = true };
        var output = new Option<string>("--out") { Description = "Bag directory to create (must not exist).", Required = true };
        var first = new Option<int>("--first") { Description = "First frame index.", DefaultValueFactory = _ => 0 };
        var last = new Option<int>("--last") { Description = "Last frame index (inclusive); -1 = the last frame.", DefaultValueFactory = _ => -1 };
        var step = new Option<int>("--step") { Description = "Keep every n-th frame.", DefaultValueFactory = _ => 1 };
        var storage = new Option<string>("--storage") { Description = "mcap (zstd chunks) or sqlite3.", DefaultValueFactory = _ => "mcap" };
        var drift = new Option<double>("--odom-drift") { Description = "Synthetic /odom error, metres per metre travelled, along one seeded body direction (0 = exact ground truth).", DefaultValueFactory = _ => 0 };
        var rotationDrift = new Option<double>("--odom-rotation-drift") { Description = "Synthetic /odom heading error, radians per radian turned, about one seeded axis.", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--odom-seed") { Description = "Seed of the drift directions.", DefaultValueFactory = _ => 1 };
        var command = new Command("import-7scenes", "Write a rosbag2 from a Microsoft 7-Scenes sequence (see README: topics and frames).")
        {
            source, output, first, last, step, storage, drift, rotationDrift, seed,
        };
        command.SetAction(parse =>
        {
            var options = new SevenScenesImportOptions
            {
                Source = parse.GetValue(source)!,
                Output = parse.GetValue(output)!,
                FirstFrame = parse.GetValue(first),
                LastFrame = parse.GetValue(last),
                Step = parse.GetValue(step),
                Storage = parse.GetValue(storage)!,
                OdometryDrift = parse.GetValue(drift),
                OdometryRotationDrift = parse.GetValue(rotationDrift),
                OdometrySeed = parse.GetValue(seed),
            };
            try
            {
                SevenScenesImportResult? result = null;
                AnsiConsole.Progress().Start(context =>
                {
                    var task = context.AddTask("importing frames", maxValue: 1);
                    result = SevenScenesImporter.Import(options, new Progress<double>(p => task.Value = p));
                    task.Value = 1;
                });
                AnsiConsole.MarkupLine($"Wrote [bold]{result!.Frames}[/] frames ({FormatBytes(result.Bytes)}) to {Markup.Escape(options.Output)}; " +
                    $"ground truth {Markup.Escape(result.TumPath)}" + (result.SkippedWithoutPose > 0 ? $"; {result.SkippedWithoutPose} frames without a pose skipped" : ""));
                return 0;
            }
            catch (Exception e) when (e is IOException or FormatException or ArgumentException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static string FormatTime(long nanoseconds) =>
        $"{DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100):yyyy-MM-dd HH:mm:ss.fff} UTC ({nanoseconds * 1e-9:F9})";
}
