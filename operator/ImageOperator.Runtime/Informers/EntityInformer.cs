using System.Diagnostics;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Metrics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Informers;

/// <summary>What an informer tells its handler.</summary>
public enum InformerEventType
{
    /// <summary>An entity appeared.</summary>
    Added,

    /// <summary>An entity changed.</summary>
    Modified,

    /// <summary>An entity disappeared; the handler receives its last known state.</summary>
    Deleted,

    /// <summary>Periodic replay of a cached entity, so that controllers correct drift they cannot watch.</summary>
    Resync,
}

/// <summary>Settings of an <see cref="EntityInformer{TEntity}"/>.</summary>
public sealed record InformerOptions
{
    /// <summary>
    /// Namespaces to watch, each with a list and watch of its own feeding one cache; empty watches all namespaces
    /// (or a cluster-scoped type).
    /// </summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Interval of <see cref="InformerEventType.Resync"/> replays; zero or negative disables them.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Server-side timeout of one watch request; the informer then re-watches from its last resourceVersion.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>First delay after a failed list or watch; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the delay between failed attempts.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Keeps an <see cref="EntityStore{TEntity}"/> in step with the API server and reports every change; for each
/// watched namespace (or all of them at once): list, then watch from the list's resourceVersion; re-watch from the last seen resourceVersion when the server
/// closes the stream; list afresh (reporting what changed in between) when the resourceVersion has expired
/// (410 Gone) or the connection fails, with back-off. Also replays the cache every resync period.
/// </summary>
/// <typeparam name="TEntity">The entity type.</typeparam>
public sealed class EntityInformer<TEntity>
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    private const int GoneStatus = 410;

    private static readonly TimeSpan MinHealthyWatch = TimeSpan.FromSeconds(1);

    private readonly EntityClient<TEntity> _client;
    private readonly InformerOptions _options;
    private readonly Action<InformerEventType, TEntity> _handler;
    private readonly ILogger _logger;
    private readonly OperatorMetrics? _metrics;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _listCount;
    private int _unsyncedScopes;

    /// <summary>Creates an informer; nothing happens until <see cref="RunAsync"/>.</summary>
    /// <param name="client">Client of the watched type.</param>
    /// <param name="options">Namespace, resync and watch settings.</param>
    /// <param name="handler">Told of every change, from the watch loop and the resync loop (keep it quick and thread-safe: enqueue a key).</param>
    /// <param name="logger">Log sink.</param>
    /// <param name="metrics">Metrics, or null.</param>
    public EntityInformer(
        EntityClient<TEntity> client,
        InformerOptions options,
        Action<InformerEventType, TEntity> handler,
        ILogger logger,
        OperatorMetrics? metrics = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _metrics = metrics;
    }

    /// <summary>The cache.</summary>
    public EntityStore<TEntity> Store { get; } = new();

    /// <summary>True once the first list has been loaded into <see cref="Store"/>.</summary>
    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>Full lists done so far (the first one per namespace, then one per expired watch or failure).</summary>
    public int ListCount => Volatile.Read(ref _listCount);

