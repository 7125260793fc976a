using System.Buffers;
using System.Net;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using ImageOperator.DiskFormats.Conversion;
using Minio.DataModel.Args;
using Minio.Exceptions;

namespace ImageOperator.Storage;

/// <summary>
/// A forward-only writer of one object as an S3 multipart upload: parts of <see cref="MultipartUploadOptions.PartSize"/>
/// are uploaded in parallel (at most <see cref="MultipartUploadOptions.MaxPartsInFlight"/>, so memory stays bounded)
/// while the caller keeps writing, then completed in part order and verified with a stat (Minio 7.0.0 and RGW
/// report no ETag on completion). Any failure or cancellation aborts the upload, and so does disposing it before
/// <see cref="CompleteAsync"/>: no incomplete upload is left behind and nothing appears at the key.
/// The multipart calls are signed here (SigV4) because Minio 7.0.0 keeps them internal.
/// It is the engine's <see cref="IImageSink"/> for store destinations; with <see cref="MultipartUploadOptions.HoldHead"/>
/// it also offers the head patches of <see cref="IHeadPatchSink"/> (part 1 is uploaded last).
/// </summary>
public sealed class S3MultipartUpload : IHeadPatchSink
{
    private const int FirstPartBufferSize = 1 << 20;

    private static readonly string EmptySha256 = S3RequestSigner.Sha256Hex([]);

    private readonly ObjectStore _store;
    private readonly MultipartUploadOptions _options;
    private readonly string _uploadId;
    private readonly SemaphoreSlim _slots;
    private readonly List<Task> _uploads = [];
    private readonly SortedDictionary<int, string> _etags = [];
    private readonly CancellationTokenSource _abort = new();
    private byte[]? _current;
    private int _currentLength;
    private byte[]? _head;
    private int _headLength;
    private int _nextPart = 1;
    private Exception? _failure;
    private State _state;
    private S3RangeReader? _readBack;

    private S3MultipartUpload(ObjectStore store, string bucket, string key, string uploadId, MultipartUploadOptions options)
    {
        _store = store;
        Bucket = bucket;
        Key = key;
        _uploadId = uploadId;
        _options = options;
        _slots = new SemaphoreSlim(options.MaxPartsInFlight, options.MaxPartsInFlight);
    }

    private enum State
    {
        Open,
        Completed,
        Aborted,
    }

    /// <summary>Destination bucket.</summary>
    public string Bucket { get; }

    /// <summary>Destination object name.</summary>
    public string Key { get; }

    /// <inheritdoc />
    public long Position { get; private set; }

    /// <summary>Bytes at offset 0 that <see cref="PatchHeadAsync"/> may still change: part 1 when held, else none.</summary>
    public long HeadCapacity => _options.HoldHead ? _options.PartSize : 0;

    /// <summary>The stored object (size and ETag from a stat), once completed.</summary>
    public StoredObject? Result { get; private set; }

    private string What => _store.Describe(Bucket, Key);

    /// <summary>Initiates the multipart upload.</summary>
    internal static async Task<S3MultipartUpload> StartAsync(ObjectStore store, string bucket, string key, MultipartUploadOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        using var response = await SendAsync(store, options, HttpMethod.Post, bucket, key, "uploads", null, cancellationToken).ConfigureAwait(false);
        var body = XDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        var uploadId = body.Descendants().FirstOrDefault(e => e.Name.LocalName == "UploadId")?.Value;
        if (string.IsNullOrEmpty(uploadId))
        {
            throw new ObjectStorageException(ObjectStorageError.Other, $"Starting the upload of {store.Describe(bucket, key)} returned no upload id.");
        }

        return new S3MultipartUpload(store, bucket, key, uploadId, options);
    }

    /// <summary>Appends <paramref name="data"/>; waits when the parts in flight are at their bound.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        GuardAsync(() => AppendAsync(data, zeros: 0, cancellationToken));

    /// <summary>Appends <paramref name="count"/> zero bytes (object storage has no holes).</summary>
    public ValueTask WriteZerosAsync(long count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return GuardAsync(() => AppendAsync(ReadOnlyMemory<byte>.Empty, count, cancellationToken));
    }

