using ImageOperator.Api.V1Alpha1;
using ImageOperator.Runtime.Webhooks;
using Microsoft.AspNetCore.Http;

namespace ImageOperator.Webhooks;

/// <summary>
/// Admission rules of <see cref="CustomImage"/>: a known operating system and version (Windows with edition and
/// licence certification), valid shape compatibilities (SPEC §6), no confidential-looking names, immutable origin
/// and (once imported) operating system, architecture and launch mode, and no deletion while an export runs.
/// </summary>
/// <param name="lookup">Cluster state: shapes and running exports.</param>
public sealed class CustomImageValidator(IAdmissionLookup lookup) : ValidationWebhook<CustomImage>
{
    /// <inheritdoc />
    public override async ValueTask<ValidationResult> CreateAsync(CustomImage entity, AdmissionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var findings = new AdmissionFindings();
        await CheckSpecAsync(findings, entity, previous: null, cancellationToken).ConfigureAwait(false);
        ConfidentialNameRules.Check(findings, "metadata.name", entity.Metadata.Name);
        return findings.ToResult();
    }

    /// <inheritdoc />
    public override async ValueTask<ValidationResult> UpdateAsync(CustomImage oldEntity, CustomImage newEntity, AdmissionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(oldEntity);
        ArgumentNullException.ThrowIfNull(newEntity);
        var findings = new AdmissionFindings();
        var before = oldEntity.Spec;
        var after = newEntity.Spec;
        ImmutableFields.Check(findings, "spec.origin", before.Origin, after.Origin,
            "the origin decides whether the image may be exported (SPEC §5)");
        if (oldEntity.Status.SourceImport is not null || oldEntity.Status.StoredDisk is not null)
        {
            const string Imported = "it describes the imported disk; only displayName, shapeCompatibilities, tags and sharing may change (SPEC §8)";
            ImmutableFields.Check(findings, "spec.operatingSystem", before.OperatingSystem, after.OperatingSystem, Imported);
            ImmutableFields.Check(findings, "spec.operatingSystemVersion", before.OperatingSystemVersion, after.OperatingSystemVersion, Imported);
            ImmutableFields.Check(findings, "spec.architecture", before.Architecture, after.Architecture, Imported);
            ImmutableFields.Check(findings, "spec.launchMode", before.LaunchMode, after.LaunchMode, Imported);
            ImmutableFields.Check(findings, "spec.builtOnHardwareGeneration", before.BuiltOnHardwareGeneration, after.BuiltOnHardwareGeneration, Imported);
        }

        await CheckSpecAsync(findings, newEntity, before.ShapeCompatibilities, cancellationToken).ConfigureAwait(false);
        return findings.ToResult();
    }

    /// <inheritdoc />
    public override async ValueTask<ValidationResult> DeleteAsync(CustomImage entity, AdmissionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(context);
        var running = await lookup.FindRunningExportsAsync(context.Namespace, entity.Metadata.Name, cancellationToken).ConfigureAwait(false);
        var exports = running.Union(entity.Status.ActiveExports, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return exports.Count == 0
            ? Success()
            : Fail($"CustomImage '{entity.Metadata.Name}' cannot be deleted while it is being exported (ImageExport {string.Join(", ", exports)}); wait until the export finishes or delete the ImageExport first",
                StatusCodes.Status409Conflict);
    }

    private async ValueTask CheckSpecAsync(AdmissionFindings findings, CustomImage image, IList<ShapeCompatibility>? previous, CancellationToken cancellationToken)
    {
        var spec = image.Spec;
        var licensedByProvider = spec.Origin is ImageOrigin.Platform or ImageOrigin.Marketplace;
        var release = OperatingSystemRules.Check(findings, "spec", spec.OperatingSystem, spec.OperatingSystemVersion, spec.LicenseAttestation,
            imported: false, requireLicenseAttestation: !licensedByProvider);
        await ShapeCompatibilityRules.CheckAsync(findings, "spec", spec.ShapeCompatibilities, previous,
            new ImageTraits(release, spec.Architecture, spec.BuiltOnHardwareGeneration), lookup, cancellationToken).ConfigureAwait(false);
        ConfidentialNameRules.Check(findings, "spec.displayName", spec.DisplayName);
        TextRules.CheckStrings(findings, "spec", spec);
        TextRules.CheckTags(findings, "spec", spec.FreeformTags, spec.DefinedTags);
    }
}
