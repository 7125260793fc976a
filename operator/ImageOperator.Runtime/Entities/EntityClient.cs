using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace ImageOperator.Runtime.Entities;

/// <summary>
/// Typed access to one custom resource type through KubernetesClient's custom-object API: CRUD, the status
/// subresource with optimistic concurrency, finalizer bookkeeping and watches. Namespace null addresses a
/// cluster-scoped type (or, for lists and watches, all namespaces).
/// </summary>
/// <typeparam name="TEntity">A type carrying <see cref="KubernetesEntityAttribute"/>.</typeparam>
public sealed class EntityClient<TEntity>
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ICustomObjectsOperations _api;

    /// <summary>Creates a client for <typeparamref name="TEntity"/> over <paramref name="kubernetes"/>.</summary>
    public EntityClient(IKubernetes kubernetes)
    {
        ArgumentNullException.ThrowIfNull(kubernetes);
        _api = kubernetes.CustomObjects;
        Metadata = EntityMetadata.For<TEntity>();
    }

    /// <summary>API coordinates of <typeparamref name="TEntity"/>.</summary>
    public EntityMetadata Metadata { get; }

    private string Group => Metadata.Group;

    private string Version => Metadata.Version;

    private string Plural => Metadata.Plural;

    /// <summary>Reads one entity; null when it does not exist.</summary>
    public async Task<TEntity?> GetAsync(string name, string? @namespace, CancellationToken cancellationToken = default)
    {
        try
        {
            return @namespace is null
                ? await _api.GetClusterCustomObjectAsync<TEntity>(Group, Version, Plural, name, cancellationToken).ConfigureAwait(false)
                : await _api.GetNamespacedCustomObjectAsync<TEntity>(Group, Version, @namespace, Plural, name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (ApiErrors.IsNotFound(exception))
        {
            return null;
        }
    }

    /// <summary>Lists entities (all namespaces when <paramref name="namespace"/> is null); the list's resourceVersion starts a watch.</summary>
    public Task<EntityList<TEntity>> ListAsync(string? @namespace = null, string? labelSelector = null, CancellationToken cancellationToken = default) =>
        @namespace is null
            ? _api.ListClusterCustomObjectAsync<EntityList<TEntity>>(Group, Version, Plural, labelSelector: labelSelector, cancellationToken: cancellationToken)
            : _api.ListNamespacedCustomObjectAsync<EntityList<TEntity>>(Group, Version, @namespace, Plural, labelSelector: labelSelector, cancellationToken: cancellationToken);

    /// <summary>
    /// Watches changes after <paramref name="resourceVersion"/>. The server ends the stream after
    /// <paramref name="timeoutSeconds"/>; <c>ERROR</c> events (such as 410 Gone) reach <paramref name="onError"/>
    /// as <see cref="KubernetesException"/>, not the stream.
    /// </summary>
    public IAsyncEnumerable<(WatchEventType Type, TEntity Entity)> WatchAsync(
        string? @namespace, string resourceVersion, int timeoutSeconds, Action<Exception> onError, CancellationToken cancellationToken)
    {
        var response = @namespace is null
            ? _api.ListClusterCustomObjectWithHttpMessagesAsync<EntityList<TEntity>>(
                Group, Version, Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, watch: true, cancellationToken: cancellationToken)
            : _api.ListNamespacedCustomObjectWithHttpMessagesAsync<EntityList<TEntity>>(
                Group, Version, @namespace, Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, watch: true, cancellationToken: cancellationToken);
        // The suggested replacement (WatchList*CustomObjectAsync) yields untyped objects for custom resources.
#pragma warning disable CS0618
        return response.WatchAsync<TEntity, EntityList<TEntity>>(onError, cancellationToken);
#pragma warning restore CS0618
    }

    /// <summary>Creates <paramref name="entity"/> (apiVersion and kind are filled in when missing).</summary>
    public Task<TEntity> CreateAsync(TEntity entity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        entity.ApiVersion ??= Metadata.ApiVersion;
        entity.Kind ??= Metadata.Kind;
        var ns = NamespaceOf(entity);
        return ns is null
            ? _api.CreateClusterCustomObjectAsync<TEntity>(entity, Group, Version, Plural, cancellationToken: cancellationToken)
            : _api.CreateNamespacedCustomObjectAsync<TEntity>(entity, Group, Version, ns, Plural, cancellationToken: cancellationToken);
    }

    /// <summary>Replaces the entity (spec and metadata). Fails with 409 when its resourceVersion is stale.</summary>
    public Task<TEntity> UpdateAsync(TEntity entity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var ns = NamespaceOf(entity);
        return ns is null
            ? _api.ReplaceClusterCustomObjectAsync<TEntity>(entity, Group, Version, Plural, entity.Name(), cancellationToken: cancellationToken)
            : _api.ReplaceNamespacedCustomObjectAsync<TEntity>(entity, Group, Version, ns, Plural, entity.Name(), cancellationToken: cancellationToken);
    }

    /// <summary>Replaces the status subresource. Fails with 409 when the entity's resourceVersion is stale.</summary>
    public Task<TEntity> UpdateStatusAsync(TEntity entity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var ns = NamespaceOf(entity);
        return ns is null
            ? _api.ReplaceClusterCustomObjectStatusAsync<TEntity>(entity, Group, Version, Plural, entity.Name(), cancellationToken: cancellationToken)
            : _api.ReplaceNamespacedCustomObjectStatusAsync<TEntity>(entity, Group, Version, ns, Plural, entity.Name(), cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Applies <paramref name="mutate"/> to a copy of <paramref name="entity"/> and writes the status; on a
    /// conflict re-reads the entity and re-applies <paramref name="mutate"/>, so concurrent writers lose nothing.
    /// </summary>
    /// <returns>The stored entity, or null when it was deleted meanwhile.</returns>
    public Task<TEntity?> UpdateStatusAsync(TEntity entity, Action<TEntity> mutate, CancellationToken cancellationToken = default) =>
        MutateAsync(entity, mutate, UpdateStatusAsync, cancellationToken);

    /// <summary>Like <see cref="UpdateStatusAsync(TEntity, Action{TEntity}, CancellationToken)"/> for spec and metadata.</summary>
    public Task<TEntity?> UpdateAsync(TEntity entity, Action<TEntity> mutate, CancellationToken cancellationToken = default) =>
        MutateAsync(entity, mutate, UpdateAsync, cancellationToken);

    /// <summary>Patches the entity (JSON merge patch, JSON patch or strategic merge as <paramref name="patch"/> says).</summary>
    public Task<TEntity> PatchAsync(string name, string? @namespace, V1Patch patch, CancellationToken cancellationToken = default) =>
        @namespace is null
            ? _api.PatchClusterCustomObjectAsync<TEntity>(patch, Group, Version, Plural, name, cancellationToken: cancellationToken)
            : _api.PatchNamespacedCustomObjectAsync<TEntity>(patch, Group, Version, @namespace, Plural, name, cancellationToken: cancellationToken);

    /// <summary>Adds <paramref name="finalizer"/> to <c>metadata.finalizers</c> when missing.</summary>
    /// <returns>The stored entity, or null when it was deleted meanwhile.</returns>
    public Task<TEntity?> AddFinalizerAsync(TEntity entity, string finalizer, CancellationToken cancellationToken = default) =>
        SetFinalizersAsync(entity, list => list.Contains(finalizer) ? null : [.. list, finalizer], cancellationToken);

    /// <summary>Removes <paramref name="finalizer"/> from <c>metadata.finalizers</c> when present.</summary>
    /// <returns>The stored entity, or null when it is gone (removing the last finalizer of a deleted entity lets it go).</returns>
    public Task<TEntity?> RemoveFinalizerAsync(TEntity entity, string finalizer, CancellationToken cancellationToken = default) =>
        SetFinalizersAsync(entity, list => list.Contains(finalizer) ? [.. list.Where(f => f != finalizer)] : null, cancellationToken);

    /// <summary>Deletes the entity; true when it existed. Finalizers may keep it visible until they are removed.</summary>
    public async Task<bool> DeleteAsync(string name, string? @namespace, CancellationToken cancellationToken = default)
    {
        try
        {
            // The answer is the object (while finalizers hold it) or a Status: untyped, and not needed.
            if (@namespace is null)
            {
                await _api.DeleteClusterCustomObjectAsync(Group, Version, Plural, name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _api.DeleteNamespacedCustomObjectAsync(Group, Version, @namespace, Plural, name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception exception) when (ApiErrors.IsNotFound(exception))
        {
            return false;
        }
    }

    /// <summary>A deep copy, so that callers never mutate an object shared with the informer cache.</summary>
    public static TEntity Clone(TEntity entity) => KubernetesJson.Deserialize<TEntity>(KubernetesJson.Serialize(entity));

    private async Task<TEntity?> MutateAsync(
        TEntity entity, Action<TEntity> mutate, Func<TEntity, CancellationToken, Task<TEntity>> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(mutate);
        return await ConflictRetry.RunAsync(
            entity,
            async (state, ct) =>
            {
                var copy = Clone(state);
                mutate(copy);
                return await write(copy, ct).ConfigureAwait(false);
            },
            ct => GetAsync(entity.Name(), NamespaceOf(entity), ct),
            ApiErrors.IsConflict,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    // A merge patch carrying the resourceVersion makes the API server reject it with 409 when the list changed
    // since it was read; ConflictRetry then recomputes the list from a fresh read.
    private async Task<TEntity?> SetFinalizersAsync(TEntity entity, Func<IList<string>, IList<string>?> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return await ConflictRetry.RunAsync<TEntity>(
            entity,
            async (state, ct) =>
            {
                var updated = change(state.Metadata.Finalizers ?? []);
                if (updated is null)
                {
                    return state;
                }

                var patch = new JsonObject
                {
                    ["metadata"] = new JsonObject
                    {
                        ["resourceVersion"] = state.Metadata.ResourceVersion,
                        ["finalizers"] = new JsonArray([.. updated.Select(f => JsonValue.Create(f))]),
                    },
                };
                try
                {
                    return await PatchAsync(state.Name(), NamespaceOf(state), new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), ct).ConfigureAwait(false);
                }
                catch (Exception exception) when (ApiErrors.IsNotFound(exception))
                {
                    return null;
                }
            },
            ct => GetAsync(entity.Name(), NamespaceOf(entity), ct),
            ApiErrors.IsConflict,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static string? NamespaceOf(TEntity entity) =>
        string.IsNullOrEmpty(entity.Metadata?.NamespaceProperty) ? null : entity.Metadata.NamespaceProperty;
}
