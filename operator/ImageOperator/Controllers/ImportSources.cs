using System.Net;
using System.Text;
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
public sealed record OpenedSource(IRangeReader Reader, string Description, CustomImage? CopiedFrom);

/// <summary>
/// Opens the source of an import: an object in a configured store, an object-storage or pre-signed URL (given
/// inline or in a Secret of the import's namespace), or the stored disk of another CustomImage (in another
/// namespace only when shared with the import's namespace).
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
            return new OpenedSource(await OpenUrlAsync(location, cancellationToken).ConfigureAwait(false), location.ToString(), null);
        }

        if (source.CustomImage is { } reference)
        {
            return await OpenImageAsync(reference, ns, cancellationToken).ConfigureAwait(false);
        }

        throw new TransferFailure(ControllerReasons.InvalidLocation, source.Manifest is null
            ? "spec.source must set objectStore, url or customImage"
            : "manifest sources are not supported by this operator version; import the disk object named in the manifest instead");
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
    /// Opens a URL: through the credentials of the configured store that serves it when the URL carries none,
    /// otherwise with plain ranged GETs (pre-signed or public URLs).
    /// </summary>
    public async Task<IRangeReader> OpenUrlAsync(ObjectLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.Kind == ObjectLocationKind.Url && await stores.ServingAsync(location.Url!, cancellationToken).ConfigureAwait(false) is { } store)
        {
            return await store.OpenReadAsync(location.Bucket, location.Key, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return await S3RangeReader.OpenUrlAsync(stores.UrlClient, location, cancellationToken: cancellationToken).ConfigureAwait(false);
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
