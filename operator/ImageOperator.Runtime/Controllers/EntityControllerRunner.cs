using System.Collections.Concurrent;
using System.Diagnostics;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Informers;
using ImageOperator.Runtime.Metrics;
using ImageOperator.Runtime.Queue;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Controllers;

/// <summary>A controller that can be started for one leadership term.</summary>
public interface IControllerRunner
{
    /// <summary>Name used in logs and metrics (the resource, e.g. <c>customimages.imageoperator.io</c>).</summary>
    string Name { get; }

    /// <summary>True once the informer has loaded its first list.</summary>
    bool HasSynced { get; }

    /// <summary>Keeps the informer's cache current until cancelled: on every replica, leader or standby, so that a new leader starts warm.</summary>
    Task WatchAsync(CancellationToken cancellationToken);

    /// <summary>Reconciles (one leadership term) until cancelled, then drains in-flight reconciles; needs <see cref="WatchAsync"/> running.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Runs one entity type's controller and finalizers: an informer feeds keys into a rate-limited work queue,
/// workers take keys and reconcile the cached entity. For live entities it first makes sure every registered
/// finalizer is listed on the entity, then calls <see cref="IEntityController{TEntity}.ReconcileAsync"/>; for entities
/// being deleted it runs the pending finalizers and removes each one that completes; once the entity is gone it
/// calls <see cref="IEntityController{TEntity}.DeletedAsync"/> (a reconcile still running for an object that is
/// deleted is cancelled first). Controllers and finalizers are resolved from a fresh
/// DI scope per work item.
/// </summary>
/// <typeparam name="TEntity">The entity type.</typeparam>
public sealed class EntityControllerRunner<TEntity> : IControllerRunner
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly IServiceProvider _services;
    private readonly Type _controllerType;
    private readonly IReadOnlyList<FinalizerRegistration> _finalizers;
    private readonly ControllerOptions _options;
    private readonly EntityClient<TEntity> _client;
    private readonly ILogger _logger;
    private readonly OperatorMetrics _metrics;
    private readonly EntityInformer<TEntity> _informer;
    private readonly Prometheus.Gauge.Child _depth;
    private volatile RateLimitedWorkQueue<ObjectKey>? _queue;
    private readonly ConcurrentDictionary<ObjectKey, TEntity> _tombstones = new();
    private readonly ConcurrentDictionary<ObjectKey, string> _specFingerprints = new();
    private readonly ConcurrentDictionary<ObjectKey, CancellationTokenSource> _inFlight = new();

    /// <summary>Creates the runner; nothing happens until <see cref="RunAsync"/>.</summary>
    /// <param name="services">Root provider; a scope is created per work item.</param>
    /// <param name="controllerType">Implementation of <see cref="IEntityController{TEntity}"/> (registered in DI).</param>
    /// <param name="finalizers">Finalizers of this entity type, in the order they run.</param>
    /// <param name="options">Workers, informer and back-off settings.</param>
    public EntityControllerRunner(IServiceProvider services, Type controllerType, IReadOnlyList<FinalizerRegistration> finalizers, ControllerOptions options)
    {
        _services = services ?? throw new ArgumentNullException(nameof(services));
        _controllerType = controllerType ?? throw new ArgumentNullException(nameof(controllerType));
        _finalizers = finalizers ?? throw new ArgumentNullException(nameof(finalizers));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Workers, 1);
        _client = new EntityClient<TEntity>(services.GetRequiredService<IKubernetes>());
        Name = _client.Metadata.Resource;
        _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger($"ImageOperator.Runtime.Controller[{Name}]");
        _metrics = services.GetRequiredService<OperatorMetrics>();
        _depth = _metrics.QueueDepth.WithLabels(Name);
        _informer = new EntityInformer<TEntity>(_client, options.Informer, OnInformerEvent, _logger, _metrics);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool HasSynced => _informer.HasSynced;

    /// <summary>The informer's cache (read-only use).</summary>
    public EntityStore<TEntity> Store => _informer.Store;

    /// <inheritdoc />
    public Task WatchAsync(CancellationToken cancellationToken) => _informer.RunAsync(cancellationToken);

