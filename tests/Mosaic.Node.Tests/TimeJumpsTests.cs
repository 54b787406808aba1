namespace Mosaic.Node.Tests;

public class TimeJumpsTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void A_stream_going_back_more_than_the_threshold_is_a_jump_by_how_far_it_went()
    {
        var jumps = new TimeJumps();
        Assert.Null(jumps.Observe("odometry", 100 * Second));
        Assert.Null(jumps.Observe("odometry", 120 * Second));
        Assert.Equal(119 * Second, jumps.Observe("odometry", 1 * Second));
        Assert.Null(jumps.Observe("odometry", 2 * Second));
    }

    [Fact]
    public void Jitter_within_the_threshold_and_repeated_stamps_are_not_jumps()
    {
        var jumps = new TimeJumps();
        Assert.Null(jumps.Observe("image", 10 * Second));
        Assert.Null(jumps.Observe("image", 10 * Second));
        Assert.Null(jumps.Observe("image", 10 * Second - (long)(TimeJumps.Threshold.TotalSeconds * Second)));
        // Measured against the newest stamp, not the last one.
        Assert.Null(jumps.Observe("image", 9_500_000_000));
        Assert.NotNull(jumps.Observe("image", 8_900_000_000));
    }

    [Fact]
    public void Streams_are_judged_on_their_own_clocks_and_start_afresh_after_a_jump()
    {
        var jumps = new TimeJumps();
        // A camera whose clock runs 5 s behind the odometry's.
        Assert.Null(jumps.Observe("odometry", 105 * Second));
        Assert.Null(jumps.Observe("image", 100 * Second));
        Assert.Null(jumps.Observe("odometry", 106 * Second));
        Assert.Null(jumps.Observe("image", 101 * Second));

        // The drive starts over: the first stream back reports it, the others follow without counting it again.
        Assert.Equal(106 * Second, jumps.Observe("odometry", 0));
        Assert.Null(jumps.Observe("image", -5 * Second));
        Assert.Null(jumps.Observe("odometry", 1 * Second));
    }
}
