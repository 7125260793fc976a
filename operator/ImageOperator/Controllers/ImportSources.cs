using System.Net;
using System.Text;
using System.Text.Json;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Runtime.Entities;
using ImageOperator.Storage;
using ImageOperator.Tenancy;
using k8s;
using k8s.Autorest;

namespace ImageOperator.Controllers;

/// <summary>An import source opened for ranged reads; disposing it closes the reader and any keys of the transfer's own.</summary>
/// <param name="Reader">The bytes of the source image.</param>
/// <param name="Description">Where it is, safe for status, events and logs (no credentials, no signature).</param>
/// <param name="CopiedFrom">The CustomImage being copied, for copies.</param>
/// <param name="Manifest">The validated export manifest naming the disk, for manifest imports; its size already matches.</param>
/// <param name="Digest">The SHA-256 the source must have (a manifest's, a copied image's), checked while it is read.</param>
/// <param name="OwnStore">The store built with keys the import brought (credentialsSecretRef), used by this import only.</param>
public sealed record OpenedSource(
    IRangeReader Reader, string Description, CustomImage? CopiedFrom, ExportManifest? Manifest = null, ExpectedDigest? Digest = null, ObjectStore? OwnStore = null)
    : IAsyncDisposable
{
    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Reader.DisposeAsync().ConfigureAwait(false);
        OwnStore?.Dispose();
    }
}

/// <summary>
/// Opens the source of an import: an object in a configured store (with the operator's keys where the namespace is
/// granted them, or with keys the import brings), an object-storage or pre-signed URL (given inline or in a Secret of
/// the import's namespace), the disk object beside an export manifest, or the stored disk of another CustomImage (in
/// another namespace only when shared with the import's namespace). The library bucket is never a source.
/// </summary>
public sealed class ImportSources(ObjectStores stores, StoredDisks storedDisks, StoreAccessPolicy policy, IKubernetes kubernetes)
{
    private readonly EntityClient<CustomImage> _images = new(kubernetes);

