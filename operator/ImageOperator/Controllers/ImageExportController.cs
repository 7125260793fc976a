using System.Diagnostics;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.DiskFormats;
using ImageOperator.DiskFormats.Conversion;
using ImageOperator.Runtime.Controllers;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Events;
using ImageOperator.Storage;
using ImageOperator.Tenancy;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Minio.DataModel.Args;

namespace ImageOperator.Controllers;

/// <summary>
/// Exports a CustomImage: refuses platform and marketplace images outright; otherwise lists itself in the image's
/// <c>status.activeExports</c> (state Exporting: the image stays usable but cannot be deleted), converts the stored
/// QCOW2 in-process to the requested format streamed into the destination (a store object by multipart upload; a
/// pre-signed or pre-authenticated URL, a bucket-level one getting <c>/o/&lt;object&gt;</c> appended, by one spooled
/// PUT whose Content-MD5 the server checks), verifies the object's size where it can be read and reports it with
/// the SHA-256 computed while writing, writes the manifest beside it when the destination allows, optionally puts a
/// pre-signed read URL in a Secret owned by the export, and releases the image. URLs appear only redacted.
/// </summary>
public sealed class ImageExportController(
    IKubernetes kubernetes,
    ObjectStores stores,
    ImportSources urls,
    StoredDisks storedDisks,
    StoreAccessPolicy policy,
    EventRecorder events,
    ImageMetrics metrics,
    OperatorOptions options,
    TimeProvider time,
    ILogger<ImageExportController> logger) : IEntityController<ImageExport>
{
    /// <summary>Key of the pre-signed URL in the export's Secret.</summary>
    public const string UrlKey = "url";

    private const string Direction = "export";
    private static readonly TimeSpan WaitForImage = TimeSpan.FromSeconds(5);

    private readonly EntityClient<ImageExport> _exports = new(kubernetes);
    private readonly EntityClient<CustomImage> _images = new(kubernetes);
    private readonly TransferOutcomes<ImageExport, ImageExportStatus> _outcomes = new(kubernetes, events, metrics, time, logger, options.Retries, Direction, ConditionTypes.Exporting);

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ImageExport entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var scope = logger.BeginScope("ImageExport {Namespace}/{Name}", entity.Namespace(), entity.Name());
        var export = IsFinished(entity) ? entity : await _exports.GetAsync(entity.Name(), entity.Namespace(), cancellationToken).ConfigureAwait(false);
        if (export is null)
        {
            return ReconcileResult.Done;
        }

        var image = await _images.GetAsync(export.Spec.ImageName, export.Namespace(), cancellationToken).ConfigureAwait(false);
        if (IsFinished(export))
        {
            // A crash between the final status write and the release leaves the image listing a finished export.
            await ReleaseAsync(image, export, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        try
        {
            if (Refusal(export, image) is { } refusal)
            {
                throw refusal;
            }

            if (image!.Status.LifecycleState is ImageLifecycleState.Importing or ImageLifecycleState.Provisioning or null)
            {
                await _exports.UpdateStatusAsync(export, e =>
                {
                    e.Status.Phase = ExportPhase.Pending;
                    e.Status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.ImageNotAvailable,
                        $"waiting for CustomImage {image.Name()} to become Available", e.Generation(), time.GetUtcNow());
                }, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.RequeueAfter(WaitForImage);
            }

            image = await AcquireAsync(image, export, cancellationToken).ConfigureAwait(false);
            export = await _exports.UpdateStatusAsync(export, e =>
            {
                e.Status.Phase = ExportPhase.Exporting;
                e.Status.StartTime ??= time.GetUtcNow().UtcDateTime;
                e.Status.ObservedGeneration = e.Generation();
                e.Status.Set(ConditionTypes.Exporting, ConditionStatus.True, ConditionReasons.InProgress, "converting and uploading", e.Generation(), time.GetUtcNow());
                e.Status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.InProgress, "the export is running", e.Generation(), time.GetUtcNow());
            }, cancellationToken).ConfigureAwait(false) ?? export;
            await ExportAsync(export, image, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var failure = TransferFailure.Classify(e, $"stored disk of CustomImage {export.Spec.ImageName}");
            failure ??= await _outcomes.NoteRetryAsync(export, e, export.Spec.RetryPolicy, cancellationToken).ConfigureAwait(false);
            if (failure is null)
            {
                throw;
            }

            await _outcomes.FailAsync(export, failure, e => e.Phase = ExportPhase.Failed, cancellationToken).ConfigureAwait(false);
        }

        await ReleaseAsync(await _images.GetAsync(export.Spec.ImageName, export.Namespace(), cancellationToken).ConfigureAwait(false), export, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    /// <inheritdoc />
    public Task DeletedAsync(ImageExport entity, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The object name used when the destination gives none: the image name plus the format's extension.</summary>
    public static string DefaultObjectName(string imageName, ExportFormat format) => imageName + format switch
    {
        ExportFormat.Oci => ".oci",
        ExportFormat.Qcow2 => ".qcow2",
        ExportFormat.Vmdk => ".vmdk",
        ExportFormat.Vdi => ".vdi",
        ExportFormat.Vhd => ".vhd",
        _ => ".raw",
    };

    private static bool IsFinished(ImageExport export) => export.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed;

    private static TransferFailure? Refusal(ImageExport export, CustomImage? image)
    {
        var name = export.Spec.ImageName;
        if (image is null)
        {
            return new TransferFailure(ConditionReasons.ImageNotAvailable, $"CustomImage {name} does not exist");
        }

        if (image.Spec.Origin is not ImageOrigin.Custom)
        {
            return new TransferFailure(ConditionReasons.ExportNotAllowed,
                $"CustomImage {name} is a {ImageSpecMetadata.Text(image.Spec.Origin)} image; platform, marketplace and marketplace-derived images cannot be exported");
        }

        if (image.Metadata.DeletionTimestamp is not null)
        {
            return new TransferFailure(ConditionReasons.ImageNotAvailable, $"CustomImage {name} is being deleted");
        }

        return image.Status.LifecycleState is ImageLifecycleState.Failed || (image.Status.LifecycleState is not (ImageLifecycleState.Importing or ImageLifecycleState.Provisioning or null) && image.Status.StoredDisk is null)
            ? new TransferFailure(ConditionReasons.ImageNotAvailable, $"CustomImage {name} has no stored disk (state {image.Status.LifecycleState})")
            : null;
    }

    private async Task<CustomImage> AcquireAsync(CustomImage image, ImageExport export, CancellationToken cancellationToken) =>
        await _images.UpdateStatusAsync(image, i =>
        {
            if (!i.Status.ActiveExports.Contains(export.Name()))
            {
                i.Status.ActiveExports.Add(export.Name());
            }

            if (i.Status.LifecycleState is ImageLifecycleState.Available)
            {
                i.Status.LifecycleState = ImageLifecycleState.Exporting;
            }

            i.Status.Set(ConditionTypes.Exporting, ConditionStatus.True, ConditionReasons.InProgress,
                $"exports running: {string.Join(", ", i.Status.ActiveExports)}", i.Generation(), time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false)
        ?? throw new TransferFailure(ConditionReasons.ImageNotAvailable, $"CustomImage {image.Name()} was deleted");

    private async Task ReleaseAsync(CustomImage? image, ImageExport export, CancellationToken cancellationToken)
    {
        if (image is null || !image.Status.ActiveExports.Contains(export.Name()))
        {
            return;
        }

        await _images.UpdateStatusAsync(image, i =>
        {
            i.Status.ActiveExports.Remove(export.Name());
            if (i.Status.ActiveExports.Count > 0)
            {
                i.Status.Set(ConditionTypes.Exporting, ConditionStatus.True, ConditionReasons.InProgress,
                    $"exports running: {string.Join(", ", i.Status.ActiveExports)}", i.Generation(), time.GetUtcNow());
                return;
            }

            if (i.Status.LifecycleState is ImageLifecycleState.Exporting)
            {
                i.Status.LifecycleState = i.Spec.Disabled ? ImageLifecycleState.Disabled : ImageLifecycleState.Available;
            }

            i.Status.Set(ConditionTypes.Exporting, ConditionStatus.False, ConditionReasons.Succeeded, "no export is running", i.Generation(), time.GetUtcNow());
            i.Status.Remove(ControllerReasons.DeletionBlocked);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Resolves where <paramref name="export"/> writes and checks the tenancy rules on the disk object and its
    /// manifest: never the library or a reserved bucket; the operator's keys only where the namespace is granted
    /// writes; keys the export brings, or the authority of a pre-authenticated URL, otherwise. The caller disposes it.
    /// </summary>
    private async Task<Destination> DestinationAsync(ImageExport export, CancellationToken cancellationToken)
    {
        var destination = export.Spec.Destination;
        var ns = export.Namespace();
        var objectName = destination.ObjectName ?? DefaultObjectName(export.Spec.ImageName, export.Spec.Format);
        if (destination.ObjectStore is { } objectStore)
        {
            // The manifest shares the disk object's bucket and prefix, so the disk object's grant covers it.
            TransferFailure.ThrowIfRefused(policy.CheckStoreObject(
                ns, objectStore.Store, objectStore.Bucket, objectStore.Object, StoreAccess.Write, ownCredentials: objectStore.CredentialsSecretRef is not null));
            var (writer, ownStore) = await urls.StoreForAsync(objectStore, ns, cancellationToken).ConfigureAwait(false);
            return Destination.InStore(writer, objectStore.Bucket, objectStore.Object, ownStore);
        }

        if (destination.Url is not { } url)
        {
            throw new TransferFailure(ControllerReasons.InvalidLocation, "spec.destination must set objectStore or url");
        }

        var location = ObjectLocation.Parse(await urls.ResolveUrlAsync(url, ns, "spec.destination.url", cancellationToken).ConfigureAwait(false), allowBucketLevel: true);
        if (location.IsBucketLevel)
        {
            location = location.WithObject(objectName);
        }

        TransferFailure.ThrowIfRefused(policy.CheckUrl(ns, location, StoreAccess.Write));
        var registry = await stores.RegistryAsync(cancellationToken).ConfigureAwait(false);
        if (location.Kind == ObjectLocationKind.Url && location.ObjectNamespace is null && registry.FindByEndpoint(location.Url!) is { } store)
        {
            return Destination.InStore(store, location.Bucket, location.Key, own: null);
        }

        if (location.Kind != ObjectLocationKind.PreauthenticatedUrl)
        {
            throw new TransferFailure(ControllerReasons.InvalidLocation,
                $"the destination {location} is neither on a configured object store nor pre-authenticated: nothing authorises writing there");
        }

        if (export.Spec.PreauthenticatedRequest is { Enabled: true })
        {
            throw new TransferFailure(ControllerReasons.InvalidLocation,
                "spec.preauthenticatedRequest needs an objectStore destination: the operator holds no credentials to sign read URLs of a pre-authenticated destination");
        }

        // A bucket-level request also writes the manifest beside the disk; a pre-signed URL authorises the disk alone.
        return new Destination(location, ImportSources.Beside(location, location.Key + ExportManifest.Suffix), null, null);
    }

    private async Task ExportAsync(ImageExport export, CustomImage image, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var destination = await DestinationAsync(export, cancellationToken).ConfigureAwait(false);
        var target = destination.Disk;
        if (destination.Store is { } store && !await store.Minio.BucketExistsAsync(new BucketExistsArgs().WithBucket(target.Bucket), cancellationToken).ConfigureAwait(false))
        {
            throw new TransferFailure(ControllerReasons.DestinationNotFound, $"bucket '{target.Bucket}' of store '{store.Name}' does not exist");
        }

        if (destination.Store is { } destinationStore)
        {
            await CheckOverwriteAsync(export, destinationStore, target, cancellationToken).ConfigureAwait(false);
        }

        // Checked before writing, so that a taken name fails the export with nothing left behind.
        if (export.Spec.PreauthenticatedRequest is { Enabled: true } && await ForeignSecretAsync(export, cancellationToken).ConfigureAwait(false) is { } taken)
        {
            throw SecretTaken(taken);
        }

        var registry = await stores.RegistryAsync(cancellationToken).ConfigureAwait(false);
        var description = $"the stored disk of CustomImage {image.Namespace()}/{image.Name()}";
        ConversionResult result;
        long virtualSize;
        try
        {
            await using var reader = await storedDisks.OpenAsync(image, cancellationToken).ConfigureAwait(false);
            var digest = StoredDisks.Digest(image, "it was replaced behind the operator's back; nothing was exported");
            await using var verification = DigestVerification.Start(reader, description, digest, cancellationToken);
            await using var source = await DiskImageReader.OpenAsync(reader, DiskFormat.Qcow2, cancellationToken: cancellationToken).ConfigureAwait(false);
            virtualSize = source.VirtualSize;
            logger.LogInformation("Exporting CustomImage {Image} as {Format} to {Destination}.", image.Name(), export.Spec.Format, target);

            if (destination.Store is { } staleIn)
            {
                await staleIn.AbortIncompleteUploadsAsync(target.Bucket, target.Key, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            var progress = new ProgressReporter(
                (p, ct) => _exports.UpdateStatusAsync(export, e => e.Status.Progress = p, ct),
                options.ProgressInterval, time, logger, cancellationToken);
            await using (var sink = await destination.CreateSinkAsync(registry, options.SpoolDirectory, cancellationToken).ConfigureAwait(false))
            {
                result = await DiskImageConverter.ConvertAsync(
                    source, sink, new ConversionOptions
                    {
                        Format = OutputFormatOf(export.Spec.Format),
                        Metadata = ImageSpecMetadata.ForExport(image),
                        // The library QCOW2 was written by the engine, which stores no all-zero cluster: its map needs no pre-scan read.
                        SourceAllocationIsExact = true,
                        // A stored disk whose bytes are not the ones its import recorded is never shipped.
                        CompletionGate = verification.WaitAsync,
                    }, progress, cancellationToken).ConfigureAwait(false);
            }

            await progress.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (TransferFailure.Classify(e, description) is { Reason: ConditionReasons.StoredDiskChanged } changed)
        {
            await storedDisks.ReportAsync(image, changed, cancellationToken).ConfigureAwait(false);
            throw;
        }

        var sha256 = Convert.ToHexStringLower(result.Sha256 ?? throw new InvalidOperationException("The converter returned no SHA-256."));
        var (verified, writtenETag) = await VerifyAsync(destination, registry, result.BytesWritten, cancellationToken).ConfigureAwait(false);
        if (writtenETag is not null)
        {
            export = await _exports.UpdateStatusAsync(export, e => e.Status.WrittenETag = writtenETag, cancellationToken).ConfigureAwait(false) ?? export;
        }

        var manifest = ExportManifest.For(image, export.Spec.Format, target.Bucket, target.Key, result.BytesWritten, virtualSize, sha256, time.GetUtcNow().UtcDateTime).ToUtf8Json();
        await WriteManifestAsync(destination, registry, manifest, cancellationToken).ConfigureAwait(false);

        var secretRef = destination.Store is { } signer
            ? await PublishPreauthenticatedRequestAsync(export, signer, target.Bucket, target.Key, cancellationToken).ConfigureAwait(false)
            : null;
        var outcome = $"{verified}: {result.BytesWritten} bytes, sha256 {sha256}"
            + (destination.Manifest is null ? "; no manifest was written: the pre-signed URL authorises the disk object alone" : string.Empty);
        var elapsed = Stopwatch.GetElapsedTime(started);
        await _exports.UpdateStatusAsync(export, e =>
        {
            e.Status.Phase = ExportPhase.Succeeded;
            e.Status.ObjectUrl = destination.Store?.ObjectUri(target.Bucket, target.Key).ToString() ?? target.ToString();
            e.Status.SizeBytes = result.BytesWritten;
            e.Status.Sha256 = sha256;
            e.Status.ManifestObject = destination.Manifest?.Key;
            e.Status.PreauthenticatedRequestSecretRef = secretRef;
            e.Status.Progress = new TransferProgress { Percent = 100, BytesDone = virtualSize, BytesTotal = virtualSize };
            e.Status.CompletionTime = time.GetUtcNow().UtcDateTime;
            e.Status.Set(ConditionTypes.Exporting, ConditionStatus.False, ConditionReasons.Succeeded, "the export finished", e.Generation(), time.GetUtcNow());
            e.Status.Set(ConditionTypes.Ready, ConditionStatus.True, ConditionReasons.Succeeded, outcome, e.Generation(), time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);
        metrics.BytesExported.Inc(result.BytesWritten);
        metrics.Transfers.WithLabels(Direction, ConditionReasons.Succeeded).Inc();
        metrics.ObserveConversion(Direction, virtualSize, elapsed);
        logger.LogInformation("Exported CustomImage {Image}: {Bytes} bytes in {Seconds:F1} s.", image.Name(), result.BytesWritten, elapsed.TotalSeconds);
        await events.NormalAsync(export, "Exported", $"{ImageSpecMetadata.Text(export.Spec.Format)} object of {result.BytesWritten} bytes at {target}; {verified}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks the uploaded object's size where it can be read: by stat in a store (a wrong size removes it), through
    /// the URL when the pre-authenticated request allows reads. A URL upload's content was already checked by the
    /// server against its Content-MD5; a write-only URL allows no more.
    /// </summary>
    /// <returns>What was verified, for the status and the event.</returns>
    /// <summary>
    /// Refuses, before anything is written, to replace an object at the destination that this export did not write
    /// (its ETag is not the one recorded in status.writtenETag), unless spec.destination.overwrite allows it.
    /// </summary>
    private async Task CheckOverwriteAsync(ImageExport export, ObjectStore store, ObjectLocation target, CancellationToken cancellationToken)
    {
        StoredObject existing;
        try
        {
            existing = await store.StatAsync(target.Bucket, target.Key, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStorageException e) when (e.Error == ObjectStorageError.NotFound)
        {
            return;
        }

        if (existing.ETag == export.Status.WrittenETag)
        {
            return;
        }

        var what = $"{target} already exists ({existing.Size} bytes, ETag {existing.ETag}) and this export did not write it";
        if (!export.Spec.Destination.Overwrite)
        {
            throw new TransferFailure(ControllerReasons.DestinationExists,
                $"{what}; nothing was written: set spec.destination.overwrite: true to replace it, or export to another object");
        }

        await events.WarningAsync(export, ControllerReasons.DestinationExists, $"{what}; replacing it (spec.destination.overwrite is true)", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the written size at the destination; returns how it was verified and, on a store, the object's ETag.</summary>
    private static async Task<(string Verified, string? ETag)> VerifyAsync(Destination destination, ObjectStoreRegistry registry, long written, CancellationToken cancellationToken)
    {
        var target = destination.Disk;
        long size;
        string? etag = null;
        if (destination.Store is { } store)
        {
            var stored = await store.StatAsync(target.Bucket, target.Key, cancellationToken).ConfigureAwait(false);
            (size, etag) = (stored.Size, stored.ETag);
            if (size != written)
            {
                await store.RemoveAsync(target.Bucket, target.Key, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            try
            {
                await using var readBack = await registry.OpenReadAsync(target, cancellationToken: cancellationToken).ConfigureAwait(false);
                size = readBack.Length;
            }
            catch (ObjectStorageException e) when (e.Error == ObjectStorageError.AccessDenied)
            {
                return ("uploaded with its Content-MD5 checked by the server (the URL allows no read-back)", null);
            }
        }

        return size == written
            ? (destination.Store is null ? "verified through the URL (size read back, Content-MD5 checked by the server)" : "verified at the destination", etag)
            : throw new TransferFailure(ConditionReasons.VerificationFailed,
                $"the exported object has {size} bytes at the destination where {written} were written" + (destination.Store is null ? "; it could not be removed through the URL" : "; it was removed"));
    }

    private static async Task WriteManifestAsync(Destination destination, ObjectStoreRegistry registry, byte[] manifest, CancellationToken cancellationToken)
    {
        if (destination.Manifest is not { } location)
        {
            return;
        }

        if (destination.Store is { } store)
        {
            await store.PutAsync(location.Bucket, location.Key, manifest, "application/json", cancellationToken).ConfigureAwait(false);
            return;
        }

        // Tiny: the spooled single PUT (with its Content-MD5) is the only write a pre-authenticated URL allows.
        await using var sink = await registry.CreateSinkAsync(location, cancellationToken: cancellationToken).ConfigureAwait(false);
        await sink.WriteAsync(manifest, cancellationToken).ConfigureAwait(false);
        await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the pre-signed read URL and stores it in a Secret owned by the export; the URL goes nowhere else.</summary>
    private static string SecretNameOf(ImageExport export, PreauthenticatedRequest request) => request.SecretName ?? $"{export.Name()}-par";

    private static TransferFailure SecretTaken(string name) =>
        new(ControllerReasons.InvalidLocation, $"Secret {name} exists and does not belong to this export; set spec.preauthenticatedRequest.secretName to another name");

    /// <summary>The name of the Secret the export would publish its URL in, when a Secret of another owner holds it.</summary>
    private async Task<string?> ForeignSecretAsync(ImageExport export, CancellationToken cancellationToken)
    {
        var name = SecretNameOf(export, export.Spec.PreauthenticatedRequest!);
        try
        {
            var existing = await kubernetes.CoreV1.ReadNamespacedSecretAsync(name, export.Namespace(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return existing.Metadata.OwnerReferences?.Any(o => o.Uid == export.Uid()) == true ? null : name;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<SecretKeyReference?> PublishPreauthenticatedRequestAsync(ImageExport export, ObjectStore store, string bucket, string key, CancellationToken cancellationToken)
    {
        if (export.Spec.PreauthenticatedRequest is not { Enabled: true } request)
        {
            return null;
        }

        var url = await store.PresignGetAsync(bucket, key, TimeSpan.FromSeconds(request.ExpiresInSeconds)).ConfigureAwait(false);
        var name = SecretNameOf(export, request);
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = export.Namespace(),
                OwnerReferences = [new V1OwnerReference { ApiVersion = export.ApiVersion, Kind = export.Kind, Name = export.Name(), Uid = export.Uid(), BlockOwnerDeletion = true, Controller = true }],
                Annotations = new Dictionary<string, string>
                {
                    ["imageoperator.io/expires-at"] = time.GetUtcNow().AddSeconds(request.ExpiresInSeconds).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                },
            },
            Type = "Opaque",
            StringData = new Dictionary<string, string> { [UrlKey] = url.ToString() },
        };
        try
        {
            await kubernetes.CoreV1.CreateNamespacedSecretAsync(secret, export.Namespace(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            var existing = await kubernetes.CoreV1.ReadNamespacedSecretAsync(name, export.Namespace(), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (existing.Metadata.OwnerReferences?.Any(o => o.Uid == export.Uid()) != true)
            {
                throw SecretTaken(name);
            }

            secret.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await kubernetes.CoreV1.ReplaceNamespacedSecretAsync(secret, name, export.Namespace(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return new SecretKeyReference { Name = name, Key = UrlKey };
    }

    private static OutputFormat OutputFormatOf(ExportFormat format) => format switch
    {
        ExportFormat.Oci => OutputFormat.Oci,
        ExportFormat.Qcow2 => OutputFormat.Qcow2,
        ExportFormat.Vmdk => OutputFormat.Vmdk,
        ExportFormat.Vdi => OutputFormat.Vdi,
        ExportFormat.Vhd => OutputFormat.Vhd,
        _ => OutputFormat.Raw,
    };

    /// <summary>Where an export writes; disposing it drops the store built from keys the export brought.</summary>
    /// <param name="Disk">The disk object.</param>
    /// <param name="Manifest">The manifest beside it, unless the destination authorises the disk object alone.</param>
    /// <param name="Store">The store holding both, written with its keys; null for a pre-authenticated URL.</param>
    /// <param name="OwnStore">The store built from the export's own keys (credentialsSecretRef), when it brought them.</param>
    private sealed record Destination(ObjectLocation Disk, ObjectLocation? Manifest, ObjectStore? Store, ObjectStore? OwnStore) : IDisposable
    {
        public static Destination InStore(ObjectStore store, string bucket, string key, ObjectStore? own) =>
            new(ObjectLocation.ForStore(store.Name, bucket, key), ObjectLocation.ForStore(store.Name, bucket, key + ExportManifest.Suffix), store, own);

        /// <summary>The engine's output: a multipart upload into the store, or the registry's sink for a URL.</summary>
        public async Task<IHeadPatchSink> CreateSinkAsync(ObjectStoreRegistry registry, string? spoolDirectory, CancellationToken cancellationToken) =>
            Store is { } store
                ? await store.StartUploadAsync(Disk.Bucket, Disk.Key, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await registry.CreateSinkAsync(Disk, spoolDirectory: spoolDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);

        public void Dispose() => OwnStore?.Dispose();
    }
}
