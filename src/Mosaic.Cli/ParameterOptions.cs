using System.CommandLine;
using Mosaic.Localization.Parameters;

namespace Mosaic.Cli;

/// <summary>
/// The offline commands' parameters, as the node takes them: <c>--params FILE</c> (repeatable, read in
/// order) and <c>-p name:=value</c> (repeatable, applied after the files; later values win), so one
/// setting can be tried without writing a file for it.
/// </summary>
internal sealed class ParameterOptions
{
    /// <summary>The two options, <paramref name="files"/> describing what the files hold.</summary>
    public ParameterOptions(string files)
    {
        Files = new Option<string[]>("--params") { Description = $"{files} Repeatable: later files win. Default: built-in defaults." };
        Overrides = new Option<string[]>("--param", "-p")
        {
            Description = "Set one parameter, as in a parameter file (dotted name, YAML value), e.g. -p segmenter.seed:=2. Repeatable; applied after --params.",
        };
    }

    /// <summary><c>--params</c>.</summary>
    public Option<string[]> Files { get; }

    /// <summary><c>-p</c> / <c>--param</c>.</summary>
    public Option<string[]> Overrides { get; }

    /// <summary>The files and the overrides split into (name, value); <see cref="ArgumentException"/> for an override without <c>:=</c>.</summary>
    public (IReadOnlyList<string> Files, IReadOnlyList<(string Name, string Value)> Overrides) Read(ParseResult parse) =>
        (parse.GetValue(Files) ?? [], (parse.GetValue(Overrides) ?? []).Select(o => ParameterSet.SplitAssignment("-p", o)).ToArray());
}
