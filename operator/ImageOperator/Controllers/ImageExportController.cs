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
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Minio.DataModel.Args;

namespace ImageOperator.Controllers;

/// <summary>
/// Exports a CustomImage: refuses platform and marketplace images outright; otherwise lists itself in the image's
/// <c>status.activeExports</c> (state Exporting: the image stays usable but cannot be deleted), converts the stored
/// QCOW2 in-process to the requested format streamed into the destination by multipart upload, verifies the
/// object's size at the destination and reports it with the SHA-256 computed while writing, writes the manifest
/// beside it, optionally puts a pre-signed read URL in a Secret owned by the export, and releases the image.
/// </summary>
public sealed class ImageExportController(
    IKubernetes kubernetes,
    ObjectStores stores,
    ImportSources urls,
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
            if (failure is null)
            {
                await NoteRetryAsync(export, e, cancellationToken).ConfigureAwait(false);
                throw;
            }

            await FailAsync(export, failure, cancellationToken).ConfigureAwait(false);
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

    private async Task<(ObjectStore Store, string Bucket, string Key)> DestinationAsync(ImageExport export, CancellationToken cancellationToken)
    {
        var destination = export.Spec.Destination;
        var objectName = destination.ObjectName ?? DefaultObjectName(export.Spec.ImageName, export.Spec.Format);
        if (destination.ObjectStore is { } objectStore)
        {
            return (await stores.GetAsync(objectStore.Store, cancellationToken).ConfigureAwait(false), objectStore.Bucket, objectStore.Object);
        }

        if (destination.Url is not { } url)
        {
            throw new TransferFailure(ControllerReasons.InvalidLocation, "spec.destination must set objectStore or url");
        }

        var location = ObjectLocation.Parse(await urls.ResolveUrlAsync(url, export.Namespace(), "spec.destination.url", cancellationToken).ConfigureAwait(false), allowBucketLevel: true);
        if (location.IsBucketLevel)
        {
            location = location.WithObject(objectName);
        }

        if (location.Kind == ObjectLocationKind.Url && await stores.ServingAsync(location.Url!, cancellationToken).ConfigureAwait(false) is { } store)
        {
            return (store, location.Bucket, location.Key);
        }

        throw new TransferFailure(ControllerReasons.InvalidLocation,
            $"the destination {location} is not on a configured object store; exports through pre-authenticated URLs are not supported yet, use an objectStore destination");
    }

    private async Task ExportAsync(ImageExport export, CustomImage image, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (store, bucket, key) = await DestinationAsync(export, cancellationToken).ConfigureAwait(false);
        if (!await store.Minio.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket), cancellationToken).ConfigureAwait(false))
        {
            throw new TransferFailure(ControllerReasons.DestinationNotFound, $"bucket '{bucket}' of store '{store.Name}' does not exist");
        }

        var disk = image.Status.StoredDisk!;
        var library = await stores.GetAsync(disk.Store, cancellationToken).ConfigureAwait(false);
        await using var reader = await library.OpenReadAsync(disk.Bucket, disk.Object, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var source = await DiskImageReader.OpenAsync(reader, DiskFormat.Qcow2, cancellationToken: cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Exporting CustomImage {Image} as {Format} to {Destination}.", image.Name(), export.Spec.Format, ObjectLocation.ForStore(store.Name, bucket, key));

        await stores.AbortStaleUploadsAsync(store, bucket, key, cancellationToken).ConfigureAwait(false);
        var progress = new ProgressReporter(
            (p, ct) => _exports.UpdateStatusAsync(export, e => e.Status.Progress = p, ct),
            options.ProgressInterval, time, logger, cancellationToken);
        ConversionResult result;
        await using (var sink = await store.StartUploadAsync(bucket, key, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            result = await DiskImageConverter.ConvertAsync(
                source, sink, new ConversionOptions { Format = OutputFormatOf(export.Spec.Format), Metadata = ImageSpecMetadata.ForExport(image) }, progress, cancellationToken).ConfigureAwait(false);
        }

        await progress.FlushAsync().ConfigureAwait(false);
        var sha256 = Convert.ToHexStringLower(result.Sha256 ?? throw new InvalidOperationException("The converter returned no SHA-256."));
        var stat = await store.StatAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        if (stat.Size != result.BytesWritten)
        {
            await store.RemoveAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            throw new TransferFailure(ConditionReasons.VerificationFailed,
                $"the exported object has {stat.Size} bytes at the destination where {result.BytesWritten} were written; it was removed");
        }

        var manifestKey = key + ExportManifest.Suffix;
        var manifest = ExportManifest.For(image, export.Spec.Format, bucket, key, result.BytesWritten, source.VirtualSize, sha256, time.GetUtcNow().UtcDateTime).ToUtf8Json();
        using (var body = new MemoryStream(manifest))
        {
            await store.Minio.PutObjectAsync(
                new PutObjectArgs().WithBucket(bucket).WithObject(manifestKey).WithStreamData(body).WithObjectSize(manifest.Length).WithContentType("application/json"),
                cancellationToken).ConfigureAwait(false);
        }

        if ((await store.StatAsync(bucket, manifestKey, cancellationToken).ConfigureAwait(false)).Size != manifest.Length)
        {
            throw new TransferFailure(ConditionReasons.VerificationFailed, $"the manifest {manifestKey} at the destination does not have the size written");
        }

        var secretRef = await PublishPreauthenticatedRequestAsync(export, store, bucket, key, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        await _exports.UpdateStatusAsync(export, e =>
        {
            e.Status.Phase = ExportPhase.Succeeded;
            e.Status.ObjectUrl = store.ObjectUri(bucket, key).ToString();
            e.Status.SizeBytes = result.BytesWritten;
            e.Status.Sha256 = sha256;
            e.Status.ManifestObject = manifestKey;
            e.Status.PreauthenticatedRequestSecretRef = secretRef;
            e.Status.Progress = new TransferProgress { Percent = 100, BytesDone = source.VirtualSize, BytesTotal = source.VirtualSize };
            e.Status.CompletionTime = time.GetUtcNow().UtcDateTime;
            e.Status.Set(ConditionTypes.Exporting, ConditionStatus.False, ConditionReasons.Succeeded, "the export finished", e.Generation(), time.GetUtcNow());
            e.Status.Set(ConditionTypes.Ready, ConditionStatus.True, ConditionReasons.Succeeded,
                $"verified at the destination: {result.BytesWritten} bytes, sha256 {sha256}", e.Generation(), time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);
        metrics.BytesExported.Inc(result.BytesWritten);
        metrics.Transfers.WithLabels(Direction, ConditionReasons.Succeeded).Inc();
        metrics.ObserveConversion(Direction, source.VirtualSize, elapsed);
        logger.LogInformation("Exported CustomImage {Image}: {Bytes} bytes in {Seconds:F1} s.", image.Name(), result.BytesWritten, elapsed.TotalSeconds);
        await events.NormalAsync(export, "Exported", $"{ImageSpecMetadata.Text(export.Spec.Format)} object of {result.BytesWritten} bytes verified at {ObjectLocation.ForStore(store.Name, bucket, key)}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the pre-signed read URL and stores it in a Secret owned by the export; the URL goes nowhere else.</summary>
    private async Task<SecretKeyReference?> PublishPreauthenticatedRequestAsync(ImageExport export, ObjectStore store, string bucket, string key, CancellationToken cancellationToken)
    {
        if (export.Spec.PreauthenticatedRequest is not { Enabled: true } request)
        {
            return null;
        }

        var url = await store.PresignGetAsync(bucket, key, TimeSpan.FromSeconds(request.ExpiresInSeconds)).ConfigureAwait(false);
        var name = request.SecretName ?? $"{export.Name()}-par";
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
                throw new TransferFailure(ControllerReasons.InvalidLocation, $"Secret {name} exists and does not belong to this export; set spec.preauthenticatedRequest.secretName to another name");
            }

            secret.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await kubernetes.CoreV1.ReplaceNamespacedSecretAsync(secret, name, export.Namespace(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return new SecretKeyReference { Name = name, Key = UrlKey };
    }

    private async Task FailAsync(ImageExport export, TransferFailure failure, CancellationToken cancellationToken)
    {
        var message = EventMessage.Sanitize(failure.Message);
        logger.LogWarning("Export failed ({Reason}): {Message}", failure.Reason, message);
        await _exports.UpdateStatusAsync(export, e =>
        {
            e.Status.Phase = ExportPhase.Failed;
            e.Status.CompletionTime = time.GetUtcNow().UtcDateTime;
            e.Status.ObservedGeneration = e.Generation();
            e.Status.Set(ConditionTypes.Failed, ConditionStatus.True, failure.Reason, message, e.Generation(), time.GetUtcNow());
            e.Status.Set(ConditionTypes.Exporting, ConditionStatus.False, failure.Reason, message, e.Generation(), time.GetUtcNow());
            e.Status.Set(ConditionTypes.Ready, ConditionStatus.False, failure.Reason, message, e.Generation(), time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);
        await events.WarningAsync(export, failure.Reason, message, cancellationToken).ConfigureAwait(false);
        metrics.Transfers.WithLabels(Direction, failure.Reason).Inc();
    }

    private async Task NoteRetryAsync(ImageExport export, Exception error, CancellationToken cancellationToken)
    {
        var message = EventMessage.Sanitize($"retrying after a transient error: {error.Message}");
        try
        {
            await _exports.UpdateStatusAsync(export, e =>
                e.Status.Set(ConditionTypes.Exporting, ConditionStatus.True, ControllerReasons.Retrying, message, e.Generation(), time.GetUtcNow()),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not record the retry on the export status.");
        }

        await events.WarningAsync(export, ControllerReasons.Retrying, message, cancellationToken).ConfigureAwait(false);
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
}
