using System.Collections.Concurrent;
using ImageOperator.Runtime.Entities;
using k8s;
using k8s.Models;

namespace ImageOperator.Runtime.Informers;

/// <summary>
/// Thread-safe cache of the entities an informer has seen, keyed by namespace/name. Readers get the objects
/// as received: treat them as read-only (copy with <see cref="EntityClient{TEntity}.Clone"/> before changing).
/// </summary>
/// <typeparam name="TEntity">The entity type.</typeparam>
public sealed class EntityStore<TEntity>
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<ObjectKey, TEntity> _items = new();

    /// <summary>Number of cached entities.</summary>
    public int Count => _items.Count;

    /// <summary>The cached entity with <paramref name="key"/>, or null.</summary>
    public TEntity? Get(ObjectKey key) => _items.GetValueOrDefault(key);

    /// <summary>A snapshot of all cached entities.</summary>
    public IReadOnlyList<TEntity> List() => [.. _items.Values];

    /// <summary>Stores <paramref name="entity"/>; returns the version it replaced, if any.</summary>
    internal TEntity? Upsert(TEntity entity)
    {
        TEntity? previous = null;
        _items.AddOrUpdate(ObjectKey.Of(entity), entity, (_, old) =>
        {
            previous = old;
            return entity;
        });
        return previous;
    }

    /// <summary>Removes the entity with <paramref name="key"/>; returns it, if it was cached.</summary>
    internal TEntity? Remove(ObjectKey key) => _items.TryRemove(key, out var removed) ? removed : null;

    /// <summary>The keys currently cached.</summary>
    internal IReadOnlyCollection<ObjectKey> Keys => [.. _items.Keys];
}
