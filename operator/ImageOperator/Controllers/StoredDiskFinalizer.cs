using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.Runtime.Controllers;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Events;
using ImageOperator.Storage;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Controllers;

/// <summary>
/// Guards the deletion of a CustomImage: blocks it while exports of the image run (condition DeletionBlocked
/// says which), then deletes the image's disk from the library and lets the image go.
/// </summary>
public sealed class StoredDiskFinalizer(
    IKubernetes kubernetes,
    ObjectStores stores,
    EventRecorder events,
    TimeProvider time,
    ILogger<StoredDiskFinalizer> logger) : IEntityFinalizer<CustomImage>
{
    /// <summary>The finalizer's identifier in <c>metadata.finalizers</c>.</summary>
    public const string Identifier = "imageoperator.io/stored-disk";

    private static readonly TimeSpan ExportPoll = TimeSpan.FromSeconds(2);

    private readonly EntityClient<CustomImage> _images = new(kubernetes);
    private readonly EntityClient<ImageExport> _exports = new(kubernetes);

    /// <inheritdoc />
    public async Task<FinalizeResult> FinalizeAsync(CustomImage entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var scope = logger.BeginScope("CustomImage {Namespace}/{Name}", entity.Namespace(), entity.Name());
        var stale = await CustomImageController.StaleExportsAsync(entity, _exports, cancellationToken).ConfigureAwait(false);
        var running = entity.Status.ActiveExports.Where(e => !stale.Contains(e)).ToList();
        if (running.Count > 0)
        {
            var message = $"the image cannot be deleted until its exports finish: {string.Join(", ", running)}";
            var updated = await _images.UpdateStatusAsync(entity, i =>
            {
                foreach (var name in stale)
                {
                    i.Status.ActiveExports.Remove(name);
                }

                i.Status.Set(ControllerReasons.DeletionBlocked, ConditionStatus.True, ConditionReasons.ExportsInProgress, message, i.Generation(), time.GetUtcNow());
            }, cancellationToken).ConfigureAwait(false);
            if (updated is not null && entity.Status.Find(ControllerReasons.DeletionBlocked)?.Status != ConditionStatus.True)
            {
                await events.NormalAsync(updated, ConditionReasons.ExportsInProgress, message, cancellationToken).ConfigureAwait(false);
            }

            return FinalizeResult.RetryAfter(ExportPoll);
        }

        await _images.UpdateStatusAsync(entity, i =>
        {
            i.Status.ActiveExports.Clear();
            i.Status.LifecycleState = ImageLifecycleState.Deleted;
            i.Status.Remove(ControllerReasons.DeletionBlocked);
            i.Status.Set(ConditionTypes.Ready, ConditionStatus.False, nameof(ImageLifecycleState.Deleted), "the image is being deleted", i.Generation(), time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);

        if (entity.Status.StoredDisk is { } disk)
        {
            if (ImageLibrary.Owns(disk, entity.Namespace(), stores.LibraryStoreName, stores.LibraryBucket))
            {
                var store = await stores.GetAsync(disk.Store, cancellationToken).ConfigureAwait(false);
                await store.RemoveAsync(disk.Bucket, disk.Object, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Deleted the stored disk {Disk}.", ObjectLocation.ForStore(store.Name, disk.Bucket, disk.Object));
            }
            else
            {
                logger.LogWarning("Kept the object {Bucket}/{Object} named by the stored disk: it is not where this image's disk is kept in the library.", disk.Bucket, disk.Object);
            }
        }

        return FinalizeResult.Complete;
    }
}
