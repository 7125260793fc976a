using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using ImageOperator.DiskFormats.Conversion;

namespace ImageOperator.Storage;

/// <summary>
/// Writes an image to a pre-signed or pre-authenticated URL that allows PUT (an export to another tenancy's
/// bucket). Such a URL authorises exactly one request, so neither multipart nor a chunked body is possible: S3
/// requires the length up front. The output is therefore spooled to a local temporary file (patchable, like any
/// file) and sent with one PUT of known length on <see cref="CompleteAsync"/>, retrying transient failures. The PUT
/// carries the body's <c>Content-MD5</c>, so the server refuses (HTTP 400 BadDigest) anything that arrived damaged,
/// which verifies the upload even when the URL allows no read-back. The spool file is deleted on dispose, completed
/// or not. Limit: S3's 5 GiB for a single PUT.
/// </summary>
public sealed class PreauthenticatedUrlSink : IHeadPatchSink
{
    /// <summary>S3's largest single PUT.</summary>
    public const long MaxSinglePutBytes = 5L << 30;

    private readonly HttpClient _http;
    private readonly ObjectLocation _location;
    private readonly string _spool;
    private readonly FileImageSink _file;
    private readonly MultipartUploadOptions _retry;

    private PreauthenticatedUrlSink(HttpClient http, ObjectLocation location, string spool, MultipartUploadOptions retry)
    {
        _http = http;
        _location = location;
        _spool = spool;
        _retry = retry;
        _file = FileImageSink.Create(spool);
    }

    /// <inheritdoc />
    public long Position => _file.Position;

    /// <inheritdoc />
    public long HeadCapacity => _file.HeadCapacity;

    /// <summary>Bytes sent, once completed.</summary>
    public long? UploadedBytes { get; private set; }

    /// <summary>MD5 of the bytes sent, as sent in <c>Content-MD5</c> and checked by the server, once completed.</summary>
    public byte[]? UploadedMd5 { get; private set; }

    /// <summary>Starts an upload to <paramref name="location"/>, spooling in <paramref name="spoolDirectory"/> (the temp folder by default).</summary>
    /// <param name="http">Client to send the PUT with.</param>
    /// <param name="location">An object URL (for a bucket-level pre-authenticated URL, call <see cref="ObjectLocation.WithObject"/> first).</param>
    /// <param name="spoolDirectory">Where the temporary file goes; it needs room for the whole image.</param>
    /// <param name="retry">Attempts, back-off and request timeout (part settings are ignored).</param>
    public static PreauthenticatedUrlSink Create(HttpClient http, ObjectLocation location, string? spoolDirectory = null, MultipartUploadOptions? retry = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(location);
        if (location.Url is null || location.IsBucketLevel)
        {
            throw new ObjectStorageException(ObjectStorageError.InvalidLocation, $"{location} is not an object URL; append /o/<object> to a bucket-level URL first.");
        }

        var spool = Path.Combine(spoolDirectory ?? Path.GetTempPath(), $"image-operator-upload-{Guid.NewGuid():N}");
        return new PreauthenticatedUrlSink(http, location, spool, retry ?? new MultipartUploadOptions());
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => _file.WriteAsync(data, cancellationToken);

    /// <inheritdoc />
    public ValueTask WriteZerosAsync(long count, CancellationToken cancellationToken = default) => _file.WriteZerosAsync(count, cancellationToken);

    /// <inheritdoc />
    public ValueTask PatchHeadAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        _file.PatchHeadAsync(offset, data, cancellationToken);

    /// <inheritdoc />
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (Position > MaxSinglePutBytes)
        {
            throw new ObjectStorageException(
                ObjectStorageError.Other, $"The image is {Position} bytes; a single PUT to {_location} is limited to {MaxSinglePutBytes} bytes. Export to a configured store instead.");
        }

        await _file.CompleteAsync(cancellationToken).ConfigureAwait(false);
        var length = new FileInfo(_spool).Length;
        byte[] md5;
        await using (var spooled = new FileStream(_spool, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            md5 = await MD5.HashDataAsync(spooled, cancellationToken).ConfigureAwait(false);
        }

        var delay = _retry.InitialRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_retry.RequestTimeout);
            try
            {
                await using var body = new FileStream(_spool, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
                using var request = new HttpRequestMessage(HttpMethod.Put, _location.Url) { Content = new StreamContent(body, 1 << 20) };
                request.Content.Headers.ContentLength = length;
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Content.Headers.ContentMD5 = md5;
                using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    UploadedBytes = length;
                    UploadedMd5 = md5;
                    return;
                }

                if (!StorageErrors.IsTransient(response.StatusCode) || attempt == _retry.MaxAttempts)
                {
                    var code = await S3RangeReader.ServerCodeAsync(response, cancellationToken).ConfigureAwait(false);
                    throw response.StatusCode == HttpStatusCode.NotFound
                        ? new ObjectStorageException(ObjectStorageError.DestinationNotFound, $"The bucket of {_location} does not exist (HTTP 404 {code}).", 404)
                        : StorageErrors.FromStatus(response.StatusCode, _location.ToString(), code);
                }
            }
            catch (Exception exception) when (
                exception is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (attempt == _retry.MaxAttempts)
                {
                    throw new ObjectStorageException(ObjectStorageError.Other, $"Uploading to {_location} failed after {attempt} attempts ({exception.GetType().Name}).");
                }
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }
    }

    /// <inheritdoc />
    public ValueTask<int> ReadCompletedAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _file.ReadCompletedAsync(offset, buffer, cancellationToken);

    /// <summary>Deletes the spool file. What was not completed was never sent.</summary>
    public async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync().ConfigureAwait(false);
        try
        {
            File.Delete(_spool);
        }
        catch (IOException)
        {
            // Best effort: the temp folder is cleaned by the OS or the pod's restart.
        }
    }
}