    /// <summary>Completes when the first list has been loaded.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var resync = _options.ResyncPeriod > TimeSpan.Zero ? ResyncLoopAsync(cancellationToken) : Task.CompletedTask;
        IReadOnlyList<string?> scopes = _options.Namespaces.Count == 0 ? [null] : [.. _options.Namespaces];
        _unsyncedScopes = scopes.Count;
        await Task.WhenAll(scopes.Select(ns => ListAndWatchAsync(ns, cancellationToken))).ConfigureAwait(false);
        await resync.ConfigureAwait(false);
    }

    /// <summary>Lists and watches one namespace (all of them for null) until cancelled.</summary>
    private async Task ListAndWatchAsync(string? ns, CancellationToken cancellationToken)
    {
        var delay = _options.InitialRetryDelay;
        var listed = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var resourceVersion = await ListAsync(ns, cancellationToken).ConfigureAwait(false);
                if (!listed)
                {
                    listed = true;
                    if (Interlocked.Decrement(ref _unsyncedScopes) == 0)
                    {
                        _synced.TrySetResult();
                    }
                }

                delay = _options.InitialRetryDelay;
                await WatchUntilExpiredAsync(ns, resourceVersion, cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("Watch of {Resource} expired (410 Gone); listing again.", _client.Metadata.Resource);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                _logger.LogWarning(exception, "List/watch of {Resource} failed; retrying in {Delay}.", _client.Metadata.Resource, delay);
                try
                {
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task<string> ListAsync(string? ns, CancellationToken cancellationToken)
    {
        var list = await _client.ListAsync(ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _listCount);
        _metrics?.InformerRelists.WithLabels(_client.Metadata.Resource).Inc();

        // Report what changed while we were not watching: additions, changes and, for keys no longer listed, deletions.
        var listed = new HashSet<ObjectKey>();
        foreach (var entity in list.Items)
        {
            listed.Add(ObjectKey.Of(entity));
            var previous = Store.Upsert(entity);
            if (previous is null)
            {
                _handler(InformerEventType.Added, entity);
            }
            else if (previous.ResourceVersion() != entity.ResourceVersion())
            {
                _handler(InformerEventType.Modified, entity);
            }
        }

        foreach (var key in Store.Keys.Where(k => (ns is null || k.Namespace == ns) && !listed.Contains(k)))
        {
            if (Store.Remove(key) is { } gone)
            {
                _handler(InformerEventType.Deleted, gone);
            }
        }

        return list.Metadata.ResourceVersion;
    }

    /// <summary>Watches, re-watching after normal closes, until the resourceVersion expires.</summary>
    private async Task WatchUntilExpiredAsync(string? ns, string resourceVersion, CancellationToken cancellationToken)
    {
        var timeout = (int)Math.Max(1, _options.WatchTimeout.TotalSeconds);
        while (true)
        {
            var expired = false;
            Exception? failure = null;
            var opened = Stopwatch.GetTimestamp();
            void OnError(Exception exception)
            {
                if (exception is KubernetesException { Status.Code: GoneStatus })
                {
                    expired = true;
                }
                else
                {
                    failure ??= exception;
                }
            }

            try
            {
                await foreach (var (type, entity) in _client.WatchAsync(ns, resourceVersion, timeout, OnError, cancellationToken).ConfigureAwait(false))
                {
                    resourceVersion = entity.ResourceVersion() ?? resourceVersion;
                    Apply(type, entity);
                }
            }
            catch (Exception exception) when (ApiErrors.StatusOf(exception) == System.Net.HttpStatusCode.Gone)
            {
                // The server may refuse an expired resourceVersion before the stream starts instead of with an ERROR event.
                expired = true;
            }
            catch (Exception exception) when (
                exception is HttpRequestException or IOException && Stopwatch.GetElapsedTime(opened) > MinHealthyWatch && !cancellationToken.IsCancellationRequested)
            {
                // A stream that worked for a while and then broke (the server's timeout, a proxy, a blip) resumes from
                // the last resourceVersion; one that breaks at once goes to the caller's back-off and relist.
                _logger.LogDebug(exception, "Watch of {Resource} broke; resuming from {ResourceVersion}.", _client.Metadata.Resource, resourceVersion);
            }

            if (expired)
            {
                return;
            }

            if (failure is not null)
            {
                throw new InvalidOperationException($"The watch of {_client.Metadata.Resource} reported an error.", failure);
            }
        }
    }

    private void Apply(WatchEventType type, TEntity entity)
    {
        switch (type)
        {
            case WatchEventType.Added or WatchEventType.Modified:
                var previous = Store.Upsert(entity);
                _handler(previous is null ? InformerEventType.Added : InformerEventType.Modified, entity);
                break;
            case WatchEventType.Deleted:
                Store.Remove(ObjectKey.Of(entity));
                _handler(InformerEventType.Deleted, entity);
                break;
            default:
                // Bookmarks only advance the resourceVersion.
                break;
        }
    }

    private async Task ResyncLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ResyncPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var entity in Store.List())
                {
                    _handler(InformerEventType.Resync, entity);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown.
        }
    }
}