    /// <summary>
    /// Overwrites bytes already written within the head region (see <see cref="HeadCapacity"/>); possible until
    /// <see cref="CompleteAsync"/> because part 1 is uploaded last.
    /// </summary>
    public ValueTask PatchHeadAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        EnsureOpen();
        if (!_options.HoldHead)
        {
            throw new InvalidOperationException("This upload was started without HoldHead: its head cannot be patched.");
        }

        if (offset < 0 || offset + data.Length > Math.Min(Position, HeadCapacity))
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"A head patch must lie within the first {Math.Min(Position, HeadCapacity)} bytes written.");
        }

        data.Span.CopyTo((_head ?? _current!).AsSpan((int)offset));
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Uploads what is buffered, waits for every part, completes the upload in part order and stats the object.
    /// Nothing exists at the key before this succeeds.
    /// </summary>
    public ValueTask CompleteAsync(CancellationToken cancellationToken = default) => GuardAsync(async () =>
    {
        EnsureOpen();
        if (Position == 0)
        {
            await AbortAsync().ConfigureAwait(false);
            await PutEmptyAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (_currentLength > 0)
            {
                await DispatchCurrentAsync(cancellationToken).ConfigureAwait(false);
            }

            if (_head is not null)
            {
                var head = _head;
                _head = null;
                await StartPartAsync(1, head, _headLength, cancellationToken).ConfigureAwait(false);
            }

            await Task.WhenAll(_uploads).ConfigureAwait(false);
            ThrowIfFailed();
            await CompleteUploadAsync(cancellationToken).ConfigureAwait(false);
        }

        _state = State.Completed;
        Result = await _store.StatAsync(Bucket, Key, cancellationToken).ConfigureAwait(false);
        if (Result.Size != Position)
        {
            throw new ObjectStorageException(ObjectStorageError.Other, $"{What} holds {Result.Size} bytes after upload, but {Position} were written.");
        }
    });

    /// <summary>Reads the completed object back (ranged GETs), e.g. to hash an output whose head was patched.</summary>
    public async ValueTask<int> ReadCompletedAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_state != State.Completed)
        {
            throw new InvalidOperationException($"The upload of {What} is not complete.");
        }

        _readBack ??= await _store.OpenReadAsync(Bucket, Key, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await _readBack.ReadAtAsync(offset, buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Aborts the upload: stops parts in flight and deletes the uploaded parts. Idempotent. Throws only when the
    /// store refuses the abort (the incomplete upload then remains until the bucket's lifecycle rules remove it).
    /// </summary>
    public async Task AbortAsync()
    {
        if (_state != State.Open)
        {
            return;
        }

        _state = State.Aborted;
        await _abort.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_uploads).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Part failures are moot once aborting.
        }

        ReturnBuffers();
        using var timeout = new CancellationTokenSource(_options.RequestTimeout);
        await AbortAsync(_store, _options, Bucket, Key, _uploadId, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>Aborts the multipart upload <paramref name="uploadId"/> (retrying transient failures); one already gone is fine.</summary>
    internal static async Task AbortAsync(
        ObjectStore store, MultipartUploadOptions options, string bucket, string key, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync(store, options, HttpMethod.Delete, bucket, key, $"uploadId={Uri.EscapeDataString(uploadId)}", null, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (ObjectStorageException exception) when (exception.Error == ObjectStorageError.NotFound)
        {
            // Already gone.
        }
    }

    /// <summary>Aborts the upload unless it was completed.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await AbortAsync().ConfigureAwait(false);
        }
        catch (ObjectStorageException)
        {
            // The store's lifecycle rules must clean up what could not be aborted; disposing does not throw.
        }

        if (_readBack is not null)
        {
            await _readBack.DisposeAsync().ConfigureAwait(false);
        }

        _slots.Dispose();
        _abort.Dispose();
    }

    // Every failure, cancellation included, aborts the upload before it propagates.
    private async ValueTask GuardAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception)
        {
            try
            {
                await AbortAsync().ConfigureAwait(false);
            }
            catch (ObjectStorageException)
            {
                // The original failure is the one to report.
            }

            throw;
        }
    }

    private async Task AppendAsync(ReadOnlyMemory<byte> data, long zeros, CancellationToken cancellationToken)
    {
        EnsureOpen();
        ThrowIfFailed();
        var remaining = data.IsEmpty ? zeros : data.Length;
        while (remaining > 0)
        {
            EnsureRoom();
            var count = (int)Math.Min(remaining, Math.Min(_current!.Length, _options.PartSize) - _currentLength);
            if (data.IsEmpty)
            {
                _current.AsSpan(_currentLength, count).Clear();
            }
            else
            {
                data.Span.Slice(data.Length - (int)remaining, count).CopyTo(_current.AsSpan(_currentLength));
            }

            _currentLength += count;
            Position += count;
            remaining -= count;
            if (_currentLength == _options.PartSize)
            {
                await DispatchCurrentAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Makes room in the part being filled. The first part starts at <see cref="FirstPartBufferSize"/> and doubles up
    /// to the part size, so the many small images of a library do not each pin a whole part buffer; later parts
    /// are rented whole (growing them would copy every part again).
    /// </summary>
    private void EnsureRoom()
    {
        if (_current is null)
        {
            _current = ArrayPool<byte>.Shared.Rent(_nextPart == 1 ? Math.Min(FirstPartBufferSize, _options.PartSize) : _options.PartSize);
            return;
        }

        if (_currentLength < Math.Min(_current.Length, _options.PartSize))
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_current.Length * 2, _options.PartSize));
        _current.AsSpan(0, _currentLength).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_current);
        _current = larger;
    }

    private async Task DispatchCurrentAsync(CancellationToken cancellationToken)
    {
        if (_nextPart > MultipartUploadOptions.MaxParts)
        {
            throw new ObjectStorageException(
                ObjectStorageError.Other, $"{What} exceeds {MultipartUploadOptions.MaxParts} parts of {_options.PartSize} bytes; use a larger part size.");
        }

        var number = _nextPart++;
        var (part, length) = (_current!, _currentLength);
        _current = null;
        _currentLength = 0;
        if (number == 1 && _options.HoldHead)
        {
            (_head, _headLength) = (part, length);
            return;
        }

        await StartPartAsync(number, part, length, cancellationToken).ConfigureAwait(false);
    }

    // Waiting for a free slot here, in the writer, is what bounds memory: the caller cannot fill another part
    // while MaxPartsInFlight parts are still uploading.
    private async Task StartPartAsync(int number, byte[] part, int length, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        try
        {
            await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ArrayPool<byte>.Shared.Return(part);
            ThrowIfFailed();
            throw;
        }

        _uploads.Add(UploadPartAsync(number, part, length));
    }

    /// <summary>Uploads one part; the caller holds a slot, released here.</summary>
    private async Task UploadPartAsync(int number, byte[] part, int length)
    {
        await Task.Yield();
        try
        {
            var hash = S3RequestSigner.Sha256Hex(part.AsSpan(0, length));
            using var response = await SendAsync(
                _store, _options, HttpMethod.Put, Bucket, Key, $"partNumber={number}&uploadId={Uri.EscapeDataString(_uploadId)}",
                part.AsMemory(0, length), _abort.Token, hash).ConfigureAwait(false);
            var etag = response.Headers.ETag?.Tag
                ?? throw new ObjectStorageException(ObjectStorageError.Other, $"Part {number} of {What} was stored without an ETag.");
            lock (_etags)
            {
                _etags[number] = etag;
            }
        }
        catch (Exception exception)
        {
            Interlocked.CompareExchange(ref _failure, exception, null);
            await _abort.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(part);
            _slots.Release();
        }
    }

    private async Task CompleteUploadAsync(CancellationToken cancellationToken)
    {
        var xml = new StringBuilder("<CompleteMultipartUpload>");
        foreach (var (number, etag) in _etags)
        {
            xml.Append("<Part><PartNumber>").Append(number).Append("</PartNumber><ETag>").Append(SecurityElement.Escape(etag)).Append("</ETag></Part>");
        }

        var body = Encoding.UTF8.GetBytes(xml.Append("</CompleteMultipartUpload>").ToString());
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(
                _store, _options, HttpMethod.Post, Bucket, Key, $"uploadId={Uri.EscapeDataString(_uploadId)}",
                body, cancellationToken, S3RequestSigner.Sha256Hex(body)).ConfigureAwait(false);
        }
        catch (ObjectStorageException)
        {
            // The server may have completed the upload and lost its answer (the retry then finds no such upload).
            if (await CompletedAnywayAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            throw;
        }

        using var _ = response;

        // S3 may answer 200 and still report an error in the body.
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (text.Contains("<Error>", StringComparison.Ordinal))
        {
            var code = XDocument.Parse(text).Descendants().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value;
            throw new ObjectStorageException(ObjectStorageError.Other, $"Completing the upload of {What} failed ({code}).");
        }
    }

    /// <summary>
    /// Whether the object at the key is the one these parts make: S3's multipart ETag is the MD5 of the parts' MD5s
    /// followed by "-" and the part count, so a match proves that this upload's completion took effect.
    /// </summary>
    private async Task<bool> CompletedAnywayAsync(CancellationToken cancellationToken)
    {
        var expected = ExpectedETag();
        try
        {
            return (await _store.StatAsync(Bucket, Key, cancellationToken).ConfigureAwait(false)).ETag == expected;
        }
        catch (ObjectStorageException)
        {
            return false;
        }
    }

    private string ExpectedETag()
    {
        var digests = new List<byte>();
        foreach (var etag in _etags.Values)
        {
            digests.AddRange(Convert.FromHexString(etag.Trim('"')));
        }

#pragma warning disable CA5351 // S3 defines the multipart ETag with MD5; it identifies, it does not protect.
        return $"{Convert.ToHexStringLower(MD5.HashData(digests.ToArray()))}-{_etags.Count}";
#pragma warning restore CA5351
    }

    private async Task PutEmptyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var empty = new MemoryStream();
            await _store.Minio.PutObjectAsync(
                new PutObjectArgs().WithBucket(Bucket).WithObject(Key).WithStreamData(empty).WithObjectSize(0), cancellationToken).ConfigureAwait(false);
        }
        catch (MinioException exception)
        {
            throw StorageErrors.FromMinio(exception, What);
        }
    }

    private void EnsureOpen()
    {
        if (_state != State.Open)
        {
            throw new InvalidOperationException($"The upload of {What} is {_state.ToString().ToLowerInvariant()}.");
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw failure as ObjectStorageException
                ?? new ObjectStorageException(ObjectStorageError.Other, $"Uploading a part of {What} failed ({failure.GetType().Name}).", innerException: failure);
        }
    }

    private void ReturnBuffers()
    {
        foreach (var buffer in new[] { _current, _head })
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        (_current, _head) = (null, null);
    }

    /// <summary>Sends a signed request, retrying transient failures; returns the successful response.</summary>
    private static async Task<HttpResponseMessage> SendAsync(
        ObjectStore store, MultipartUploadOptions options, HttpMethod method, string bucket, string key, string query,
        ReadOnlyMemory<byte>? body, CancellationToken cancellationToken, string? payloadSha256 = null)
    {
        var uri = new Uri(store.ObjectUri(bucket, key) + "?" + query);
        var delay = options.InitialRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            using var stall = new StallWatch(options.StallTimeout ?? store.StallTimeout, cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stall.Token);
            timeout.CancelAfter(options.RequestTimeout);
            HttpStatusCode? status = null;
            try
            {
                using var request = new HttpRequestMessage(method, uri) { Content = body is { } data ? new WatchedContent(data, stall) : null };
                store.Signer.Sign(request, payloadSha256 ?? EmptySha256, DateTimeOffset.UtcNow);
                HttpResponseMessage response;
                try
                {
                    response = await store.Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stall.HasStalled)
                {
                    throw stall.Stalled($"The request for {store.Describe(bucket, key)}");
                }

                if (response.IsSuccessStatusCode)
                {
                    return response;
                }

                using (response)
                {
                    status = response.StatusCode;
                    if (!StorageErrors.IsTransient(response.StatusCode) || attempt == options.MaxAttempts)
                    {
                        throw StorageErrors.FromStatus(
                            response.StatusCode, store.Describe(bucket, key), await S3RangeReader.ServerCodeAsync(response, cancellationToken).ConfigureAwait(false));
                    }
                }
            }
            catch (Exception exception) when (
                status is null && !cancellationToken.IsCancellationRequested
                && exception is HttpRequestException or IOException or OperationCanceledException or TimeoutException)
            {
                // Network failure, stall or request timeout: retry below, or give up.
                if (attempt == options.MaxAttempts)
                {
                    throw new ObjectStorageException(
                        ObjectStorageError.Other,
                        $"Request for {store.Describe(bucket, key)} failed after {attempt} attempts ({(exception is TimeoutException ? exception.Message : exception.GetType().Name)}).");
                }
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }
    }
}
