using ImageOperator.Api.V1Alpha1;
using ImageOperator.Runtime.Webhooks;

namespace ImageOperator.Webhooks;

/// <summary>
/// Defaults of <see cref="ImageImport"/> (SPEC §3): an .oci image's launch mode comes from its own metadata, so a
/// launch mode given with one is removed (with a warning); a foreign image without one gets PARAVIRTUALIZED, the
/// recommended mode.
/// </summary>
public sealed class ImageImportMutator : MutationWebhook<ImageImport>
{
    /// <summary>Warning returned when a launch mode is removed from an .oci import.</summary>
    public const string LaunchModeRemovedWarning =
        "spec.launchMode: removed: the launch mode of an .oci image is taken from the image's own metadata";

    /// <inheritdoc />
    public override ValueTask<MutationResult<ImageImport>> CreateAsync(ImageImport entity, AdmissionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var spec = entity.Spec;
        if (spec.SourceImageType == SourceImageType.Oci)
        {
            if (spec.LaunchMode is null)
            {
                return ValueTask.FromResult(NoChanges());
            }

            spec.LaunchMode = null;
            return ValueTask.FromResult(Modified(entity, LaunchModeRemovedWarning));
        }

        // Manifests and copies carry the source image's launch mode; only foreign disks need the default.
        var foreignDisk = spec.Source.ObjectStore is not null || spec.Source.Url is not null;
        if (spec.LaunchMode is null && foreignDisk)
        {
            spec.LaunchMode = LaunchMode.Paravirtualized;
            return ValueTask.FromResult(Modified(entity));
        }

        return ValueTask.FromResult(NoChanges());
    }
}
