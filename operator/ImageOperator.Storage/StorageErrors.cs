using System.Net;
using Minio.Exceptions;

namespace ImageOperator.Storage;

/// <summary>Maps HTTP statuses and Minio SDK exceptions onto <see cref="ObjectStorageException"/>.</summary>
internal static class StorageErrors
{
    /// <summary>True for statuses worth retrying: timeouts, throttling and server errors.</summary>
    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The exception for a failed response to a request about <paramref name="what"/> (already redacted).</summary>
    public static ObjectStorageException FromStatus(HttpStatusCode status, string what, string? serverCode = null)
    {
        var code = (int)status;
        var detail = string.IsNullOrEmpty(serverCode) ? $"HTTP {code}" : $"HTTP {code} {serverCode}";
        return status switch
        {
            // The upload, not the object, is gone: another writer aborted it (a replica taking over the same key
            // clears the leftovers of earlier attempts). A new upload can succeed, so this is no missing object.
            HttpStatusCode.NotFound when serverCode == "NoSuchUpload" => new ObjectStorageException(
                ObjectStorageError.Other, $"The multipart upload to {what} was aborted by another writer ({detail}).", code),
            HttpStatusCode.NotFound => new ObjectStorageException(ObjectStorageError.NotFound, $"{what} was not found ({detail}).", code),
            HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => new ObjectStorageException(
                ObjectStorageError.AccessDenied,
                $"Access to {what} was denied ({detail}): the credentials lack the permission, or the pre-authenticated URL is expired or invalid.",
                code),
            _ => new ObjectStorageException(ObjectStorageError.Other, $"Request for {what} failed ({detail}).", code),
        };
    }

    /// <summary>
    /// Translates a Minio SDK failure. The SDK exception is not kept as inner exception: it holds the signed
    /// request, which must not reach logs.
    /// </summary>
    public static ObjectStorageException FromMinio(Exception exception, string what)
    {
        var code = (exception as MinioException)?.Response?.Code;
        return exception switch
        {
            ObjectNotFoundException or BucketNotFoundException => FromStatus(HttpStatusCode.NotFound, what, code),
            AccessDeniedException or AuthorizationException or ForbiddenException => FromStatus(HttpStatusCode.Forbidden, what, code),
            MinioException when code is "NoSuchKey" or "NoSuchBucket" or "NoSuchUpload" => FromStatus(HttpStatusCode.NotFound, what, code),
            MinioException when code is "AccessDenied" or "SignatureDoesNotMatch" or "InvalidAccessKeyId" or "ExpiredToken" =>
                FromStatus(HttpStatusCode.Forbidden, what, code),
            _ => new ObjectStorageException(ObjectStorageError.Other, $"Request for {what} failed ({code ?? exception.GetType().Name})."),
        };
    }
}
