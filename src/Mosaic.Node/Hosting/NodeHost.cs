using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Mosaic.Core.Maps;
using Mosaic.Localization;
using Mosaic.Localization.Parameters;
using Mosaic.Node.Transport;
using Mosaic.Rendering;
using Mosaic.Rendering.Cuda;

namespace Mosaic.Node.Hosting;

/// <summary>The node's parameters as loaded from its command line.</summary>
/// <param name="Parameters">Bound and validated parameters.</param>
/// <param name="Names">Node name, namespace and remaps.</param>
/// <param name="Unknown">Parameters set for the node that it does not have (warned about, not fatal, as ROS nodes do).</param>
public sealed record NodeConfiguration(LocalizationParameters Parameters, NodeNames Names, IReadOnlyList<ParameterValue> Unknown);

/// <summary>Builds the node's host (Microsoft.Extensions.Hosting) from its ROS arguments and transport.</summary>
public static class NodeHost
{
    /// <summary>The node name when no <c>-r __node:=</c> is given; also the node key in config/mosaic.yaml.</summary>
    public const string DefaultNodeName = LocalizationParameters.NodeName;

    /// <summary>Loads the parameter files and <c>-p</c> overrides for the node's fully qualified name, and validates them.</summary>
    /// <exception cref="FormatException">A file cannot be read or a value has the wrong type.</exception>
    /// <exception cref="ArgumentException">A value is out of range, or <c>map</c> is not set.</exception>
    public static NodeConfiguration LoadConfiguration(RosArguments ros)
    {
        var names = new NodeNames(ros.NodeName ?? DefaultNodeName, ros.Namespace ?? "/", ros.Remaps);
        var set = ParameterSet.Load(ros.ParameterFiles, ros.Parameters, names.FullName);
        if (ros.ParameterFiles.Count > 0 && !set.HasSection)
            throw new FormatException($"{string.Join(", ", ros.ParameterFiles)}: no section for node '{names.FullName}' (keys are node names, '/**' or '/*' patterns); " +
                                      $"the node name comes from -r __node:= (default '{DefaultNodeName}')");
        var unknown = new List<ParameterValue>();
        var parameters = set.Bind<LocalizationParameters>(p => p.Validate(), unknown);
        if (string.IsNullOrWhiteSpace(parameters.Map))
            throw new ArgumentException("parameter 'map' is not set: give the map directory with --ros-args -p map:=DIR or in the parameter file");
        return new NodeConfiguration(parameters, names, unknown);
    }

    /// <summary>
    /// Loads the map and builds the host: ROS-style console logs, the <see cref="LocalizationNode"/> over
    /// <paramref name="transport"/>, run by <see cref="LocalizationService"/>.
    /// </summary>
    /// <exception cref="MapFormatException">The map cannot be loaded.</exception>
    public static IHost Build(NodeConfiguration configuration, ITransport transport, LogLevel logLevel, bool lockstep)
    {
        var parameters = configuration.Parameters;
        var map = MapDirectory.Load(parameters.Map);
        if (map.FrameId != parameters.Frames.Map)
            throw new ArgumentException($"the map's frame is '{map.FrameId}' but frames.map is '{parameters.Frames.Map}'; set frames.map: {map.FrameId}");
        var compute = ComputeBackends.Create(map.Gaussians, parameters.Compute.Backend, parameters.Compute.Device);
        var renderer = compute.Renderer;
        var coarseRenderer = ComputeBackends.CreateCoarse(compute, map.Gaussians, parameters.Localizer.CoarseMapVoxel, parameters.Compute.Device);
        var sharpRenderer = ComputeBackends.CreateSharp(compute, map.Gaussians, parameters.Localizer.SharpMapScale, parameters.Localizer.SharpMapMaxLoss > 0, parameters.Compute.Device);
        var localizer = Localizer.ForMap(map, parameters.Localizer, renderer, coarseRenderer, sharpRenderer);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddConsole(o => o.FormatterName = RosConsoleFormatter.Name);
        builder.Logging.AddConsoleFormatter<RosConsoleFormatter, RosConsoleFormatterOptions>(o => o.NodeName = configuration.Names.Name);
        builder.Services.AddSingleton(transport);
        // Registered by factories and resolved by the node's factory, so that the container disposes
        // them at shutdown (the CUDA backend holds device memory; the CPU backend has no copies' renderers here).
        builder.Services.AddSingleton<ILabelRenderer>(_ => renderer);
        builder.Services.AddSingleton(_ => new MapCopyRenderers(coarseRenderer, sharpRenderer));
        builder.Services.AddSingleton(sp =>
        {
            sp.GetRequiredService<MapCopyRenderers>();
            return new LocalizationNode(parameters, configuration.Names, transport, map.Gaussians, localizer, sp.GetRequiredService<ILabelRenderer>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger(configuration.Names.Name), lockstep);
        });
        builder.Services.AddHostedService<LocalizationService>();
        var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(configuration.Names.Name);
        foreach (var unknown in configuration.Unknown)
            logger.LogWarning("{Source}: unknown parameter '{Name}' ignored", unknown.Source, unknown.Name);
        if (compute.FallbackReason is not null)
            logger.LogWarning("compute.backend auto: CUDA unavailable, using the CPU backend: {Reason}", compute.FallbackReason);
        logger.LogInformation("compute backend: {Backend}", compute.Description);
        logger.LogInformation("map {Map}: {Count:N0} Gaussians, K = {K}, {Keyframes} keyframes", parameters.Map, map.Gaussians.Count, map.Gaussians.LabelCount, map.Keyframes?.Keyframes.Count ?? 0);
        foreach (var warning in parameters.Localizer.Warnings(map.Gaussians.LabelCount, map.Gaussians.SecondLabelCount > 0))
            logger.LogWarning("{Warning}", warning);
        return host;
    }

    /// <summary>The localizer's renderers of the coarse and the sharpened copy of the map, held by the container so that they are disposed with it.</summary>
    private sealed class MapCopyRenderers(IDisposable? coarse, IDisposable? sharp) : IDisposable
    {
        public void Dispose()
        {
            coarse?.Dispose();
            sharp?.Dispose();
        }
    }
}
