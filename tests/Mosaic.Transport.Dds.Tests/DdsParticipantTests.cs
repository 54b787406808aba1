using Mosaic.Ros;

namespace Mosaic.Transport.Dds.Tests;

/// <summary>Two participants of this process exchanging raw CDR through Cyclone.</summary>
public class DdsParticipantTests
{
    private const string Type = "std_msgs/msg/String";

    private static byte[] Payload(int size)
    {
        var bytes = new byte[size];
        bytes[1] = 1; // CDR little-endian encapsulation header 00 01 00 00
        for (var i = 4; i < size; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }
        return bytes;
    }

    [Theory]
    [InlineData(12)]
    [InlineData(1_500_000)]
    public void BytesWrittenArriveUnchanged(int size)
    {
        var domain = Loopback.NewDomain();
        using var publisher = Loopback.Participant(domain);
        using var subscriber = Loopback.Participant(domain);
        var reader = subscriber.CreateReader("/chatter", Type, QosProfile.Default);
        var writer = publisher.CreateWriter("/chatter", Type, QosProfile.Default);
        Loopback.WaitUntil(() => writer.MatchedReaders == 1 && reader.MatchedWriters == 1, "the endpoints to match");

        var sent = Payload(size);
        writer.Write(sent);

        DdsSample sample = default;
        Loopback.WaitUntil(() => subscriber.Wait(TimeSpan.FromMilliseconds(100)) && reader.TryTake(out sample), "the sample");
        Assert.Equal(sent, sample.Data);
        Assert.False(reader.TryTake(out _));
    }

    [Fact]
    public void ALatchedTopicGivesALateSubscriberOnlyTheLastSample()
    {
        var domain = Loopback.NewDomain();
        using var publisher = Loopback.Participant(domain);
        var writer = publisher.CreateWriter("/mosaic/pose", Type, QosProfile.Latched);
        writer.Write(Payload(8));
        var last = Payload(16);
        writer.Write(last);

        using var subscriber = Loopback.Participant(domain);
        var reader = subscriber.CreateReader("/mosaic/pose", Type, QosProfile.Latched);
        DdsSample sample = default;
        Loopback.WaitUntil(() => reader.TryTake(out sample), "the latched sample");
        Assert.Equal(last, sample.Data);
        Thread.Sleep(200);
        Assert.False(reader.TryTake(out _));
    }

    [Fact]
    public void WaitTimesOutWithoutDataAndReturnsEarlyWhenWoken()
    {
        using var participant = Loopback.Participant(Loopback.NewDomain());
        participant.CreateReader("/quiet", Type, QosProfile.Default);
        Assert.False(participant.Wait(TimeSpan.FromMilliseconds(50)));

        participant.Wake();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(participant.Wait(TimeSpan.FromSeconds(30)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
        Assert.False(participant.Wait(TimeSpan.FromMilliseconds(10)));
    }

    [Fact]
    public void OneTopicNameCannotCarryTwoTypes()
    {
        using var participant = Loopback.Participant(Loopback.NewDomain());
        participant.CreateWriter("/chatter", Type, QosProfile.Default);
        var error = Assert.Throws<DdsException>(() => participant.CreateReader("/chatter", "std_msgs/msg/Header", QosProfile.Default));
        Assert.Contains("/chatter", error.Message);
    }

    [Fact]
    public void DomainsBeyondTheRosRangeAreRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdsParticipant(233));

    [Fact]
    public async Task DisposingWhileOtherThreadsPublishAndReceiveStopsThemCleanly()
    {
        var participant = Loopback.Participant(Loopback.NewDomain());
        var writer = participant.CreateWriter("/chatter", Type, QosProfile.Default);
        var reader = participant.CreateReader("/chatter", Type, QosProfile.Default);
        var payload = Payload(100_000);
        Exception? Loop(Action step)
        {
            try
            {
                while (true)
                {
                    step();
                }
            }
            catch (Exception e)
            {
                return e;
            }
        }
        var publishing = Task.Run(() => Loop(() => writer.Write(payload)));
        var receiving = Task.Run(() => Loop(() => { participant.Wait(TimeSpan.FromSeconds(1)); reader.TryTake(out _); }));
        Thread.Sleep(200);

        participant.Dispose();

        Assert.IsType<ObjectDisposedException>(await publishing);
        Assert.IsType<ObjectDisposedException>(await receiving);
        Assert.Throws<ObjectDisposedException>(() => participant.CreateReader("/other", Type, QosProfile.Default));
        participant.Dispose();
    }
}
