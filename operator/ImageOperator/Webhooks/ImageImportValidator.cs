using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.Runtime.Webhooks;
using ImageOperator.Tenancy;

namespace ImageOperator.Webhooks;

/// <summary>
/// Admission rules of <see cref="ImageImport"/>: exactly one source, valid URLs and existing Secrets, copies only
/// of images shared with this namespace, an importable operating system (SPEC §4), the launch-mode rules (SPEC §3),
/// valid shape compatibilities (SPEC §6), and an immutable source once created.
/// </summary>
/// <param name="lookup">Cluster state: shapes, images and Secrets.</param>
/// <param name="policy">The tenancy rules: which namespace may use which bucket and object.</param>
public sealed class ImageImportValidator(IAdmissionLookup lookup, StoreAccessPolicy policy) : ValidationWebhook<ImageImport>
{
    /// <inheritdoc />
    public override async ValueTask<ValidationResult> CreateAsync(ImageImport entity, AdmissionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(context);
        var findings = new AdmissionFindings();
        var spec = entity.Spec;
        var sourceImage = await CheckSourceAsync(findings, spec.Source, context.Namespace, cancellationToken).ConfigureAwait(false);

        if (await lookup.FindImageAsync(context.Namespace, spec.ImageName, cancellationToken).ConfigureAwait(false) is not null)
        {
            findings.Deny("spec.imageName", $"CustomImage '{spec.ImageName}' already exists in namespace '{context.Namespace}'; choose another name");
        }

        await CheckSpecAsync(findings, spec, sourceImage, previous: null, cancellationToken).ConfigureAwait(false);
        ConfidentialNameRules.Check(findings, "spec.imageName", spec.ImageName);
        return findings.ToResult();
    }

    /// <inheritdoc />
    public override async ValueTask<ValidationResult> UpdateAsync(ImageImport oldEntity, ImageImport newEntity, AdmissionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(oldEntity);
        ArgumentNullException.ThrowIfNull(newEntity);
        var findings = new AdmissionFindings();
        var before = oldEntity.Spec;
        var after = newEntity.Spec;
        const string Why = "an import reads its source once; create another ImageImport to import something else";
        ImmutableFields.Check(findings, "spec.source", before.Source, after.Source, Why);
        ImmutableFields.Check(findings, "spec.sourceImageType", before.SourceImageType, after.SourceImageType, Why);
        ImmutableFields.Check(findings, "spec.imageName", before.ImageName, after.ImageName, Why);
        ImmutableFields.Check(findings, "spec.operatingSystem", before.OperatingSystem, after.OperatingSystem, Why);
        ImmutableFields.Check(findings, "spec.operatingSystemVersion", before.OperatingSystemVersion, after.OperatingSystemVersion, Why);
        ImmutableFields.Check(findings, "spec.launchMode", before.LaunchMode, after.LaunchMode, Why);
        ImmutableFields.Check(findings, "spec.architecture", before.Architecture, after.Architecture, Why);
        ImmutableFields.Check(findings, "spec.builtOnHardwareGeneration", before.BuiltOnHardwareGeneration, after.BuiltOnHardwareGeneration, Why);
        if (findings.Violations.Count == 0)
        {
            // Only the editable fields changed: check them again, without the one-time checks on the source.
            var sourceImage = after.Source.CustomImage is { } reference
                ? await lookup.FindImageAsync(reference.Namespace ?? context.Namespace, reference.Name, cancellationToken).ConfigureAwait(false)
                : null;
            await CheckSpecAsync(findings, after, sourceImage, before.ShapeCompatibilities, cancellationToken).ConfigureAwait(false);
        }

        return findings.ToResult();
    }

