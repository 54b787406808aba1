using System.Text;
using Mosaic.Ros.Mcap;

namespace Mosaic.Ros.Bags;

/// <summary>Reads a rosbag2 MCAP file: channels are topics, schema names are types, log time is the timestamp.</summary>
internal sealed class McapStorage : IBagStorage
{
    private readonly McapReader _reader;
    private readonly Dictionary<ushort, BagTopic> _topicsByChannel = new();

    private McapStorage(McapReader reader)
    {
        _reader = reader;
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

    public IReadOnlyList<string> Warnings => _reader.Warnings;

    public static McapStorage Open(string path) => new(McapReader.Open(path));

    public IReadOnlyDictionary<string, BagTopicStatistics> Statistics()
    {
        var result = new Dictionary<string, (long Count, long Start, long End)>();
        foreach (var message in _reader.ReadMessages())
        {
            if (!_topicsByChannel.TryGetValue(message.ChannelId, out var topic)) continue;
            long t = (long)message.LogTime;
            result[topic.Name] = result.TryGetValue(topic.Name, out var s)
                ? (s.Count + 1, Math.Min(s.Start, t), Math.Max(s.End, t))
                : (1, t, t);
        }
        return result.ToDictionary(p => p.Key, p => new BagTopicStatistics(p.Value.Count, p.Value.Start, p.Value.End));
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
