using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.Runtime.Webhooks;
using ImageOperator.Tenancy;

namespace ImageOperator.Webhooks;

/// <summary>
/// Admission rules of <see cref="ImageExport"/> (SPEC §5, §7): platform, marketplace and marketplace-derived images
/// are never exported; the destination is exactly one valid location, and a bucket-level URL comes with the object
/// name to append; the spec is fixed once created.
/// </summary>
/// <param name="lookup">Cluster state: images and Secrets.</param>
/// <param name="policy">The tenancy rules: which namespace may use which bucket and object.</param>
public sealed class ImageExportValidator(IAdmissionLookup lookup, StoreAccessPolicy policy) : ValidationWebhook<ImageExport>
{
    /// <inheritdoc />
    public override async ValueTask<ValidationResult> CreateAsync(ImageExport entity, AdmissionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(context);
        var findings = new AdmissionFindings();
        var spec = entity.Spec;
        var image = await lookup.FindImageAsync(context.Namespace, spec.ImageName, cancellationToken).ConfigureAwait(false);
        if (image is null)
        {
            findings.Warn("spec.imageName", $"CustomImage '{spec.ImageName}' does not exist yet; the export waits for it (and checks then that it may be exported)");
        }
        else
        {
            CheckExportable(findings, image);
        }

        await CheckDestinationAsync(findings, spec.Destination, context.Namespace, cancellationToken).ConfigureAwait(false);
        TextRules.CheckStrings(findings, "spec", spec);
        return findings.ToResult();
    }

    /// <inheritdoc />
    public override ValueTask<ValidationResult> UpdateAsync(ImageExport oldEntity, ImageExport newEntity, AdmissionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(oldEntity);
        ArgumentNullException.ThrowIfNull(newEntity);
        var findings = new AdmissionFindings();
        ImmutableFields.Check(findings, "spec", oldEntity.Spec, newEntity.Spec, "an export copies the image once; create another ImageExport to export again");
        return ValueTask.FromResult(findings.ToResult());
    }

    /// <summary>SPEC §5: only custom images of an exportable operating system leave the platform.</summary>
    private static void CheckExportable(AdmissionFindings findings, CustomImage image)
    {
        var origin = image.Spec.Origin;
        if (origin != ImageOrigin.Custom)
        {
            var what = origin switch
            {
                ImageOrigin.Platform => "a platform image",
                ImageOrigin.Marketplace => "a marketplace image",
                _ => "a custom image created from a marketplace image",
            };
            findings.Deny("spec.imageName", $"CustomImage '{image.Metadata.Name}' is {what} (origin {origin}); platform images, marketplace images and images created from marketplace images cannot be exported");
        }

        var release = OperatingSystems.Resolve(image.Spec.OperatingSystem, image.Spec.OperatingSystemVersion);
        if (release is { Release.SupportsImportExport: false })
        {
            findings.Deny("spec.imageName", $"CustomImage '{image.Metadata.Name}' runs {OperatingSystemRules.Name(image.Spec.OperatingSystem)} {release.Release.Release}, which does not support export");
        }
    }

    private async ValueTask CheckDestinationAsync(AdmissionFindings findings, ExportDestination destination, string @namespace, CancellationToken cancellationToken)
    {
        const string Field = "spec.destination";
        if ((destination.ObjectStore is null) == (destination.Url is null))
        {
            findings.Deny(Field, "set exactly one of objectStore and url");
            return;
        }

        if (destination.ObjectStore is { } objectStore)
        {
            await LocationRules.CheckObjectStoreAsync(findings, $"{Field}.objectStore", objectStore, @namespace, StoreAccess.Write, policy, lookup, cancellationToken).ConfigureAwait(false);
            if (destination.ObjectName is not null)
            {
                findings.Deny($"{Field}.objectName", "only applies to a bucket-level url; set objectStore.object instead");
            }

            return;
        }

        var url = await LocationRules.CheckUrlAsync(findings, $"{Field}.url", destination.Url!, @namespace, LocationUse.Export, destination.ObjectName, policy, lookup, cancellationToken).ConfigureAwait(false);
        if (url is null)
        {
            return;
        }

        if (url.IsBucketLevel && string.IsNullOrEmpty(destination.ObjectName))
        {
            findings.Deny($"{Field}.objectName", "required: the url names a bucket but no object (a bucket-level pre-authenticated request); name the object to write, it is appended as /o/<objectName>");
        }
        else if (!url.IsBucketLevel && destination.ObjectName is not null)
        {
            findings.Deny($"{Field}.objectName", "must not be set: the url already names the object");
        }
    }
}
