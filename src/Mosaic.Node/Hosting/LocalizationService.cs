using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mosaic.Node.Transport;

namespace Mosaic.Node.Hosting;

/// <summary>
/// The node as a hosted background service: runs <see cref="LocalizationNode.RunAsync"/> until SIGINT/SIGTERM
/// or, for a replayed bag, until the bag ends; then stops the host and disposes the transport (which
/// finishes any output bag).
/// </summary>
public sealed class LocalizationService(LocalizationNode node, ITransport transport, IHostApplicationLifetime lifetime, ILogger<LocalizationService> logger) : BackgroundService
{
    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await node.RunAsync(stoppingToken);
        }
        finally
        {
            logger.LogInformation("{Summary}", node.Summary());
            transport.Dispose();
            if (!stoppingToken.IsCancellationRequested)
                logger.LogInformation("input ended; shutting down");
            lifetime.StopApplication();
        }
    }
}
