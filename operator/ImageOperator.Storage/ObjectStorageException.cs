namespace ImageOperator.Storage;

/// <summary>Why an object-storage operation failed, in the terms the operator reports to users.</summary>
public enum ObjectStorageError
{
    /// <summary>The bucket or object does not exist (HTTP 404).</summary>
    NotFound,

    /// <summary>A write found no bucket to write into (HTTP 404 on a PUT).</summary>
    DestinationNotFound,

    /// <summary>The credentials or the pre-authenticated URL do not grant the access (HTTP 401/403, expired or tampered signature).</summary>
    AccessDenied,

    /// <summary>The location is malformed or names no configured store.</summary>
    InvalidLocation,

    /// <summary>
    /// The object is no longer the one expected: its ETag differs from the recorded one (HTTP 412 to an
    /// <c>If-Match</c> read, or a stat that disagrees), so it was replaced behind the reader's back.
    /// </summary>
    Changed,

    /// <summary>Any other failure (server errors after retries, protocol violations, network failures).</summary>
    Other,
}

/// <summary>
/// An object-storage failure. Messages name the bucket and object, or the URL with its query string and
/// pre-authentication token redacted; they never carry credentials or signatures.
/// </summary>
public sealed class ObjectStorageException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> must already be free of secrets.</summary>
    public ObjectStorageException(ObjectStorageError error, string message, int? httpStatus = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        HttpStatus = httpStatus;
    }

    /// <summary>The typed reason.</summary>
    public ObjectStorageError Error { get; }

    /// <summary>HTTP status of the failing response, when there was one.</summary>
    public int? HttpStatus { get; }
}
