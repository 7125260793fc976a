using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.Storage;
using ImageOperator.Tenancy;

namespace ImageOperator.Webhooks;

/// <summary>Whether a location is read (import) or written (export).</summary>
public enum LocationUse
{
    /// <summary>An import reads one object.</summary>
    Import,

    /// <summary>An export writes one object; a bucket-level URL needs an object name.</summary>
    Export,
}

/// <summary>
/// SPEC §7: object-store locations and object-storage URLs. A URL that grants access (pre-authenticated or
/// pre-signed) is a secret: it must come from a Secret, never sit in the spec. Names are data, never paths, and the
/// tenancy rules (<see cref="StoreAccessPolicy"/>) decide which namespace may use which object. Messages never quote a URL.
/// </summary>
public static class LocationRules
{
    /// <summary>
    /// Checks a bucket/object location at <paramref name="field"/>: the names are data (no path tricks), the Secret of
    /// keys it brings exists with both keys, and the tenancy rules let <paramref name="namespace"/> use the object.
    /// </summary>
    public static async ValueTask CheckObjectStoreAsync(
        AdmissionFindings findings,
        string field,
        ObjectStoreLocation location,
        string @namespace,
        StoreAccess access,
        StoreAccessPolicy policy,
        IAdmissionLookup lookup,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(findings);
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(lookup);
        var valid = true;
        if (ObjectLocation.BucketProblem(location.Bucket) is { } bucketProblem)
        {
            findings.Deny($"{field}.bucket", bucketProblem);
            valid = false;
        }

        // An export also writes <object>.manifest.json beside the disk object, which must be a valid name too.
        var written = access.HasFlag(StoreAccess.Write) ? location.Object + Controllers.ExportManifest.Suffix : location.Object;
        if ((ObjectLocation.ObjectNameProblem(location.Object) ?? ObjectLocation.ObjectNameProblem(written)) is { } problem)
        {
            findings.Deny($"{field}.object", problem);
            valid = false;
        }

        if (location.CredentialsSecretRef is { } secret)
        {
            foreach (var key in new[] { ObjectStores.AccessKeyKey, ObjectStores.SecretKeyKey })
            {
                var value = await lookup.FindSecretValueAsync(@namespace, secret.Name, key, cancellationToken).ConfigureAwait(false);
                if (!value.SecretExists || string.IsNullOrWhiteSpace(value.Value))
                {
                    findings.Deny($"{field}.credentialsSecretRef.name", value.SecretExists
                        ? $"Secret '{secret.Name}' has no (or an empty) key '{key}'; it must hold '{ObjectStores.AccessKeyKey}' and '{ObjectStores.SecretKeyKey}'"
                        : $"Secret '{secret.Name}' does not exist in namespace '{@namespace}'");
                    break;
                }
            }
        }

        if (valid && policy.CheckStoreObject(@namespace, location.Store, location.Bucket, location.Object, access, location.CredentialsSecretRef is not null) is { } refusal)
        {
            findings.Deny(field, refusal.Message);
        }
    }

    /// <summary>
    /// Checks a URL location at <paramref name="field"/>: syntax, no credentials in plain sight, the referenced
    /// Secret and key exist, and the tenancy rules let <paramref name="namespace"/> use the object (for a bucket-level export
    /// URL: <paramref name="objectName"/> in that bucket). Returns the parsed URL when it could be read.
    /// </summary>
    public static async ValueTask<ObjectLocation?> CheckUrlAsync(
        AdmissionFindings findings,
        string field,
        UrlLocation location,
        string @namespace,
        LocationUse use,
        string? objectName,
        StoreAccessPolicy policy,
        IAdmissionLookup lookup,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(findings);
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(lookup);
        if ((location.Url is null) == (location.SecretRef is null))
        {
            findings.Deny(field, "set exactly one of url and secretRef");
            return null;
        }

        string text, urlField;
        if (location.SecretRef is { } secretRef)
        {
            urlField = $"{field}.secretRef";
            var secret = await lookup.FindSecretValueAsync(@namespace, secretRef.Name, secretRef.Key, cancellationToken).ConfigureAwait(false);
            if (!secret.SecretExists)
            {
                findings.Deny($"{urlField}.name", $"Secret '{secretRef.Name}' does not exist in namespace '{@namespace}'");
                return null;
            }

            if (string.IsNullOrWhiteSpace(secret.Value))
            {
                findings.Deny($"{urlField}.key", $"Secret '{secretRef.Name}' has no (or an empty) key '{secretRef.Key}'");
                return null;
            }

            text = secret.Value.Trim();
        }
        else
        {
            urlField = $"{field}.url";
            text = location.Url!;
        }

        // Parsed by the same rules the controllers apply; bucket-level URLs are accepted here to be refused for
        // imports with a message of their own.
        var url = ObjectLocation.TryParse(text, allowBucketLevel: true, out var problem);
        if (url is null)
        {
            findings.Deny(urlField, location.SecretRef is null ? $"the URL {problem}" : $"the URL held in the Secret {problem}");
            return null;
        }

        if (url.Kind == ObjectLocationKind.PreauthenticatedUrl && location.SecretRef is null)
        {
            findings.Deny(urlField, "is a pre-authenticated (pre-signed) URL, which grants access and is shown once: store it in a Secret and refer to it with secretRef");
        }

        if (url.Url!.Scheme != Uri.UriSchemeHttps)
        {
            findings.Warn(urlField, "uses plain http: the image travels unencrypted");
        }

        if (use == LocationUse.Import && url.IsBucketLevel)
        {
            findings.Deny(urlField, "names a bucket but no object; an import reads one object (…/o/<object> or /<bucket>/<object>)");
        }

        var used = url.IsBucketLevel && !string.IsNullOrEmpty(objectName) && ObjectLocation.ObjectNameProblem(objectName) is null
            ? url.WithObject(objectName)
            : url;
        if ((!used.IsBucketLevel || use == LocationUse.Import)
            && policy.CheckUrl(@namespace, used, use == LocationUse.Export ? StoreAccess.Write : StoreAccess.Read) is { } refusal)
        {
            findings.Deny(urlField, refusal.Message);
        }

        return url;
    }
}
