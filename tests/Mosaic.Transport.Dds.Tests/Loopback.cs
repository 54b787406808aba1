using System.Diagnostics;

namespace Mosaic.Transport.Dds.Tests;

/// <summary>
/// Cyclone DDS confined to the loopback interface with unicast discovery, so the tests work in containers
/// without multicast, and one fresh domain per test so tests running in parallel never see each other.
/// </summary>
internal static partial class Loopback
{
    public const string Config =
        "<CycloneDDS><Domain Id=\"any\">" +
        "<General><Interfaces><NetworkInterface name=\"lo\"/></Interfaces><AllowMulticast>false</AllowMulticast></General>" +
        "<Discovery><ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>30</MaxAutoParticipantIndex>" +
        "<Peers><Peer Address=\"127.0.0.1\"/></Peers></Discovery>" +
        "</Domain></CycloneDDS>";

    // Each test assembly that links this file starts at its own FirstDomain, as the assemblies run in parallel.
    private static int nextDomain = FirstDomain;

    public static uint NewDomain() => (uint)Interlocked.Increment(ref nextDomain);

    public static DdsParticipant Participant(uint domain) => new(domain, Config);

    /// <summary>Polls <paramref name="condition"/> until it holds or 20 s pass.</summary>
    public static void WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }
            Thread.Sleep(10);
        }
    }
}
