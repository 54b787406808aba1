using System.Text;
using Mosaic.Ros.Mcap;

namespace Mosaic.Ros.Bags;

/// <summary>Reads a rosbag2 MCAP file: channels are topics, schema names are types, log time is the timestamp.</summary>
internal sealed class McapStorage : IBagStorage
{
    private readonly McapReader _reader;
    private readonly Dictionary<ushort, BagTopic> _topicsByChannel = new();
    private readonly List<string> _warnings = new();

    private McapStorage(McapReader reader)
    {
        _reader = reader;
        // rosbag2 rewrites the record when the bag grows or closes; the last one is the final state.
        var record = reader.Metadata.LastOrDefault(m => m.Name == "rosbag2");
        if (record is not null && record.Values.TryGetValue("serialized_metadata", out var yaml) && yaml.Length > 0)
        {
            try
            {
                EmbeddedMetadata = BagMetadata.Parse(yaml, reader.FilePath, embedded: true);
            }
            catch (BagFormatException e)
            {
                _warnings.Add($"the embedded rosbag2 metadata is unreadable and ignored: {e.Problem}");
            }
        }
        foreach (var channel in reader.Channels.Values.OrderBy(c => c.Id))
        {
            string type = reader.Schemas.TryGetValue(channel.SchemaId, out var schema) ? schema.Name : "";
            channel.Metadata.TryGetValue("offered_qos_profiles", out var qos);
            channel.Metadata.TryGetValue("topic_type_hash", out var hash);
            _topicsByChannel[channel.Id] = new BagTopic(channel.Topic, type, channel.MessageEncoding, qos ?? "", hash ?? "");
        }
    }

    public string FilePath => _reader.FilePath;

    public string StorageIdentifier => "mcap";

    public IReadOnlyList<BagTopic> Topics => _topicsByChannel.Values.ToList();

    public IReadOnlyList<BagMessageDefinition> Definitions =>
        _reader.Schemas.Values.Select(s => new BagMessageDefinition(s.Name, s.Encoding, Encoding.UTF8.GetString(s.Data))).ToList();

    public IReadOnlyList<string> Warnings => _reader.Warnings.Concat(_warnings).ToList();

    public BagMetadata? EmbeddedMetadata { get; }

    public static McapStorage Open(string path) => new(McapReader.Open(path));

    public IReadOnlyDictionary<string, BagTopicStatistics> Statistics()
    {
        var result = new Dictionary<string, BagTopicStatistics>();
        foreach (var (channel, count) in _reader.CountMessages())
        {
            if (!_topicsByChannel.TryGetValue(channel, out var topic)) continue;
            var s = new BagTopicStatistics((long)count.MessageCount, (long)count.FirstLogTime, (long)count.LastLogTime);
            result[topic.Name] = result.TryGetValue(topic.Name, out var other)
                ? new BagTopicStatistics(other.MessageCount + s.MessageCount, Math.Min(other.StartTime, s.StartTime), Math.Max(other.EndTime, s.EndTime))
                : s;
        }
        return result;
    }

    public IEnumerable<BagMessage> Read(IReadOnlySet<string>? topics, long start, long end)
    {
        var channels = _topicsByChannel.Where(p => topics is null || topics.Contains(p.Value.Name)).Select(p => p.Key).ToHashSet();
        if (channels.Count == 0)
        {
            yield break;
        }
        var filter = new McapReadFilter(topics is null ? null : channels, (ulong)Math.Max(0, start), end < 0 ? 0 : (ulong)end);
        foreach (var message in _reader.ReadMessages(filter))
        {
            if (_topicsByChannel.TryGetValue(message.ChannelId, out var topic))
            {
                yield return new BagMessage(topic, (long)message.LogTime, message.Data);
            }
        }
    }

    public void Dispose() => _reader.Dispose();
}
