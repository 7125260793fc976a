namespace ImageOperator.Runtime.Queue;

/// <summary>
/// The controller work queue (client-go's shape). A key is handed to at most one worker at a time; adding a key
/// that is already queued is a no-op; adding a key that is being processed marks it dirty so it is queued again
/// once <see cref="Done"/> is called, hence no change is ever missed and no key is reconciled concurrently.
/// Keys become ready in FIFO order. Delayed adds keep the earliest due time per key; failures back off
/// exponentially per key.
/// </summary>
/// <typeparam name="TKey">The key type (an object's namespace/name).</typeparam>
public sealed class RateLimitedWorkQueue<TKey> : IDisposable
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Queue<TKey> _ready = new();
    private readonly HashSet<TKey> _dirty = [];
    private readonly HashSet<TKey> _processing = [];
    private readonly Dictionary<TKey, DateTimeOffset> _waiting = [];
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ExponentialBackoff<TKey> _backoff;
    private readonly TimeProvider _time;
    private readonly Action<int>? _depthChanged;

    /// <summary>Creates a queue.</summary>
    /// <param name="backoff">Per-key failure back-off used by <see cref="AddRateLimited"/>.</param>
    /// <param name="time">Clock for delayed adds.</param>
    /// <param name="depthChanged">Told the number of ready keys whenever it changes (a metrics gauge).</param>
    public RateLimitedWorkQueue(ExponentialBackoff<TKey> backoff, TimeProvider? time = null, Action<int>? depthChanged = null)
    {
        _backoff = backoff ?? throw new ArgumentNullException(nameof(backoff));
        _time = time ?? TimeProvider.System;
        _depthChanged = depthChanged;
    }

    /// <summary>Keys ready to be handed out.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ready.Count;
            }
        }
    }

    /// <summary>True once <see cref="ShutDown"/> was called.</summary>
    public bool IsShuttingDown => _shutdown.IsCancellationRequested;

    /// <summary>Queues <paramref name="key"/> unless it is already queued; defers it while it is being processed.</summary>
    public void Add(TKey key)
    {
        int depth;
        lock (_lock)
        {
            if (IsShuttingDown || !_dirty.Add(key) || _processing.Contains(key))
            {
                return;
            }

            _ready.Enqueue(key);
            depth = _ready.Count;
        }

        _available.Release();
        _depthChanged?.Invoke(depth);
    }

    /// <summary>Queues <paramref name="key"/> after <paramref name="delay"/>; an earlier pending due time for the key wins.</summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        var due = _time.GetUtcNow() + delay;
        CancellationToken shutdown;
        lock (_lock)
        {
            if (IsShuttingDown || (_waiting.TryGetValue(key, out var pending) && pending <= due))
            {
                return;
            }

            _waiting[key] = due;
            shutdown = _shutdown.Token;
        }

        _ = AddWhenDueAsync(key, due, delay, shutdown);
    }

    /// <summary>Queues <paramref name="key"/> after its next back-off delay (a failed attempt).</summary>
    /// <returns>The delay chosen.</returns>
    public TimeSpan AddRateLimited(TKey key)
    {
        var delay = _backoff.NextDelay(key);
        AddAfter(key, delay);
        return delay;
    }

    /// <summary>Resets the back-off of <paramref name="key"/> (after a success).</summary>
    public void Forget(TKey key) => _backoff.Forget(key);

    /// <summary>Consecutive failures recorded for <paramref name="key"/>.</summary>
    public int Failures(TKey key) => _backoff.Failures(key);

    /// <summary>
    /// Waits for a ready key and marks it as being processed; the caller must call <see cref="Done"/> with it.
    /// Returns false once the queue is shut down.
    /// </summary>
    public async Task<(bool Ok, TKey Key)> GetAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        while (true)
        {
            try
            {
                await _available.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
            {
                return (false, default!);
            }

            TKey key;
            int depth;
            lock (_lock)
            {
                if (IsShuttingDown)
                {
                    return (false, default!);
                }

                if (!_ready.TryDequeue(out key!))
                {
                    continue;
                }

                _dirty.Remove(key);
                _processing.Add(key);
                depth = _ready.Count;
            }

            _depthChanged?.Invoke(depth);
            return (true, key);
        }
    }

    /// <summary>Ends processing of <paramref name="key"/>; queues it again if it was added meanwhile.</summary>
    public void Done(TKey key)
    {
        int depth;
        lock (_lock)
        {
            if (!_processing.Remove(key) || !_dirty.Contains(key) || IsShuttingDown)
            {
                return;
            }

            _ready.Enqueue(key);
            depth = _ready.Count;
        }

        _available.Release();
        _depthChanged?.Invoke(depth);
    }

    /// <summary>Stops handing out keys and drops delayed adds. Keys being processed may still call <see cref="Done"/>.</summary>
    public void ShutDown()
    {
        lock (_lock)
        {
            _shutdown.Cancel();
            _waiting.Clear();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ShutDown();
        _shutdown.Dispose();
        _available.Dispose();
    }

    private async Task AddWhenDueAsync(TKey key, DateTimeOffset due, TimeSpan delay, CancellationToken shutdown)
    {
        try
        {
            await Task.Delay(delay, _time, shutdown).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_lock)
        {
            // A later, earlier-due AddAfter replaced this wait; its own timer adds the key.
            if (!_waiting.TryGetValue(key, out var current) || current != due)
            {
                return;
            }

            _waiting.Remove(key);
        }

        Add(key);
    }
}