    /// <summary>
    /// Checks, before the import creates anything, that the names in its source are plain names and that the tenancy
    /// rules let its namespace read the object (or, for a manifest import, the manifest) they name. Copies of images
    /// are checked when opened, as the sharing rules need the source image.
    /// </summary>
    /// <exception cref="TransferFailure">The source is refused; the reason says why.</exception>
    public async Task CheckAccessAsync(ImageImport import, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(import);
        var source = import.Spec.Source;
        var ns = import.Metadata.NamespaceProperty;
        if (source.ObjectStore is { } objectStore)
        {
            CheckReadable(objectStore, ns);
        }
        else if (source.Url is { } url)
        {
            await ReadableUrlAsync(url, ns, "spec.source.url", cancellationToken).ConfigureAwait(false);
        }
        else if (source.Manifest is { } manifest)
        {
            await ReadableUrlAsync(manifest, ns, "spec.source.manifest", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Opens the source of <paramref name="import"/>.</summary>
    /// <exception cref="TransferFailure">The source cannot be used; the reason says why.</exception>
    /// <exception cref="ObjectStorageException">The store refused or failed the request.</exception>
    public async Task<OpenedSource> OpenAsync(ImageImport import, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(import);
        var source = import.Spec.Source;
        var ns = import.Metadata.NamespaceProperty;
        if (source.ObjectStore is { } objectStore)
        {
            CheckReadable(objectStore, ns);
            var (store, own) = await StoreForAsync(objectStore, ns, cancellationToken).ConfigureAwait(false);
            try
            {
                var reader = await store.OpenReadAsync(objectStore.Bucket, objectStore.Object, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new OpenedSource(reader, ObjectLocation.ForStore(store.Name, objectStore.Bucket, objectStore.Object).ToString(), null, OwnStore: own);
            }
            catch
            {
                own?.Dispose();
                throw;
            }
        }

        if (source.Url is { } url)
        {
            var location = await ReadableUrlAsync(url, ns, "spec.source.url", cancellationToken).ConfigureAwait(false);
            var registry = await stores.RegistryAsync(cancellationToken).ConfigureAwait(false);
            return new OpenedSource(await registry.OpenReadAsync(location, cancellationToken: cancellationToken).ConfigureAwait(false), location.ToString(), null);
        }

        if (source.CustomImage is { } reference)
        {
            return await OpenImageAsync(reference, ns, cancellationToken).ConfigureAwait(false);
        }

        if (source.Manifest is { } manifest)
        {
            return await OpenManifestAsync(manifest, ns, cancellationToken).ConfigureAwait(false);
        }

        throw new TransferFailure(ControllerReasons.InvalidLocation, "spec.source must set objectStore, url, customImage or manifest");
    }

    private void CheckReadable(ObjectStoreLocation location, string ns) =>
        TransferFailure.ThrowIfRefused(policy.CheckStoreObject(
            ns, location.Store, location.Bucket, location.Object, StoreAccess.Read, ownCredentials: location.CredentialsSecretRef is not null));

    private async Task<ObjectLocation> ReadableUrlAsync(UrlLocation url, string ns, string field, CancellationToken cancellationToken)
    {
        var location = ObjectLocation.Parse(await ResolveUrlAsync(url, ns, field, cancellationToken).ConfigureAwait(false));
        TransferFailure.ThrowIfRefused(policy.CheckUrl(ns, location, StoreAccess.Read));
        return location;
    }

    /// <summary>
    /// The store to reach <paramref name="location"/> with: a store of its own keys when it brings them (the caller
    /// disposes it, returned as Own), else the configured store.
    /// </summary>
    public async Task<(ObjectStore Store, ObjectStore? Own)> StoreForAsync(ObjectStoreLocation location, string ns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.CredentialsSecretRef is { } secret)
        {
            var own = await stores.TenantStoreAsync(location.Store, ns, secret.Name, cancellationToken).ConfigureAwait(false);
            return (own, own);
        }

        return (await stores.GetAsync(location.Store, cancellationToken).ConfigureAwait(false), null);
    }

    /// <summary>
    /// Where the disk object <paramref name="diskObject"/> beside the manifest at <paramref name="manifest"/> is
    /// reachable with the manifest URL's own authority: the same bucket, under the same pre-authenticated
    /// <c>/p/&lt;token&gt;/</c> prefix (a bucket-level request reads every object of its bucket) or through the same
    /// plain URL. Null for a pre-signed URL (signature in the query): it authorises the manifest object alone.
    /// </summary>
    /// <exception cref="ObjectStorageException">The disk object's name is invalid.</exception>
    public static ObjectLocation? Beside(ObjectLocation manifest, string diskObject)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (ObjectLocation.ObjectNameProblem(diskObject) is { } problem)
        {
            // Checked before the name joins a URL path, where a client would resolve '..' into another bucket.
            throw new ObjectStorageException(ObjectStorageError.InvalidLocation, $"The manifest's disk object is refused: {problem}.");
        }

        if (manifest.Url is not { } url || url.Query.Length > 0)
        {
            return null;
        }

        // Keep the path up to the bucket: /<bucket>, or [/p/<token>]/n/<namespace>/b/<bucket>/o.
        var segments = url.AbsolutePath.Split('/');
        var kept = manifest.ObjectNamespace is null ? 2 : (segments[1] == "p" ? 3 : 1) + 5;
        var path = string.Join('/', segments[..kept]) + "/" + ObjectLocation.EscapeKey(diskObject);
        return ObjectLocation.Parse(new UriBuilder(url) { Path = path, Query = string.Empty }.Uri.AbsoluteUri);
    }

    /// <summary>Reads the URL of <paramref name="location"/>, inline or from its Secret in <paramref name="ns"/>.</summary>
    public async Task<string> ResolveUrlAsync(UrlLocation location, string ns, string field, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!string.IsNullOrEmpty(location.Url))
        {
            return location.Url;
        }

        var reference = location.SecretRef
            ?? throw new TransferFailure(ControllerReasons.InvalidLocation, $"{field} must set url or secretRef");
        try
        {
            var secret = await kubernetes.CoreV1.ReadNamespacedSecretAsync(reference.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            return secret.Data?.TryGetValue(reference.Key, out var bytes) == true && bytes.Length > 0
                ? Encoding.UTF8.GetString(bytes).Trim()
                : throw new TransferFailure(ControllerReasons.InvalidLocation, $"Secret {ns}/{reference.Name} named by {field}.secretRef has no key '{reference.Key}'");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new TransferFailure(ControllerReasons.InvalidLocation, $"Secret {ns}/{reference.Name} named by {field}.secretRef does not exist");
        }
    }

    /// <summary>
    /// Reads and validates the manifest at <paramref name="url"/> (bounded in size), then opens the disk object it
    /// names beside it: with the manifest URL's own authority when that reaches it (see <see cref="Beside"/>), else
    /// with the credentials of the configured store the URL points at. Its size must be the manifest's.
    /// </summary>
    private async Task<OpenedSource> OpenManifestAsync(UrlLocation url, string ns, CancellationToken cancellationToken)
    {
        var location = await ReadableUrlAsync(url, ns, "spec.source.manifest", cancellationToken).ConfigureAwait(false);
        var registry = await stores.RegistryAsync(cancellationToken).ConfigureAwait(false);
        var manifest = await ReadManifestAsync(registry, location, cancellationToken).ConfigureAwait(false);
        manifest.Validate();

        ObjectLocation disk;
        try
        {
            disk = Beside(location, manifest.DiskObject)
                ?? (location.ObjectNamespace is null && registry.FindByEndpoint(location.Url!) is { } store
                    ? ObjectLocation.ForStore(store.Name, location.Bucket, manifest.DiskObject)
                    : throw new TransferFailure(ConditionReasons.AccessDenied,
                        $"the manifest URL {location} is pre-signed for the manifest alone and grants no access to its disk object '{manifest.DiskObject}', and its host is no configured object store; use a bucket-level pre-authenticated URL of the manifest, or import the disk object's own URL (spec.source.url)"));
        }
        catch (ObjectStorageException e) when (e.Error == ObjectStorageError.InvalidLocation)
        {
            throw new TransferFailure(ControllerReasons.InvalidManifest, $"the manifest is invalid: diskObject: {e.Message}");
        }

        if (disk.Key == location.Key)
        {
            throw new TransferFailure(ControllerReasons.InvalidManifest, "the manifest is invalid: diskObject names the manifest itself");
        }

        TransferFailure.ThrowIfRefused(policy.CheckUrl(ns, disk, StoreAccess.Read));

        S3RangeReader reader;
        try
        {
            reader = await registry.OpenReadAsync(disk, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStorageException e) when (e.Error == ObjectStorageError.AccessDenied && disk.Kind == ObjectLocationKind.PreauthenticatedUrl)
        {
            throw new TransferFailure(ConditionReasons.AccessDenied,
                $"{e.Message} The pre-authenticated request of the manifest must be a bucket-level one that reads the disk object beside it.", e);
        }

        const string Altered = "the disk or the manifest was altered; nothing was imported";
        if (reader.Length != manifest.SizeBytes)
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw new TransferFailure(ConditionReasons.VerificationFailed, $"{disk} has {reader.Length} bytes but its manifest records {manifest.SizeBytes}: {Altered}");
        }

        return new OpenedSource(reader, disk.ToString(), null, manifest, new ExpectedDigest(manifest.Sha256, "its manifest", ConditionReasons.VerificationFailed, Altered));
    }

    private static async Task<ExportManifest> ReadManifestAsync(ObjectStoreRegistry registry, ObjectLocation location, CancellationToken cancellationToken)
    {
        await using var reader = await registry.OpenReadAsync(location, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (reader.Length > ExportManifest.MaxBytes)
        {
            throw new TransferFailure(ControllerReasons.InvalidManifest,
                $"{location} has {reader.Length} bytes; an export manifest has at most {ExportManifest.MaxBytes}: is it the disk rather than its manifest?");
        }

        var bytes = new byte[reader.Length];
        await reader.ReadExactlyAtAsync(0, bytes, cancellationToken).ConfigureAwait(false);
        try
        {
            return ExportManifest.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new TransferFailure(ControllerReasons.InvalidManifest, $"{location} is not an export manifest: {e.Message}", e);
        }
    }

    private async Task<OpenedSource> OpenImageAsync(Api.V1Alpha1.ObjectReference reference, string ns, CancellationToken cancellationToken)
    {
        var sourceNamespace = string.IsNullOrEmpty(reference.Namespace) ? ns : reference.Namespace;
        var description = $"CustomImage {sourceNamespace}/{reference.Name}";
        var image = await _images.GetAsync(reference.Name, sourceNamespace, cancellationToken).ConfigureAwait(false)
            ?? throw new TransferFailure(ConditionReasons.SourceNotFound, $"{description} does not exist");
        if (sourceNamespace != ns && image.Spec.Sharing?.Namespaces.Contains(ns) != true)
        {
            // Same answer as for a missing image would hide its existence, but an explicit reason helps the owner fix sharing.
            throw new TransferFailure(ConditionReasons.AccessDenied, $"{description} is not shared with namespace {ns}");
        }

        if (image.Status.LifecycleState is not (ImageLifecycleState.Available or ImageLifecycleState.Exporting) || image.Status.StoredDisk is null)
        {
            throw new TransferFailure(ConditionReasons.ImageNotAvailable, $"{description} is {image.Status.LifecycleState?.ToString() ?? "not ready"}; only Available images can be copied");
        }

        var reader = await storedDisks.OpenAsync(image, cancellationToken).ConfigureAwait(false);
        return new OpenedSource(reader, description, image, Digest: StoredDisks.Digest(image, "it was replaced behind the operator's back; nothing was imported"));
    }
}
