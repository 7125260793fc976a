namespace ImageOperator.Runtime.Queue;

/// <summary>
/// Per-key exponential back-off: the n-th consecutive failure of a key waits <c>initial · 2^(n-1)</c>, capped at
/// <c>maximum</c>; <see cref="Forget"/> (after a success) starts the key over. With full jitter each delay is drawn
/// uniformly between zero and that ceiling, so that many keys failing together (an S3 outage) do not retry in
/// lockstep. Thread-safe.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
public sealed class ExponentialBackoff<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly Lock _lock = new();
    private readonly Random? _jitter;

    /// <summary>Creates a back-off from <paramref name="initial"/> doubling up to <paramref name="maximum"/>.</summary>
    /// <param name="initial">Ceiling of the first delay.</param>
    /// <param name="maximum">Upper bound of every delay.</param>
    /// <param name="fullJitter">Source of the jitter; null for exact delays.</param>
    public ExponentialBackoff(TimeSpan initial, TimeSpan maximum, Random? fullJitter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximum, initial);
        Initial = initial;
        Maximum = maximum;
        _jitter = fullJitter;
    }

    /// <summary>Delay after the first failure.</summary>
    public TimeSpan Initial { get; }

    /// <summary>Upper bound of any delay.</summary>
    public TimeSpan Maximum { get; }

    /// <summary>Records a failure of <paramref name="key"/> and returns how long to wait before retrying it.</summary>
    public TimeSpan NextDelay(TKey key)
    {
        int failures;
        lock (_lock)
        {
            _failures.TryGetValue(key, out failures);
            _failures[key] = ++failures;
        }

        var ceiling = CeilingFor(failures);
        return _jitter is null ? ceiling : TimeSpan.FromTicks((long)(ceiling.Ticks * _jitter.NextDouble()));
    }

    /// <summary>Consecutive failures recorded for <paramref name="key"/>.</summary>
    public int Failures(TKey key)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>Clears the history of <paramref name="key"/> (call after it succeeded).</summary>
    public void Forget(TKey key)
    {
        lock (_lock)
        {
            _failures.Remove(key);
        }
    }

    private TimeSpan CeilingFor(int failures)
    {
        // Doubling past 2^40 overflows nothing meaningful: any such delay is far beyond the cap.
        var exponent = Math.Min(failures - 1, 40);
        var ticks = Initial.Ticks * Math.Pow(2, exponent);
        return ticks >= Maximum.Ticks ? Maximum : TimeSpan.FromTicks((long)ticks);
    }
}
