using System.Diagnostics;
using System.Net;
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

namespace ImageOperator.Controllers;

/// <summary>
/// Imports a disk image: creates the target CustomImage at once in state Importing, opens the source for ranged
/// reads (for an export manifest: the disk beside it, its SHA-256 checked against the manifest beside the
/// conversion), inspects it (declared format checked, backing files and other unsafe constructs refused), decides the
/// launch mode, converts it in-process to QCOW2 streamed into the library bucket, and records size, virtual
/// size and SHA-256 before making the image Available. The import does not own the image: deleting the import
/// leaves the image alone. Work interrupted by a restart starts again from scratch under the same object key.
/// </summary>
public sealed class ImageImportController(
    IKubernetes kubernetes,
    ObjectStores stores,
    ImportSources sources,
    StoredDisks storedDisks,
    EventRecorder events,
    ImageMetrics metrics,
    OperatorOptions options,
    TimeProvider time,
    ILogger<ImageImportController> logger) : IEntityController<ImageImport>
{
    /// <summary>Annotation on a CustomImage naming the UID of the import that created it.</summary>
    public const string ImportUidAnnotation = "imageoperator.io/import-uid";

    private const string Direction = "import";

    private readonly EntityClient<ImageImport> _imports = new(kubernetes);
    private readonly EntityClient<CustomImage> _images = new(kubernetes);
    private readonly TransferOutcomes<ImageImport, ImageImportStatus> _outcomes = new(kubernetes, events, metrics, time, logger, options.Retries, Direction, ConditionTypes.Importing);

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ImageImport entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var scope = logger.BeginScope("ImageImport {Namespace}/{Name}", entity.Namespace(), entity.Name());
        if (IsFinished(entity))
        {
            return ReconcileResult.Done;
        }

        // The informer cache may lag behind this controller's own writes: never restart finished work from it.
        var import = await _imports.GetAsync(entity.Name(), entity.Namespace(), cancellationToken).ConfigureAwait(false);
        if (import is null || IsFinished(import))
        {
            return ReconcileResult.Done;
        }

        CustomImage? image = null;
        try
        {
            // A source the namespace may not read fails the import before a CustomImage exists.
            await sources.CheckAccessAsync(import, cancellationToken).ConfigureAwait(false);
            image = await EnsureImageAsync(import, cancellationToken).ConfigureAwait(false);
            import = await MarkStartedAsync(import, cancellationToken).ConfigureAwait(false) ?? import;
            await ImportAsync(import, image, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var failure = TransferFailure.Classify(e, "source image");
            failure ??= await _outcomes.NoteRetryAsync(import, e, import.Spec.RetryPolicy, cancellationToken).ConfigureAwait(false);
            if (failure is null)
            {
                throw;
            }

            await FailAsync(import, image, failure, cancellationToken).ConfigureAwait(false);
        }

        return ReconcileResult.Done;
    }

    /// <summary>
    /// An import deleted while it ran was cancelled (the runtime cancels its reconcile, which aborts the upload): the
    /// CustomImage it was creating stays, marked Failed with reason ImportCancelled, and never becomes Available.
    /// </summary>
    public async Task DeletedAsync(ImageImport entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var image = await _images.GetAsync(entity.Spec.ImageName, entity.Namespace(), cancellationToken).ConfigureAwait(false);
        if (image is null || image.Status.LifecycleState != ImageLifecycleState.Importing
            || image.Metadata.Annotations is not { } annotations || !annotations.TryGetValue(ImportUidAnnotation, out var uid) || uid != entity.Uid())
        {
            return;
        }

        await FailAsync(null, image, new TransferFailure(ControllerReasons.ImportCancelled,
            $"ImageImport {entity.Name()} was deleted while it ran; the import was cancelled and nothing was stored"), cancellationToken).ConfigureAwait(false);
    }

    private static bool IsFinished(ImageImport import) => import.Status.Phase is ImportPhase.Succeeded or ImportPhase.Failed;

    private async Task<CustomImage> EnsureImageAsync(ImageImport import, CancellationToken cancellationToken)
    {
        var name = import.Spec.ImageName;
        var ns = import.Namespace();
        var existing = await _images.GetAsync(name, ns, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            try
            {
                existing = await _images.CreateAsync(NewImage(import), cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Created CustomImage {Image} in state Importing.", name);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                existing = await _images.GetAsync(name, ns, cancellationToken).ConfigureAwait(false)
                    ?? throw new TransferFailure(ControllerReasons.ImageAlreadyExists, $"CustomImage {name} is being deleted; retry the import under another imageName");
            }
            catch (HttpOperationException e) when ((int)e.Response.StatusCode is 400 or 403 or 422)
            {
                throw new TransferFailure(ControllerReasons.ImageRejected, $"the API server refused CustomImage {name}: {ApiMessage(e)}");
            }
        }

        if (existing.Metadata.Annotations is not { } annotations || !annotations.TryGetValue(ImportUidAnnotation, out var uid) || uid != import.Uid())
        {
            throw new TransferFailure(ControllerReasons.ImageAlreadyExists, $"CustomImage {name} already exists and was not created by this import; choose another imageName");
        }

        if (existing.Metadata.DeletionTimestamp is not null)
        {
            throw new TransferFailure(ConditionReasons.ImageNotAvailable, $"CustomImage {name} is being deleted");
        }

        return await _images.UpdateStatusAsync(existing, image =>
        {
            image.Status.LifecycleState = ImageLifecycleState.Importing;
            image.Status.SourceImport = new Api.V1Alpha1.ObjectReference { Name = import.Name() };
            image.Status.StoredDisk = null;
            image.Status.Set(ConditionTypes.Importing, ConditionStatus.True, ConditionReasons.InProgress, $"importing from ImageImport {import.Name()}", image.Generation(), time.GetUtcNow());
            image.Status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.InProgress, "the image is being imported", image.Generation(), time.GetUtcNow());
            image.Status.Remove(ConditionTypes.Failed);
            image.Status.Remove(ConditionTypes.StoredDiskIntact);
        }, cancellationToken).ConfigureAwait(false)
            ?? throw new TransferFailure(ConditionReasons.ImageNotAvailable, $"CustomImage {name} was deleted during the import");
    }

    private static CustomImage NewImage(ImageImport import)
    {
        var spec = import.Spec;
        return new CustomImage
        {
            Metadata = new V1ObjectMeta
            {
                Name = spec.ImageName,
                NamespaceProperty = import.Namespace(),
                Annotations = new Dictionary<string, string> { [ImportUidAnnotation] = import.Uid() },
            },
            Spec = new CustomImageSpec
            {
                DisplayName = spec.DisplayName ?? spec.ImageName,
                // Sources that carry metadata (.oci, platform QCOW2, copies) may fill these in once read; the
                // import webhook requires them otherwise.
                OperatingSystem = spec.OperatingSystem ?? GuestOperatingSystem.OracleLinux,
                OperatingSystemVersion = spec.OperatingSystemVersion ?? "unknown",
                LaunchMode = spec.LaunchMode ?? LaunchMode.Paravirtualized,
                Architecture = spec.Architecture ?? CpuArchitecture.X86_64,
                ShapeCompatibilities = spec.ShapeCompatibilities,
                FreeformTags = spec.FreeformTags,
                DefinedTags = spec.DefinedTags,
                LicenseAttestation = spec.LicenseAttestation,
                BuiltOnHardwareGeneration = spec.BuiltOnHardwareGeneration,
            },
        };
    }

    private Task<ImageImport?> MarkStartedAsync(ImageImport import, CancellationToken cancellationToken) =>
        _imports.UpdateStatusAsync(import, i =>
        {
            i.Status.Phase = ImportPhase.Importing;
            i.Status.ImageRef = new Api.V1Alpha1.ObjectReference { Name = i.Spec.ImageName };
            i.Status.StartTime ??= time.GetUtcNow().UtcDateTime;
            i.Status.ObservedGeneration = i.Generation();
            i.Status.Set(ConditionTypes.Importing, ConditionStatus.True, ConditionReasons.InProgress, "reading and converting the source", i.Generation(), time.GetUtcNow());
            i.Status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.InProgress, "the import is running", i.Generation(), time.GetUtcNow());
        }, cancellationToken);

    private async Task ImportAsync(ImageImport import, CustomImage image, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var source = await sources.OpenAsync(import, cancellationToken).ConfigureAwait(false);
        if (source.Reader.Length == 0)
        {
            throw new TransferFailure(ControllerReasons.EmptySource, $"{source.Description} is empty (0 bytes): there is no disk to import");
        }

        await using var verification = DigestVerification.Start(source.Reader, source.Description, source.Digest, cancellationToken);
        logger.LogInformation("Importing {Source} into CustomImage {Image}.", source.Description, image.Name());
        await using var disk = await DiskImageReader.OpenAsync(source.Reader, DeclaredFormat(import.Spec.SourceImageType, source.Manifest), cancellationToken: cancellationToken).ConfigureAwait(false);

        image = await DescribeImageAsync(import, image, disk, source, cancellationToken).ConfigureAwait(false);
        import = await _imports.UpdateStatusAsync(import, i =>
        {
            i.Status.DetectedFormat = SourceTypeOf(disk.Format);
            i.Status.VirtualSizeBytes = disk.VirtualSize;
        }, cancellationToken).ConfigureAwait(false) ?? import;

        var store = await stores.LibraryAsync(cancellationToken).ConfigureAwait(false);
        var bucket = stores.LibraryBucket;
        var key = ImageLibrary.DiskKey(import);
        await stores.EnsureBucketAsync(store, bucket, cancellationToken).ConfigureAwait(false);
        await store.AbortIncompleteUploadsAsync(bucket, key, cancellationToken: cancellationToken).ConfigureAwait(false);

        var progress = new ProgressReporter(
            (p, ct) => _imports.UpdateStatusAsync(import, i => i.Status.Progress = p, ct),
            options.ProgressInterval, time, logger, cancellationToken);
        ConversionResult result;
        StoredObject written;
        try
        {
            await using var sink = await store.StartUploadAsync(bucket, key, cancellationToken: cancellationToken).ConfigureAwait(false);
            // Bytes that are not the ones the manifest or the copied image records never become a stored disk.
            var conversion = new ConversionOptions { Format = OutputFormat.Qcow2, CompletionGate = verification.WaitAsync };
            result = await DiskImageConverter.ConvertAsync(disk, sink, conversion, progress, cancellationToken).ConfigureAwait(false);
            written = sink.Result ?? throw new InvalidOperationException("The completed upload reported no stored object.");
        }
        catch (Exception e) when (source.CopiedFrom is { } original && TransferFailure.Classify(e, source.Description) is { Reason: ConditionReasons.StoredDiskChanged } changed)
        {
            await storedDisks.ReportAsync(original, changed, cancellationToken).ConfigureAwait(false);
            throw;
        }

        await progress.FlushAsync().ConfigureAwait(false);
        if (written.Size != result.BytesWritten)
        {
            await store.RemoveAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            throw new TransferFailure(ConditionReasons.VerificationFailed,
                $"the stored object has {written.Size} bytes where {result.BytesWritten} were written; it was removed");
        }

        var stored = new StoredDisk
        {
            Store = store.Name,
            Bucket = bucket,
            Object = key,
            Format = ExportFormat.Qcow2,
            SizeBytes = result.BytesWritten,
            VirtualSizeBytes = disk.VirtualSize,
            Sha256 = Convert.ToHexStringLower(result.Sha256 ?? throw new InvalidOperationException("The converter returned no SHA-256.")),
            ETag = written.ETag,
        };

        var available = await _images.UpdateStatusAsync(image, i =>
        {
            i.Status.StoredDisk = stored;
            i.Status.LifecycleState = i.Spec.Disabled ? ImageLifecycleState.Disabled : i.Status.ActiveExports.Count > 0 ? ImageLifecycleState.Exporting : ImageLifecycleState.Available;
            i.Status.ObservedGeneration = i.Generation();
            i.Status.Warnings = [.. disk.Findings];
            i.Status.Set(ConditionTypes.Importing, ConditionStatus.False, ConditionReasons.Succeeded, $"imported from {source.Description}", i.Generation(), time.GetUtcNow());
            i.Status.Set(ConditionTypes.Ready, ConditionStatus.True, ConditionReasons.Available, "the image is available", i.Generation(), time.GetUtcNow());
            i.Status.Set(ConditionTypes.StoredDiskIntact, ConditionStatus.True, ConditionReasons.Verified,
                $"stored with ETag {stored.ETag} and sha256 {stored.Sha256}; every export and copy checks both", i.Generation(), time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);
        if (available is null)
        {
            // Deleted meanwhile: its finalizer may already have run, so the object would be orphaned.
            await store.RemoveAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            throw new TransferFailure(ConditionReasons.ImageNotAvailable, $"CustomImage {image.Name()} was deleted during the import");
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await _imports.UpdateStatusAsync(import, i =>
        {
            i.Status.Phase = ImportPhase.Succeeded;
            i.Status.Progress = new TransferProgress { Percent = 100, BytesDone = disk.VirtualSize, BytesTotal = disk.VirtualSize };
            i.Status.CompletionTime = time.GetUtcNow().UtcDateTime;
            i.Status.Set(ConditionTypes.Importing, ConditionStatus.False, ConditionReasons.Succeeded, "the import finished", i.Generation(), time.GetUtcNow());
            i.Status.Set(ConditionTypes.Ready, ConditionStatus.True, ConditionReasons.Succeeded,
                $"CustomImage {image.Name()} is available: {stored.SizeBytes} bytes stored, sha256 {stored.Sha256}", i.Generation(), time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);
        metrics.BytesImported.Inc(stored.SizeBytes);
        metrics.Transfers.WithLabels(Direction, ConditionReasons.Succeeded).Inc();
        metrics.ObserveConversion(Direction, disk.VirtualSize, elapsed);
        logger.LogInformation("Imported {Format} image into CustomImage {Image}: {Bytes} bytes in {Seconds:F1} s.", disk.Format, image.Name(), stored.SizeBytes, elapsed.TotalSeconds);
        await events.NormalAsync(import, "Imported", $"CustomImage {image.Name()} is available ({DiskImageReader.Name(disk.Format)} source, {stored.SizeBytes} bytes stored)", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies the launch-mode rules and the metadata the source carries: an export manifest restores the exported
    /// image's; <c>.oci</c> files decide the launch mode themselves; QCOW2 images exported by this platform are NATIVE;
    /// copies keep the original's; any other image takes the user's PARAVIRTUALIZED or EMULATED (paravirtualized by default).
    /// </summary>
    private async Task<CustomImage> DescribeImageAsync(ImageImport import, CustomImage image, DiskImage disk, OpenedSource source, CancellationToken cancellationToken)
    {
        var user = import.Spec;
        var spec = EntityClient<CustomImage>.Clone(image).Spec;
        var metadata = disk.Metadata;
        var exportedQcow2 = disk.Format == DiskFormat.Qcow2 && metadata?.ExportedBy == ImageSpecMetadata.ThisPlatform;
        if (source.Manifest is { } manifest)
        {
            // The manifest restores the exported image's description; a QCOW2 exported from here is NATIVE whatever
            // it records, as when the same disk is imported directly.
            ImageSpecMetadata.Apply(manifest.ToImageMetadata(), spec, user);
            spec.LaunchMode = exportedQcow2 ? LaunchMode.Native : ImageSpecMetadata.Parse<LaunchMode>(manifest.LaunchMode) ?? LaunchMode.Paravirtualized;
        }
        else if (disk.Format == DiskFormat.Oci || exportedQcow2)
        {
            ImageSpecMetadata.Apply(metadata ?? new ImageMetadata(), spec, user);
            spec.LaunchMode = disk.Format == DiskFormat.Qcow2
                ? LaunchMode.Native
                : ImageSpecMetadata.Parse<LaunchMode>(metadata?.LaunchMode) ?? LaunchMode.Paravirtualized;
        }
        else if (source.CopiedFrom is { } original)
        {
            spec.OperatingSystem = user.OperatingSystem ?? original.Spec.OperatingSystem;
            spec.OperatingSystemVersion = user.OperatingSystemVersion ?? original.Spec.OperatingSystemVersion;
            spec.Architecture = user.Architecture ?? original.Spec.Architecture;
            spec.LaunchMode = original.Spec.LaunchMode;
            if (user.ShapeCompatibilities.Count == 0)
            {
                spec.ShapeCompatibilities = original.Spec.ShapeCompatibilities;
            }
        }
        else if (user.LaunchMode == LaunchMode.Native)
        {
            throw new TransferFailure(ControllerReasons.LaunchModeNotAllowed,
                $"launch mode NATIVE is only for QCOW2 images exported from this platform; this {DiskImageReader.Name(disk.Format)} image must be PARAVIRTUALIZED or EMULATED");
        }
        else
        {
            spec.LaunchMode = user.LaunchMode ?? LaunchMode.Paravirtualized;
        }

        if (KubernetesJson.Serialize(spec) == KubernetesJson.Serialize(image.Spec))
        {
            return image;
        }

        try
        {
            return await _images.UpdateAsync(image, i => i.Spec = spec, cancellationToken).ConfigureAwait(false)
                ?? throw new TransferFailure(ConditionReasons.ImageNotAvailable, $"CustomImage {image.Name()} was deleted during the import");
        }
        catch (HttpOperationException e) when ((int)e.Response.StatusCode is 400 or 403 or 422)
        {
            throw new TransferFailure(ControllerReasons.ImageRejected, $"the API server refused the metadata of the source for CustomImage {image.Name()}: {ApiMessage(e)}");
        }
    }

    /// <summary>Fails <paramref name="import"/> (when it still exists) and the image it was creating.</summary>
    private async Task FailAsync(ImageImport? import, CustomImage? image, TransferFailure failure, CancellationToken cancellationToken)
    {
        var message = import is null
            ? EventMessage.Sanitize(failure.Message)
            : await _outcomes.FailAsync(import, failure, i => i.Phase = ImportPhase.Failed, cancellationToken).ConfigureAwait(false);
        if (image is not null)
        {
            var failed = await _images.UpdateStatusAsync(image, i =>
            {
                i.Status.LifecycleState = ImageLifecycleState.Failed;
                i.Status.Set(ConditionTypes.Failed, ConditionStatus.True, failure.Reason, message, i.Generation(), time.GetUtcNow());
                i.Status.Set(ConditionTypes.Importing, ConditionStatus.False, failure.Reason, message, i.Generation(), time.GetUtcNow());
                i.Status.Set(ConditionTypes.Ready, ConditionStatus.False, failure.Reason, message, i.Generation(), time.GetUtcNow());
            }, cancellationToken).ConfigureAwait(false);
            if (failed is not null)
            {
                await events.WarningAsync(failed, failure.Reason, $"import {import?.Name() ?? failed.Status.SourceImport?.Name} failed: {message}", cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The format the source must have: the manifest's, which must not contradict the user's.</summary>
    private static DiskFormat? DeclaredFormat(SourceImageType type, ExportManifest? manifest)
    {
        if (manifest is null || ImageSpecMetadata.Parse<SourceImageType>(manifest.Format) is not { } recorded)
        {
            return DeclaredFormat(type);
        }

        return type is SourceImageType.Auto || type == recorded
            ? DeclaredFormat(recorded)
            : throw new TransferFailure(ConditionReasons.FormatMismatch,
                $"spec.sourceImageType {ImageSpecMetadata.Text(type)} contradicts the manifest, which records a {manifest.Format} disk");
    }

    private static DiskFormat? DeclaredFormat(SourceImageType type) => type switch
    {
        SourceImageType.Qcow2 => DiskFormat.Qcow2,
        SourceImageType.Vmdk => DiskFormat.Vmdk,
        SourceImageType.Oci => DiskFormat.Oci,
        SourceImageType.Vdi => DiskFormat.Vdi,
        SourceImageType.Vhd => DiskFormat.Vhd,
        SourceImageType.Raw => DiskFormat.Raw,
        _ => null,
    };

    private static SourceImageType SourceTypeOf(DiskFormat format) => format switch
    {
        DiskFormat.Qcow2 => SourceImageType.Qcow2,
        DiskFormat.Vmdk => SourceImageType.Vmdk,
        DiskFormat.Oci => SourceImageType.Oci,
        DiskFormat.Vdi => SourceImageType.Vdi,
        DiskFormat.Vhd => SourceImageType.Vhd,
        _ => SourceImageType.Raw,
    };

    /// <summary>The API server's explanation of a refusal (the Status message, e.g. a webhook's denial).</summary>
    internal static string ApiMessage(HttpOperationException e)
    {
        try
        {
            return KubernetesJson.Deserialize<V1Status>(e.Response.Content)?.Message ?? e.Response.ReasonPhrase ?? e.Message;
        }
        catch (System.Text.Json.JsonException)
        {
            return e.Response.ReasonPhrase ?? e.Message;
        }
    }
}
