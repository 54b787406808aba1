using System.Security.Cryptography;
using System.Text.Json;
using Mosaic.Ros.Mcap;
using Xunit.Abstractions;

namespace Mosaic.Ros.Tests;

/// <summary>
/// The MCAP conformance suite (foxglove/mcap): each variant's JSON lists the records of the expected
/// file; its .lfs-pointer holds the sha256 of the exact bytes. Our writer is fed the variant's input
/// records with the options its feature codes name, and must reproduce those bytes.
/// </summary>
public class McapConformanceTests(ITestOutputHelper output)
{
    // "pad" variants add padding bytes to records to test readers' forward compatibility; a writer never emits them.
    private static readonly HashSet<string> WriterFeatures = ["ch", "mx", "chx", "st", "rsh", "rch", "sum", "ax", "mdx"];

    public static TheoryData<string> Variants()
    {
        var data = new TheoryData<string>();
        foreach (var json in Directory.EnumerateFiles(SharedData.Path("mcap-conformance"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var features = Features(json);
            if (features.All(WriterFeatures.Contains))
            {
                data.Add(Path.GetRelativePath(SharedData.Path("mcap-conformance"), json));
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Writer_reproduces_the_variant_byte_for_byte(string variant)
    {
        string json = SharedData.Path("mcap-conformance", variant);
        byte[] written = Write(json);
        string expected = File.ReadAllLines(Path.ChangeExtension(json, ".mcap.lfs-pointer"))
            .Single(l => l.StartsWith("oid sha256:", StringComparison.Ordinal))["oid sha256:".Length..];
        string actual = Convert.ToHexStringLower(SHA256.HashData(written));
        output.WriteLine($"{variant}: {written.Length} bytes, sha256 {actual}");
        Assert.Equal(expected, actual);

        // And our reader reads back what the JSON lists.
        using var reader = McapReader.Open(WriteTemp(written));
        var expectedMessages = Records(json).Count(r => r.GetProperty("type").GetString() == "Message");
        Assert.Equal(expectedMessages, reader.ReadMessages().Count());
    }

    private static string WriteTemp(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"mosaic-conformance-{Guid.NewGuid():N}.mcap");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static List<string> Features(string json)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        return document.RootElement.GetProperty("meta").GetProperty("variant").GetProperty("features")
            .EnumerateArray().Select(f => f.GetString()!).ToList();
    }

    private static List<JsonElement> Records(string json) =>
        JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("records").EnumerateArray().ToList();

    private static byte[] Write(string json)
    {
        var features = Features(json).ToHashSet();
        var records = Records(json);
        var header = Fields(records.First(r => r.GetProperty("type").GetString() == "Header"));
        var options = new McapWriterOptions
        {
            Profile = header["profile"].GetString()!,
            Library = header["library"].GetString()!,
            UseChunks = features.Contains("ch"),
            Compression = "",
            MessageIndexes = features.Contains("mx"),
            ChunkIndexes = features.Contains("chx"),
            Statistics = features.Contains("st"),
            RepeatSchemas = features.Contains("rsh"),
            RepeatChannels = features.Contains("rch"),
            SummaryOffsets = features.Contains("sum"),
            AttachmentIndexes = features.Contains("ax"),
            MetadataIndexes = features.Contains("mdx"),
        };
        var stream = new MemoryStream();
        using (var writer = new McapWriter(stream, options))
        {
            // Only the data section is input; what follows DataEnd is what the writer must derive.
            foreach (var record in records.TakeWhile(r => r.GetProperty("type").GetString() != "DataEnd"))
            {
                var f = Fields(record);
                switch (record.GetProperty("type").GetString())
                {
                    case "Schema":
                        Assert.Equal(ushort.Parse(f["id"].GetString()!), writer.AddSchema(f["name"].GetString()!, f["encoding"].GetString()!, Bytes(f["data"])));
                        break;
                    case "Channel":
                        Assert.Equal(ushort.Parse(f["id"].GetString()!), writer.AddChannel(ushort.Parse(f["schema_id"].GetString()!),
                            f["topic"].GetString()!, f["message_encoding"].GetString()!, StringMap(f["metadata"])));
                        break;
                    case "Message":
                        writer.WriteMessage(ushort.Parse(f["channel_id"].GetString()!), uint.Parse(f["sequence"].GetString()!),
                            ulong.Parse(f["log_time"].GetString()!), ulong.Parse(f["publish_time"].GetString()!), Bytes(f["data"]));
                        break;
                    case "Attachment":
                        writer.AddAttachment(ulong.Parse(f["log_time"].GetString()!), ulong.Parse(f["create_time"].GetString()!),
                            f["name"].GetString()!, f["media_type"].GetString()!, Bytes(f["data"]));
                        break;
                    case "Metadata":
                        writer.AddMetadata(f["name"].GetString()!, StringMap(f["metadata"]));
                        break;
                }
            }
        }
        return stream.ToArray();
    }

    private static Dictionary<string, JsonElement> Fields(JsonElement record) =>
        record.GetProperty("fields").EnumerateArray().ToDictionary(p => p[0].GetString()!, p => p[1]);

    private static byte[] Bytes(JsonElement array) => array.EnumerateArray().Select(b => byte.Parse(b.GetString()!)).ToArray();

    private static Dictionary<string, string> StringMap(JsonElement map) =>
        map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
}
