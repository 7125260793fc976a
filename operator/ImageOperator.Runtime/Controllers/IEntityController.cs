using k8s;
using k8s.Models;

namespace ImageOperator.Runtime.Controllers;

/// <summary>
/// Drives entities of one kind toward their desired state. The runtime calls it with the latest cached state of
/// an entity whenever the entity changes, at every resync and when a previous reconcile asked for a requeue.
/// Reconciles of one entity never overlap; different entities are reconciled concurrently.
/// </summary>
/// <typeparam name="TEntity">The custom resource type.</typeparam>
public interface IEntityController<in TEntity>
    where TEntity : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>
    /// Brings the world in line with <paramref name="entity"/>. Must be idempotent. Throwing makes the runtime
    /// retry with exponential back-off.
    /// </summary>
    Task<ReconcileResult> ReconcileAsync(TEntity entity, CancellationToken cancellationToken);

    /// <summary>
    /// Called once the entity is gone from the API server (after all finalizers ran), with its last known state.
    /// Best effort: a deletion that happened while this replica was not leading is not replayed.
    /// </summary>
    Task DeletedAsync(TEntity entity, CancellationToken cancellationToken);
}

/// <summary>
/// Cleanup that must finish before an entity may be deleted. The runtime adds the finalizer's identifier to
/// <c>metadata.finalizers</c> of every live entity and, once the entity is being deleted, calls
/// <see cref="FinalizeAsync"/> until it reports <see cref="FinalizeResult.Complete"/>, then removes the identifier.
/// </summary>
/// <typeparam name="TEntity">The custom resource type.</typeparam>
public interface IEntityFinalizer<in TEntity>
    where TEntity : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>
    /// Cleans up for an entity being deleted. Return <see cref="FinalizeResult.RetryAfter"/> to keep blocking the
    /// deletion (for instance while exports of an image still run). Must be idempotent.
    /// </summary>
    Task<FinalizeResult> FinalizeAsync(TEntity entity, CancellationToken cancellationToken);
}
