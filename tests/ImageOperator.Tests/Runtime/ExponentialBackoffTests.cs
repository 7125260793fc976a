using FluentAssertions;
using ImageOperator.Runtime.Queue;
using Xunit;

namespace ImageOperator.Tests.Runtime;

public sealed class ExponentialBackoffTests
{
    [Fact]
    public void Delays_double_from_the_initial_delay_up_to_the_cap()
    {
        var backoff = new ExponentialBackoff<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5));
        var delays = Enumerable.Range(0, 20).Select(_ => backoff.NextDelay("k")).ToList();

        delays.Take(4).Should().Equal(
            TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(40));
        delays.Should().BeInAscendingOrder();
        delays[^1].Should().Be(TimeSpan.FromMinutes(5));
        delays.Should().OnlyContain(d => d <= TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void A_thousand_failures_stay_at_the_cap()
    {
        var backoff = new ExponentialBackoff<int>(TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5));
        TimeSpan last = default;
        for (var i = 0; i < 1000; i++)
        {
            last = backoff.NextDelay(1);
        }

        last.Should().Be(TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void Full_jitter_draws_each_delay_between_zero_and_the_ceiling()
    {
        var exact = new ExponentialBackoff<int>(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        var jittered = new ExponentialBackoff<int>(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), new Random(7));

        var delays = Enumerable.Range(0, 1000).Select(key => (Ceiling: exact.NextDelay(key % 8), Delay: jittered.NextDelay(key % 8))).ToList();

        delays.Should().OnlyContain(d => d.Delay >= TimeSpan.Zero && d.Delay <= d.Ceiling);
        delays.Select(d => d.Delay).Distinct().Count().Should().BeGreaterThan(900, "keys that fail together must not retry together");
        var late = delays.Where(d => d.Ceiling == TimeSpan.FromSeconds(10)).Select(d => d.Delay.TotalSeconds).ToList();
        late.Average().Should().BeInRange(4, 6, "uniform over [0, cap]");
    }

    [Fact]
    public void Invalid_bounds_are_refused()
    {
        var zero = () => new ExponentialBackoff<int>(TimeSpan.Zero, TimeSpan.FromSeconds(1));
        var inverted = () => new ExponentialBackoff<int>(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1));
        zero.Should().Throw<ArgumentOutOfRangeException>();
        inverted.Should().Throw<ArgumentOutOfRangeException>();
    }
}
