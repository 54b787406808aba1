namespace Mosaic.Node.Tests;

public class TimeJumpsTests
{
    private const long Second = 1_000_000_000;
    private static readonly StampObservation InOrder = new(StampVerdict.InOrder);
    private static readonly StampObservation Stale = new(StampVerdict.Stale);

    [Fact]
    public void Two_stale_stamps_in_a_row_are_a_jump_by_how_far_the_first_went_back()
    {
        var jumps = new TimeJumps();
        Assert.Equal(InOrder, jumps.Observe("odometry", 100 * Second));
        Assert.Equal(InOrder, jumps.Observe("odometry", 120 * Second));

        Assert.Equal(Stale, jumps.Observe("odometry", 1 * Second));
        Assert.Equal(new StampObservation(StampVerdict.Jump, 119 * Second), jumps.Observe("odometry", 2 * Second));
        Assert.Equal(InOrder, jumps.Observe("odometry", 3 * Second));
    }

    [Fact]
    public void A_single_stale_stamp_followed_by_one_in_order_is_a_stray_and_no_jump()
    {
        var jumps = new TimeJumps();
        Assert.Equal(InOrder, jumps.Observe("image", 100 * Second));

        Assert.Equal(Stale, jumps.Observe("image", 0));
        Assert.Equal(new StampObservation(StampVerdict.InOrder, StrayDropped: true), jumps.Observe("image", 100 * Second + 33_000_000));
        // The stray did not move the stream's clock: the next stale stamp is held again, not taken as a second one.
        Assert.Equal(Stale, jumps.Observe("image", 5 * Second));
        Assert.Equal(new StampObservation(StampVerdict.InOrder, StrayDropped: true), jumps.Observe("odometry", 100 * Second));
    }

    [Fact]
    public void Jitter_within_the_threshold_and_repeated_stamps_are_in_order()
    {
        var jumps = new TimeJumps();
        Assert.Equal(InOrder, jumps.Observe("image", 10 * Second));
        Assert.Equal(InOrder, jumps.Observe("image", 10 * Second));
        Assert.Equal(InOrder, jumps.Observe("image", 10 * Second - (long)(TimeJumps.Threshold.TotalSeconds * Second)));
        // Measured against the newest stamp, not the last one.
        Assert.Equal(InOrder, jumps.Observe("image", 9_500_000_000));
        Assert.Equal(Stale, jumps.Observe("image", 8_900_000_000));
    }

    [Fact]
    public void Streams_are_judged_on_their_own_clocks_and_start_afresh_after_a_jump()
    {
        var jumps = new TimeJumps();
        // A camera whose clock runs 5 s behind the odometry's.
        Assert.Equal(InOrder, jumps.Observe("odometry", 105 * Second));
        Assert.Equal(InOrder, jumps.Observe("image", 100 * Second));
        Assert.Equal(InOrder, jumps.Observe("odometry", 106 * Second));
        Assert.Equal(InOrder, jumps.Observe("image", 101 * Second));

        // The drive starts over: the first stream back is held, the second confirms it, and the rest follow
        // without counting it again.
        Assert.Equal(Stale, jumps.Observe("odometry", 0));
        Assert.Equal(new StampObservation(StampVerdict.Jump, 106 * Second), jumps.Observe("image", -5 * Second));
        Assert.Equal(InOrder, jumps.Observe("odometry", 0));
        Assert.Equal(InOrder, jumps.Observe("odometry", 1 * Second));
        Assert.Equal(InOrder, jumps.Observe("image", -4 * Second));
    }
}
