using System.Text;

namespace Mosaic.Ros.Messages;

/// <summary>
/// A message type's name (<c>pkg/msg/Type</c>), its <c>ros2msg</c> definition text and the types
/// its fields use. <see cref="FullText"/> is the text rosbag2 stores as an MCAP schema or in the
/// sqlite3 <c>message_definitions</c> table.
/// </summary>
public sealed class MessageDefinition
{
    private static readonly string Separator = new('=', 80);

    /// <summary>Creates a definition.</summary>
    public MessageDefinition(string name, string text, params MessageDefinition[] dependencies)
    {
        Name = name;
        Text = text;
        Dependencies = dependencies;
    }

    /// <summary>Full type name, for example <c>sensor_msgs/msg/Image</c>.</summary>
    public string Name { get; }

    /// <summary>This type's own field list in <c>.msg</c> syntax.</summary>
    public string Text { get; }

    /// <summary>Types used directly by this type's fields.</summary>
    public IReadOnlyList<MessageDefinition> Dependencies { get; }

    /// <summary>
    /// The definition with every nested type appended once, each after a line of 80 '=' and
    /// <c>MSG: pkg/Type</c> (the form rosbag2 writes), in depth-first order of first use.
    /// </summary>
    public string FullText()
    {
        var builder = new StringBuilder(Text);
        var seen = new HashSet<string> { Name };
        AppendDependencies(this, builder, seen);
        return builder.ToString();
    }

    private static void AppendDependencies(MessageDefinition definition, StringBuilder builder, HashSet<string> seen)
    {
        foreach (var dependency in definition.Dependencies)
        {
            if (!seen.Add(dependency.Name))
            {
                continue;
            }
            if (builder.Length > 0 && builder[^1] != '\n')
            {
                builder.Append('\n');
            }
            builder.Append(Separator).Append('\n').Append("MSG: ").Append(ShortName(dependency.Name)).Append('\n').Append(dependency.Text);
            AppendDependencies(dependency, builder, seen);
        }
    }

    /// <summary>Turns <c>pkg/msg/Type</c> into <c>pkg/Type</c>; other names are returned unchanged.</summary>
    public static string ShortName(string typeName) => typeName.Replace("/msg/", "/", StringComparison.Ordinal);

    /// <summary>Turns <c>pkg/Type</c> (old rosbag2 and ROS 1 style) into <c>pkg/msg/Type</c>; other names are returned unchanged.</summary>
    public static string NormalizeName(string typeName)
    {
        int first = typeName.IndexOf('/');
        if (first > 0 && typeName.IndexOf('/', first + 1) < 0)
        {
            return string.Concat(typeName.AsSpan(0, first), "/msg", typeName.AsSpan(first));
        }
        return typeName;
    }
}
