using ImageOperator.Api.V1Alpha1;
using ImageOperator.DiskFormats;
using ImageOperator.Runtime.Events;
using ImageOperator.Storage;
using ImageOperator.Tenancy;

namespace ImageOperator.Controllers;

/// <summary>
/// A failure of an import or export that retrying cannot fix; <see cref="Reason"/> is the condition reason the
/// user acts on. Messages never hold credentials or pre-signed URLs.
/// </summary>
public sealed class TransferFailure(string reason, string message, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>Condition reason, one of <see cref="ConditionReasons"/> or <see cref="ControllerReasons"/>.</summary>
    public string Reason { get; } = reason;

    /// <summary>
    /// Sorts <paramref name="exception"/> into a permanent failure with a reason, or null when it is transient
    /// (network, server errors) and the work should be retried with back-off.
    /// </summary>
    public static TransferFailure? Classify(Exception exception, string subject)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            TransferFailure failure => failure,
            DiskImageException image => new TransferFailure(ReasonOf(image.Problem), $"{subject}: {EventMessage.Sanitize(image.Message)}", image),
            ObjectStorageException { Error: ObjectStorageError.NotFound } storage =>
                new TransferFailure(ConditionReasons.SourceNotFound, EventMessage.Sanitize(storage.Message), storage),
            ObjectStorageException { Error: ObjectStorageError.DestinationNotFound } storage =>
                new TransferFailure(ControllerReasons.DestinationNotFound, EventMessage.Sanitize(storage.Message), storage),
            ObjectStorageException { Error: ObjectStorageError.AccessDenied } storage =>
                new TransferFailure(ConditionReasons.AccessDenied, EventMessage.Sanitize(storage.Message), storage),
            ObjectStorageException { Error: ObjectStorageError.InvalidLocation } storage =>
                new TransferFailure(ControllerReasons.InvalidLocation, EventMessage.Sanitize(storage.Message), storage),
            ObjectStorageException { Error: ObjectStorageError.Changed } storage =>
                new TransferFailure(ConditionReasons.StoredDiskChanged, EventMessage.Sanitize(storage.Message), storage),
            _ => null,
        };
    }

    /// <summary>Throws the failure a tenancy rule's refusal stands for; does nothing when <paramref name="refusal"/> is null.</summary>
    public static void ThrowIfRefused(AccessRefusal? refusal)
    {
        if (refusal is not null)
        {
            throw new TransferFailure(refusal.Reason, refusal.Message);
        }
    }

    /// <summary>The condition reason of an image the engine refused.</summary>
    public static string ReasonOf(ImageProblem problem) => problem switch
    {
        ImageProblem.FormatMismatch => ConditionReasons.FormatMismatch,
        ImageProblem.Unsupported => ConditionReasons.UnsupportedFormat,
        ImageProblem.BackingFile or ImageProblem.ExternalData or ImageProblem.Encrypted or ImageProblem.LimitExceeded => ConditionReasons.UnsafeImage,
        _ => ConditionReasons.CorruptImage,
    };
}

/// <summary>Condition types and reasons the controllers use beyond those of the API package.</summary>
public static class ControllerReasons
{
    /// <summary>Condition type on a CustomImage being deleted while exports of it still run.</summary>
    public const string DeletionBlocked = "DeletionBlocked";

    /// <summary>The source or destination is malformed or names no configured object store.</summary>
    public const string InvalidLocation = "InvalidLocation";

    /// <summary>The destination bucket of an export does not exist.</summary>
    public const string DestinationNotFound = "DestinationNotFound";

    /// <summary>A CustomImage of the requested name exists and was not created by this import.</summary>
    public const string ImageAlreadyExists = "ImageAlreadyExists";

    /// <summary>The API server refused the CustomImage the import wanted to create (admission policy).</summary>
    public const string ImageRejected = "ImageRejected";

    /// <summary>The requested launch mode is not allowed for this source (NATIVE is only for images exported from this platform).</summary>
    public const string LaunchModeNotAllowed = "LaunchModeNotAllowed";

    /// <summary>An export manifest that an import was given is malformed, too large, or refers to no disk beside it.</summary>
    public const string InvalidManifest = "InvalidManifest";

    /// <summary>Work failed for a reason that may pass; it is retried with back-off.</summary>
    public const string Retrying = "Retrying";

    /// <summary>Transient errors other than the object store's outlasted the retry budget.</summary>
    public const string RetryLimitExceeded = "RetryLimitExceeded";

    /// <summary>An object this export did not write is at its destination, and spec.destination.overwrite is false.</summary>
    public const string DestinationExists = "DestinationExists";

    /// <summary>The ImageImport was deleted while it ran: the transfer was cancelled and nothing was stored.</summary>
    public const string ImportCancelled = "ImportCancelled";

    /// <summary>The import's source object is empty: there is no disk to import.</summary>
    public const string EmptySource = "EmptySource";
}
