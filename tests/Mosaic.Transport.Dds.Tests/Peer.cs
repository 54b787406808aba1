using System.Diagnostics;
using Mosaic.Ros.Tests;

namespace Mosaic.Transport.Dds.Tests;

/// <summary>The idlc-built C peer (Peer/peer.c) as a child process in a given domain on the loopback config.</summary>
internal sealed class Peer : IDisposable
{
    private readonly Process process;
    private readonly TempDirectory directory = new();

    public Peer(uint domain, params string[] arguments)
    {
        var executable = Path.Combine(AppContext.BaseDirectory, "mosaic_dds_peer");
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException(
                "the interop peer was not built: install cyclonedds-dev and cyclonedds-tools (.ci/run does) and rebuild", executable);
        }
        var config = directory.Combine("cyclonedds.xml");
        File.WriteAllText(config, Loopback.Config);
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["ROS_DOMAIN_ID"] = domain.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["CYCLONEDDS_URI"] = "file://" + config;
        process = Process.Start(start)!;
        var ready = ReadLine();
        if (ready != "ready")
        {
            Assert.Fail($"the peer did not start: {ready}");
        }
    }

    /// <summary>The next line the peer printed (20 s at most).</summary>
    public string ReadLine()
    {
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(20)))
        {
            throw new TimeoutException("the peer printed nothing for 20 s");
        }
        return line.Result ?? throw new InvalidOperationException($"the peer exited: {process.StandardError.ReadToEnd()}");
    }

    /// <summary>Waits for the peer to finish and asserts it succeeded.</summary>
    public void AssertExitedCleanly()
    {
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(40)), "the peer did not finish");
        if (process.ExitCode != 0)
        {
            Assert.Fail($"peer exit {process.ExitCode}: {process.StandardError.ReadToEnd()}");
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }
        process.Dispose();
        directory.Dispose();
    }
}
