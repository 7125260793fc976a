using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Events;
using ImageOperator.Storage;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Controllers;

/// <summary>
/// Reads the stored disks of CustomImages for exports and copies, and only the disks the operator wrote: the status
/// must name the image's own place in the library, and the object must still have the ETag and size its import
/// recorded (compared with a stat before reading, then on every ranged read with <c>If-Match</c>); the caller also
/// checks the SHA-256 while reading (<see cref="ExpectedDigest"/>). A disk that fails a check is never shipped, and
/// its image is marked Failed with reason StoredDiskChanged.
/// </summary>
public sealed class StoredDisks(IKubernetes kubernetes, ObjectStores stores, EventRecorder events, TimeProvider time, ILogger<StoredDisks> logger)
{
    private readonly EntityClient<CustomImage> _images = new(kubernetes);

    /// <summary>Opens the stored disk of <paramref name="image"/> for reading.</summary>
    /// <exception cref="TransferFailure">The image has no disk (ImageNotAvailable), or its disk is not the one its import wrote (StoredDiskChanged).</exception>
    /// <exception cref="ObjectStorageException">The store failed.</exception>
    public async Task<S3RangeReader> OpenAsync(CustomImage image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        var disk = image.Status.StoredDisk
            ?? throw new TransferFailure(ConditionReasons.ImageNotAvailable, $"CustomImage {Describe(image)} has no stored disk");
        if (!ImageLibrary.Owns(disk, image.Namespace(), stores.LibraryStoreName, stores.LibraryBucket))
        {
            throw await ChangedAsync(image,
                $"status.storedDisk of CustomImage {Describe(image)} names object '{disk.Object}' in bucket '{disk.Bucket}' of store '{disk.Store}', which is not where the operator keeps this image's disk; it is not read",
                cancellationToken).ConfigureAwait(false);
        }

        var store = await stores.GetAsync(disk.Store, cancellationToken).ConfigureAwait(false);
        StoredObject stat;
        try
        {
            stat = await store.StatAsync(disk.Bucket, disk.Object, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStorageException e) when (e.Error == ObjectStorageError.NotFound)
        {
            throw await ChangedAsync(image, $"the stored disk of CustomImage {Describe(image)} is gone from the library", cancellationToken).ConfigureAwait(false);
        }

        if (stat.Size != disk.SizeBytes || (disk.ETag is { } etag && stat.ETag != etag))
        {
            throw await ChangedAsync(image,
                $"the stored disk of CustomImage {Describe(image)} is not the object its import wrote: it has {stat.Size} bytes and ETag '{stat.ETag}' where the import recorded {disk.SizeBytes} bytes and ETag '{disk.ETag}'",
                cancellationToken).ConfigureAwait(false);
        }

        return await store.OpenReadAsync(disk.Bucket, disk.Object, new RangeReaderOptions { ExpectedETag = stat.ETag }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The SHA-256 the stored disk of <paramref name="image"/> must have while it is read, or null when none was recorded.</summary>
    public static ExpectedDigest? Digest(CustomImage image, string consequence)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Status.StoredDisk?.Sha256 is { } sha256
            ? new ExpectedDigest(sha256, $"the import of CustomImage {Describe(image)}", ConditionReasons.StoredDiskChanged, consequence)
            : null;
    }

    /// <summary>
    /// Marks <paramref name="image"/> Failed because its stored disk changed (condition StoredDiskIntact false, a
    /// Warning event), when <paramref name="failure"/> says so; other failures are left alone.
    /// </summary>
    public async Task ReportAsync(CustomImage image, TransferFailure failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.Reason != ConditionReasons.StoredDiskChanged)
        {
            return;
        }

        var message = EventMessage.Sanitize(failure.Message);
        logger.LogWarning("The stored disk of CustomImage {Image} changed behind the operator's back: {Message}", Describe(image), message);
        var failed = await _images.UpdateStatusAsync(image, i =>
        {
            i.Status.LifecycleState = ImageLifecycleState.Failed;
            i.Status.Set(ConditionTypes.StoredDiskIntact, ConditionStatus.False, ConditionReasons.StoredDiskChanged, message, i.Generation(), time.GetUtcNow());
            i.Status.Set(ConditionTypes.Failed, ConditionStatus.True, ConditionReasons.StoredDiskChanged, message, i.Generation(), time.GetUtcNow());
            i.Status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.StoredDiskChanged, "the stored disk changed; import the image again", i.Generation(), time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);
        if (failed is not null)
        {
            await events.WarningAsync(failed, ConditionReasons.StoredDiskChanged, message, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<TransferFailure> ChangedAsync(CustomImage image, string message, CancellationToken cancellationToken)
    {
        var failure = new TransferFailure(ConditionReasons.StoredDiskChanged, message);
        await ReportAsync(image, failure, cancellationToken).ConfigureAwait(false);
        return failure;
    }

    private static string Describe(CustomImage image) => $"{image.Namespace()}/{image.Name()}";
}