    /// <summary>Checks the fields that describe the image to create.</summary>
    private async ValueTask CheckSpecAsync(AdmissionFindings findings, ImageImportSpec spec, CustomImage? sourceImage, IList<ShapeCompatibility>? previous, CancellationToken cancellationToken)
    {
        var isOci = spec.SourceImageType == SourceImageType.Oci;
        var sourceCarriesMetadata = isOci || spec.Source.Manifest is not null || spec.Source.CustomImage is not null;

        ResolvedOperatingSystemVersion? release = null;
        if (!sourceCarriesMetadata || spec.OperatingSystem is not null || spec.OperatingSystemVersion is not null)
        {
            release = OperatingSystemRules.Check(findings, "spec", spec.OperatingSystem, spec.OperatingSystemVersion, spec.LicenseAttestation,
                imported: true, requireLicenseAttestation: true);
        }
        else if (sourceImage is not null)
        {
            release = OperatingSystems.Resolve(sourceImage.Spec.OperatingSystem, sourceImage.Spec.OperatingSystemVersion);
        }

        if (spec.LaunchMode is { } launchMode)
        {
            if (isOci)
            {
                findings.Deny("spec.launchMode", "must not be set for an .oci image: its launch mode comes from the image's own metadata (SPEC §3)");
            }
            else if (launchMode == LaunchMode.Native && spec.SourceImageType is not (SourceImageType.Qcow2 or SourceImageType.Auto))
            {
                findings.Deny("spec.launchMode",
                    $"NATIVE is only for QCOW2 images exported from this platform, not for a {spec.SourceImageType.ToString().ToUpperInvariant()} image; use PARAVIRTUALIZED (recommended) or EMULATED (SPEC §3)");
            }
        }

        if (spec.Source.CustomImage is null)
        {
            findings.Warn("spec.source", OperatingSystemRules.UnofficialImageWarning);
        }

        var architecture = spec.Architecture ?? sourceImage?.Spec.Architecture ?? CpuArchitecture.X86_64;
        var builtOn = spec.BuiltOnHardwareGeneration ?? sourceImage?.Spec.BuiltOnHardwareGeneration;
        await ShapeCompatibilityRules.CheckAsync(findings, "spec", spec.ShapeCompatibilities, previous,
            new ImageTraits(release, architecture, builtOn), lookup, cancellationToken).ConfigureAwait(false);
        ConfidentialNameRules.Check(findings, "spec.displayName", spec.DisplayName);
        TextRules.CheckStrings(findings, "spec", spec);
        TextRules.CheckTags(findings, "spec", spec.FreeformTags, spec.DefinedTags);
    }

    /// <summary>Checks the one source; returns the CustomImage to copy when the source is one that exists and may be copied.</summary>
    private async ValueTask<CustomImage?> CheckSourceAsync(AdmissionFindings findings, ImportSource source, string @namespace, CancellationToken cancellationToken)
    {
        var set = new List<string>(4);
        if (source.ObjectStore is not null)
        {
            set.Add("objectStore");
        }

        if (source.Url is not null)
        {
            set.Add("url");
        }

        if (source.CustomImage is not null)
        {
            set.Add("customImage");
        }

        if (source.Manifest is not null)
        {
            set.Add("manifest");
        }

        if (set.Count != 1)
        {
            findings.Deny("spec.source", set.Count == 0
                ? "set exactly one of objectStore, url, customImage and manifest (none is set)"
                : $"set exactly one of objectStore, url, customImage and manifest ({string.Join(" and ", set)} are set)");
            return null;
        }

        if (source.ObjectStore is { } objectStore)
        {
            await LocationRules.CheckObjectStoreAsync(findings, "spec.source.objectStore", objectStore, @namespace, StoreAccess.Read, policy, lookup, cancellationToken).ConfigureAwait(false);
        }
        else if (source.Url is { } url)
        {
            await LocationRules.CheckUrlAsync(findings, "spec.source.url", url, @namespace, LocationUse.Import, objectName: null, policy, lookup, cancellationToken).ConfigureAwait(false);
        }
        else if (source.Manifest is { } manifest)
        {
            await LocationRules.CheckUrlAsync(findings, "spec.source.manifest", manifest, @namespace, LocationUse.Import, objectName: null, policy, lookup, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            return await CheckCopyAsync(findings, source.CustomImage!, @namespace, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private async ValueTask<CustomImage?> CheckCopyAsync(AdmissionFindings findings, ObjectReference reference, string @namespace, CancellationToken cancellationToken)
    {
        var sourceNamespace = string.IsNullOrEmpty(reference.Namespace) ? @namespace : reference.Namespace;
        var image = await lookup.FindImageAsync(sourceNamespace, reference.Name, cancellationToken).ConfigureAwait(false);
        if (sourceNamespace == @namespace)
        {
            if (image is null)
            {
                findings.Warn("spec.source.customImage.name", $"CustomImage '{reference.Name}' does not exist yet; the import waits for it");
            }

            return image;
        }

        // The same answer whether the image is missing or private, so that other namespaces' images cannot be probed.
        if (image?.Spec.Sharing?.Namespaces.Contains(@namespace) != true)
        {
            findings.Deny("spec.source.customImage",
                $"CustomImage '{sourceNamespace}/{reference.Name}' does not exist or is not shared with namespace '{@namespace}' (its owner must list '{@namespace}' in spec.sharing.namespaces)");
            return null;
        }

        return image;
    }
}
