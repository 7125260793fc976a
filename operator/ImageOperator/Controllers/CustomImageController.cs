using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Runtime.Controllers;
using ImageOperator.Runtime.Entities;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Controllers;

/// <summary>
/// Keeps a CustomImage's lifecycle state in step with its spec and its exports: Disabled while
/// <c>spec.disabled</c>, Exporting while exports run, Available otherwise (once it has a stored disk; imports own
/// the Importing and Failed states); records the generation it observed, so edits of the display name or shape
/// list show as reconciled; drops exports from <c>status.activeExports</c> that ended without releasing the image.
/// </summary>
public sealed class CustomImageController(
    IKubernetes kubernetes,
    ImageMetrics metrics,
    TimeProvider time,
    ILogger<CustomImageController> logger) : IEntityController<CustomImage>
{
    private static readonly TimeSpan ExportPoll = TimeSpan.FromSeconds(30);

    private readonly EntityClient<CustomImage> _images = new(kubernetes);
    private readonly EntityClient<ImageExport> _exports = new(kubernetes);

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(CustomImage entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var scope = logger.BeginScope("CustomImage {Namespace}/{Name}", entity.Namespace(), entity.Name());
        var stale = await StaleExportsAsync(entity, _exports, cancellationToken).ConfigureAwait(false);
        var before = KubernetesJson.Serialize(entity.Status);
        var desired = EntityClient<CustomImage>.Clone(entity);
        Apply(desired, stale);
        var image = entity;
        if (KubernetesJson.Serialize(desired.Status) != before)
        {
            image = await _images.UpdateStatusAsync(entity, i => Apply(i, stale), cancellationToken).ConfigureAwait(false) ?? entity;
            logger.LogInformation("CustomImage is {State} (generation {Generation}).", image.Status.LifecycleState, image.Generation());
        }

        metrics.RecordImageState(ObjectKey.Of(image).ToString(), image.Status.LifecycleState);
        return image.Status.ActiveExports.Count > 0 ? ReconcileResult.RequeueAfter(ExportPoll) : ReconcileResult.Done;
    }

    /// <inheritdoc />
    public Task DeletedAsync(CustomImage entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        metrics.RecordImageState(ObjectKey.Of(entity).ToString(), null);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Names in <c>status.activeExports</c> whose ImageExport is gone or finished: an export that crashed between its
    /// last status write and releasing the image must not block deletion forever.
    /// </summary>
    internal static async Task<IReadOnlySet<string>> StaleExportsAsync(CustomImage image, EntityClient<ImageExport> exports, CancellationToken cancellationToken)
    {
        var stale = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in image.Status.ActiveExports)
        {
            var export = await exports.GetAsync(name, image.Namespace(), cancellationToken).ConfigureAwait(false);
            if (export is null || export.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed || export.Spec.ImageName != image.Name())
            {
                stale.Add(name);
            }
        }

        return stale;
    }

    private void Apply(CustomImage image, IReadOnlySet<string> staleExports)
    {
        var status = image.Status;
        var now = time.GetUtcNow();
        var generation = image.Generation();
        foreach (var name in staleExports)
        {
            status.ActiveExports.Remove(name);
        }

        status.ObservedGeneration = generation;
        if (status.LifecycleState is ImageLifecycleState.Importing or ImageLifecycleState.Failed or ImageLifecycleState.Deleted)
        {
            return;
        }

        if (status.StoredDisk is null && image.Metadata.Annotations?.ContainsKey(ImageImportController.ImportUidAnnotation) == true)
        {
            // Created by an import that has not stored the disk yet: the import drives the state from here, and the
            // image must read Importing from the start, even when this controller sees it before the import does.
            status.LifecycleState = ImageLifecycleState.Importing;
            return;
        }

        if (status.StoredDisk is null)
        {
            status.LifecycleState = ImageLifecycleState.Provisioning;
            status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.Pending, "the image has no stored disk yet; an ImageImport creates it", generation, now);
            return;
        }

        if (image.Spec.Disabled)
        {
            status.LifecycleState = ImageLifecycleState.Disabled;
            status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.Disabled, "the image is disabled (spec.disabled)", generation, now);
            return;
        }

        status.LifecycleState = status.ActiveExports.Count > 0 ? ImageLifecycleState.Exporting : ImageLifecycleState.Available;
        status.Set(ConditionTypes.Ready, ConditionStatus.True, ConditionReasons.Available, "the image is available", generation, now);
        if (status.ActiveExports.Count == 0 && status.Find(ConditionTypes.Exporting) is { Status: ConditionStatus.True })
        {
            status.Set(ConditionTypes.Exporting, ConditionStatus.False, ConditionReasons.Succeeded, "no export is running", generation, now);
        }
    }
}
