using System.Net;
using System.Text;
using System.Text.Json;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Runtime.Entities;
using ImageOperator.Storage;
using k8s;
using k8s.Autorest;

namespace ImageOperator.Controllers;

/// <summary>An import source opened for ranged reads.</summary>
/// <param name="Reader">The bytes of the source image.</param>
/// <param name="Description">Where it is, safe for status, events and logs (no credentials, no signature).</param>
/// <param name="CopiedFrom">The CustomImage being copied, for copies.</param>
/// <param name="Manifest">The validated export manifest naming the disk, for manifest imports; its size already matches.</param>
public sealed record OpenedSource(IRangeReader Reader, string Description, CustomImage? CopiedFrom, ExportManifest? Manifest = null);

/// <summary>
/// Opens the source of an import: an object in a configured store, an object-storage or pre-signed URL (given
/// inline or in a Secret of the import's namespace), the disk object beside an export manifest, or the stored
/// disk of another CustomImage (in another namespace only when shared with the import's namespace).
/// </summary>
public sealed class ImportSources(ObjectStores stores, IKubernetes kubernetes)
{

    private readonly EntityClient<CustomImage> _images = new(kubernetes);

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
            var location = ObjectLocation.ForStore(objectStore.Store ?? "default", objectStore.Bucket, objectStore.Object);
            var store = await stores.GetAsync(objectStore.Store, cancellationToken).ConfigureAwait(false);
            var reader = await store.OpenReadAsync(objectStore.Bucket, objectStore.Object, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new OpenedSource(reader, location.ToString(), null);
        }

        if (source.Url is { } url)
        {
            var location = ObjectLocation.Parse(await ResolveUrlAsync(url, ns, "spec.source.url", cancellationToken).ConfigureAwait(false));
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
        var location = ObjectLocation.Parse(await ResolveUrlAsync(url, ns, "spec.source.manifest", cancellationToken).ConfigureAwait(false));
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

        if (reader.Length != manifest.SizeBytes)
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw new TransferFailure(ConditionReasons.VerificationFailed,
                $"{disk} has {reader.Length} bytes but its manifest records {manifest.SizeBytes}: the disk or the manifest was altered; nothing was imported");
        }

        return new OpenedSource(reader, disk.ToString(), null, manifest);
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

        var disk = image.Status.StoredDisk;
        var store = await stores.GetAsync(disk.Store, cancellationToken).ConfigureAwait(false);
        var reader = await store.OpenReadAsync(disk.Bucket, disk.Object, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new OpenedSource(reader, description, image);
    }
}
