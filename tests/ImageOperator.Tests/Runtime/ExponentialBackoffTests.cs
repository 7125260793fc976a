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
    public void Invalid_bounds_are_refused()
    {
        var zero = () => new ExponentialBackoff<int>(TimeSpan.Zero, TimeSpan.FromSeconds(1));
        var inverted = () => new ExponentialBackoff<int>(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1));
        zero.Should().Throw<ArgumentOutOfRangeException>();
        inverted.Should().Throw<ArgumentOutOfRangeException>();
    }
}
