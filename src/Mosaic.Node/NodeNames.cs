namespace Mosaic.Node;

/// <summary>
/// The node's name, namespace and topic remaps, resolving topic names as rcl does: <c>/a</c> is
/// absolute, <c>a</c> is relative to the namespace, <c>~/a</c> is private to the node; a remap applies
/// when its resolved <c>from</c> equals the resolved name.
/// </summary>
public sealed class NodeNames
{
    private readonly IReadOnlyList<(string? Node, string From, string To)> _remaps;

    /// <summary>Creates the names; <paramref name="ns"/> "/" is the root namespace.</summary>
    public NodeNames(string name, string ns = "/", IReadOnlyList<(string? Node, string From, string To)>? remaps = null)
    {
        Name = name;
        Namespace = ns.Length > 1 ? ns.TrimEnd('/') : "/";
        _remaps = remaps ?? [];
    }

    /// <summary>The node name (default <c>mosaic</c>, set by <c>-r __node:=</c>).</summary>
    public string Name { get; }

    /// <summary>The namespace, <c>/</c> for the root.</summary>
    public string Namespace { get; }

    /// <summary>The fully qualified node name, e.g. <c>/robot1/mosaic</c>; parameter-file keys are matched against it.</summary>
    public string FullName => Namespace == "/" ? "/" + Name : Namespace + "/" + Name;

    /// <summary>The topic <paramref name="name"/> resolves to, after remaps.</summary>
    /// <exception cref="ArgumentException">An empty name.</exception>
    public string Resolve(string name)
    {
        string resolved = Expand(name);
        foreach (var (node, from, to) in _remaps)
        {
            if ((node is null || node == Name) && Expand(from) == resolved)
                return Expand(to);
        }
        return resolved;
    }

    private string Expand(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("a topic name must not be empty");
        if (name == "~")
            return FullName;
        if (name.StartsWith("~/", StringComparison.Ordinal))
            return FullName + name[1..];
        if (name.StartsWith('/'))
            return name;
        return Namespace == "/" ? "/" + name : Namespace + "/" + name;
    }
}
