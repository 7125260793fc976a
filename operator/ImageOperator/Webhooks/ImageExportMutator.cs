using ImageOperator.Api.V1Alpha1;
using ImageOperator.Controllers;
using ImageOperator.Runtime.Webhooks;
using ImageOperator.Storage;

namespace ImageOperator.Webhooks;

/// <summary>
/// Defaults of <see cref="ImageExport"/> (SPEC §7): a bucket-level destination URL (a pre-authenticated request
/// for a whole bucket) without an object name gets <c>&lt;imageName&gt;&lt;extension of the format&gt;</c>, so that
/// the stored object shows where the export goes.
/// </summary>
/// <param name="lookup">Reads the URL of a destination given as a Secret.</param>
public sealed class ImageExportMutator(IAdmissionLookup lookup) : MutationWebhook<ImageExport>
{
    /// <inheritdoc />
    public override async ValueTask<MutationResult<ImageExport>> CreateAsync(ImageExport entity, AdmissionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(context);
        var destination = entity.Spec.Destination;
        if (destination.Url is not { } location || destination.ObjectName is not null || destination.ObjectStore is not null)
        {
            return NoChanges();
        }

        var text = location.Url;
        if (location.SecretRef is { } secretRef)
        {
            text = (await lookup.FindSecretValueAsync(context.Namespace, secretRef.Name, secretRef.Key, cancellationToken).ConfigureAwait(false)).Value?.Trim();
        }

        // Unreadable URLs are left for the validating webhook to reject with the reason.
        if (text is null || ObjectLocation.TryParse(text, allowBucketLevel: true, out _) is not { IsBucketLevel: true })
        {
            return NoChanges();
        }

        destination.ObjectName = ImageExportController.DefaultObjectName(entity.Spec.ImageName, entity.Spec.Format);
        return Modified(entity, $"spec.destination.objectName: set to '{destination.ObjectName}' because the url names a bucket but no object");
    }
}
