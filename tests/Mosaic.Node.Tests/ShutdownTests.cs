using System.Diagnostics;
using System.Text;
using Mosaic.Evaluation.Tests;
using Mosaic.Ros.Tests;
using Mosaic.Transport.Dds.Tests;

namespace Mosaic.Node.Tests;

/// <summary><c>mosaic node</c> on a live (Cyclone DDS) link, as a real process, stopped by the signals a terminal or launch sends.</summary>
[Collection(nameof(Sample))]
public sealed class ShutdownTests(Sample sample)
{
    /// <summary>
    /// Whether env can give the node SIGINT's default action (coreutils 8.31+). Tests started as a
    /// background job without job control (`dotnet test &amp;` in a script) inherit SIGINT ignored, and
    /// the node, like any process, keeps ignoring it: the test would then time out for its launcher's sake.
    /// </summary>
    private static bool ResetsSignals { get; } = EnvResetsSignals();

    private static bool EnvResetsSignals()
    {
        try
        {
            using var env = Process.Start(new ProcessStartInfo("env", ["--default-signal=INT", "true"]) { RedirectStandardError = true })!;
            env.WaitForExit();
            return env.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    [Theory]
    [InlineData(2, "SIGINT")]
    [InlineData(15, "SIGTERM")]
    public void A_live_node_shuts_down_cleanly_on(int signal, string name)
    {
        using var temp = new TempDirectory();
        string config = temp.Combine("cyclonedds.xml");
        File.WriteAllText(config, Loopback.Config);
        var start = new ProcessStartInfo(ResetsSignals ? "env" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (ResetsSignals)
            foreach (var argument in new[] { "--default-signal=INT", "dotnet" })
                start.ArgumentList.Add(argument);
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "mosaic.dll"), "node", "--ros-args", "-p", $"map:={sample.MapPath}" })
            start.ArgumentList.Add(argument);
        start.Environment["ROS_DOMAIN_ID"] = Loopback.NewDomain().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["CYCLONEDDS_URI"] = "file://" + config;
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string Output() { lock (output) return output.ToString(); }
        try
        {
            Loopback.WaitUntil(() => Output().Contains("localizing on Cyclone DDS") || process.HasExited, "the node to start");
            Assert.False(process.HasExited, Output());

            using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                kill.WaitForExit();

            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(20)), $"the node did not stop on {name}: {Output()}");
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, Output());
            Assert.Contains("0 images received", Output());
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }
}