    /// <inheritdoc />
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var hardStop = new CancellationTokenSource();
        using var queue = new RateLimitedWorkQueue<ObjectKey>(
            new ExponentialBackoff<ObjectKey>(_options.InitialBackoff, _options.MaxBackoff, Random.Shared), depthChanged: count => _depth.Set(count));

        // Events reach the queue from now on; what the cache holds already (and deletions left from an earlier term) is queued here.
        _queue = queue;
        foreach (var entity in _informer.Store.List())
        {
            queue.Add(ObjectKey.Of(entity));
        }

        foreach (var key in _tombstones.Keys)
        {
            queue.Add(key);
        }

        var workers = Enumerable.Range(0, _options.Workers).Select(_ => WorkAsync(queue, hardStop.Token)).ToArray();
        _logger.LogInformation("Controller for {Resource} started with {Workers} workers ({Cached} cached objects).", Name, _options.Workers, _informer.Store.Count);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stop requested: drain below.
        }

        _queue = null;
        queue.ShutDown();
        var drained = Task.WhenAll(workers);
        if (await Task.WhenAny(drained, Task.Delay(_options.DrainTimeout, CancellationToken.None)).ConfigureAwait(false) != drained)
        {
            _logger.LogWarning("Reconciles of {Resource} still running after {Timeout}; cancelling them.", Name, _options.DrainTimeout);
            await hardStop.CancelAsync().ConfigureAwait(false);
        }

        await drained.ConfigureAwait(false);
        _depth.Set(0);
        _logger.LogInformation("Controller for {Resource} stopped.", Name);
    }

    private void OnInformerEvent(InformerEventType type, TEntity entity)
    {
        var key = ObjectKey.Of(entity);
        if (type == InformerEventType.Deleted)
        {
            // A standby keeps no tombstones: the leader of the moment handles deletions, and a standby's would pile up.
            if (_queue is not null)
            {
                _tombstones[key] = entity;
            }

            _specFingerprints.TryRemove(key, out _);
            CancelInFlight(key);
        }
        else
        {
            _tombstones.TryRemove(key, out _);
            if (_options.IgnoreStatusOnlyChanges && IsStatusOnlyChange(type, key, entity))
            {
                return;
            }
        }

        // Between terms no queue exists: the next term queues the whole cache.
        _queue?.Add(key);
    }

    private bool IsStatusOnlyChange(InformerEventType type, ObjectKey key, TEntity entity)
    {
        var metadata = entity.Metadata;
        var fingerprint = string.Join(
            '\n',
            metadata.Generation?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            metadata.DeletionTimestamp is null ? "live" : "deleting",
            string.Join(',', metadata.Finalizers ?? []),
            string.Join(',', (metadata.Labels ?? new Dictionary<string, string>()).OrderBy(l => l.Key, StringComparer.Ordinal)),
            string.Join(',', (metadata.Annotations ?? new Dictionary<string, string>()).OrderBy(a => a.Key, StringComparer.Ordinal)));
        var previous = _specFingerprints.GetValueOrDefault(key);
        _specFingerprints[key] = fingerprint;
        return type == InformerEventType.Modified && previous == fingerprint;
    }

    private async Task WorkAsync(RateLimitedWorkQueue<ObjectKey> queue, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (ok, key) = await queue.GetAsync(CancellationToken.None).ConfigureAwait(false);
            if (!ok)
            {
                return;
            }

            try
            {
                await ProcessAsync(queue, key, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Drain timeout: the reconcile gave up; the next leader picks the key up from its own list.
                return;
            }
            finally
            {
                queue.Done(key);
            }
        }
    }

    private async Task ProcessAsync(RateLimitedWorkQueue<ObjectKey> queue, ObjectKey key, CancellationToken cancellationToken)
    {
        var cached = _informer.Store.Get(key);
        if (cached is null && !_tombstones.ContainsKey(key))
        {
            return;
        }

        _metrics.ReconcileTotal.WithLabels(Name).Inc();
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var scope = _services.CreateAsyncScope();
            if (cached is null)
            {
                if (_tombstones.TryRemove(key, out var last))
                {
                    await Controller(scope).DeletedAsync(last, cancellationToken).ConfigureAwait(false);
                }

                return;
            }

            // Controllers get their own copy: the cached object is shared with the informer and other workers.
            var entity = EntityClient<TEntity>.Clone(cached);
            TimeSpan? delay;
            using (var running = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                _inFlight[key] = running;
                try
                {
                    delay = entity.Metadata.DeletionTimestamp is null
                        ? await ReconcileLiveAsync(scope, entity, running.Token).ConfigureAwait(false)
                        : await FinalizeAsync(scope, entity, running.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (running.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // The object was deleted while it was being reconciled: its tombstone, queued already, reaches DeletedAsync.
                    _logger.LogInformation("Reconcile of {Resource} {Key} cancelled: the object was deleted.", Name, key);
                    return;
                }
                finally
                {
                    _inFlight.TryRemove(key, out _);
                }
            }

            queue.Forget(key);
            if (delay is { } requeue)
            {
                queue.AddAfter(key, requeue);
            }
        }
        catch (Exception exception) when (!(exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            _metrics.ReconcileErrors.WithLabels(Name).Inc();
            var retry = queue.AddRateLimited(key);
            _logger.LogError(exception, "Reconcile of {Resource} {Key} failed (attempt {Attempt}); retrying in {Delay}.", Name, key, queue.Failures(key), retry);
        }
        finally
        {
            _metrics.ReconcileDuration.WithLabels(Name).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private void CancelInFlight(ObjectKey key)
    {
        if (_inFlight.TryGetValue(key, out var running))
        {
            try
            {
                running.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The reconcile ended in the meantime.
            }
        }
    }

    private async Task<TimeSpan?> ReconcileLiveAsync(AsyncServiceScope scope, TEntity entity, CancellationToken cancellationToken)
    {
        foreach (var finalizer in _finalizers)
        {
            if (entity.Metadata.Finalizers?.Contains(finalizer.Identifier) != true)
            {
                var updated = await _client.AddFinalizerAsync(entity, finalizer.Identifier, cancellationToken).ConfigureAwait(false);
                if (updated is null)
                {
                    return null;
                }

                entity = updated;
            }
        }

        var result = await Controller(scope).ReconcileAsync(entity, cancellationToken).ConfigureAwait(false);
        return result.RequeueDelay;
    }

    private async Task<TimeSpan?> FinalizeAsync(AsyncServiceScope scope, TEntity entity, CancellationToken cancellationToken)
    {
        foreach (var registration in _finalizers)
        {
            if (entity.Metadata.Finalizers?.Contains(registration.Identifier) != true)
            {
                continue;
            }

            var finalizer = (IEntityFinalizer<TEntity>)scope.ServiceProvider.GetRequiredService(registration.FinalizerType);
            var result = await finalizer.FinalizeAsync(entity, cancellationToken).ConfigureAwait(false);
            if (!result.IsComplete)
            {
                _logger.LogInformation("Finalizer {Finalizer} of {Resource} {Key} is not done; deletion waits.", registration.Identifier, Name, ObjectKey.Of(entity));
                return result.RetryDelay;
            }

            var updated = await _client.RemoveFinalizerAsync(entity, registration.Identifier, cancellationToken).ConfigureAwait(false);
            if (updated is null)
            {
                return null;
            }

            entity = updated;
        }

        return null;
    }

    private IEntityController<TEntity> Controller(AsyncServiceScope scope) =>
        (IEntityController<TEntity>)scope.ServiceProvider.GetRequiredService(_controllerType);
}

/// <summary>A finalizer registered for an entity type.</summary>
/// <param name="EntityType">The entity type it guards.</param>
/// <param name="Identifier">The string written to <c>metadata.finalizers</c>, e.g. <c>imageoperator.io/exports</c>.</param>
/// <param name="FinalizerType">Implementation of <see cref="IEntityFinalizer{TEntity}"/> (registered in DI).</param>
public sealed record FinalizerRegistration(Type EntityType, string Identifier, Type FinalizerType);
