using System.Net;
using System.Net.Http.Headers;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.Storage;

/// <summary>
/// <see cref="IRangeReader"/> over an object reached by HTTP GET with a <c>Range</c> header: a store object through
/// pre-signed URLs (Minio 7.0.0's own ranged GetObject throws on every 206), or a pre-signed / pre-authenticated
/// URL as given. Small reads are served from read-ahead windows; transient failures are retried with back-off;
/// 404 and 401/403 become <see cref="ObjectStorageError.NotFound"/> and <see cref="ObjectStorageError.AccessDenied"/>.
/// Safe for concurrent reads. Messages name the object or the redacted URL only.
/// </summary>
public sealed class S3RangeReader : IRangeReader
{
    // URL sources read through the registry carry no store: they get this one.
    private static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;
    private readonly Func<CancellationToken, ValueTask<Uri>> _url;
    private readonly string _description;
    private readonly RangeReaderOptions _options;
    private readonly LinkedList<Window> _windows = new();
    private readonly Lock _lock = new();
    private long _requests;

    private S3RangeReader(HttpClient http, Func<CancellationToken, ValueTask<Uri>> url, string description, RangeReaderOptions options)
    {
        _http = http;
        _url = url;
        _description = description;
        _options = options;
    }

    /// <inheritdoc />
    public long Length { get; private set; }

    /// <summary>HTTP requests sent so far (including retries).</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>
    /// Opens a pre-signed or pre-authenticated URL (or any URL that allows anonymous GET). The first request
    /// learns the length and fills the first read-ahead window.
    /// </summary>
    /// <param name="http">Client to send requests with (trusting the endpoint's CA).</param>
    /// <param name="location">A URL location; its URL is a secret and appears in no message.</param>
    /// <param name="options">Tuning; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the first request.</param>
    public static Task<S3RangeReader> OpenUrlAsync(HttpClient http, ObjectLocation location, RangeReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.Url is null || location.IsBucketLevel)
        {
            throw new ArgumentException($"{location} is not an object URL.", nameof(location));
        }

        var url = location.Url;
        return OpenAsync(http, _ => ValueTask.FromResult(url), location.ToString(), options ?? new RangeReaderOptions(), cancellationToken);
    }

    internal static async Task<S3RangeReader> OpenAsync(
        HttpClient http, Func<CancellationToken, ValueTask<Uri>> url, string description, RangeReaderOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReadAheadBytes, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CachedWindows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        var reader = new S3RangeReader(http, url, description, options);
        var first = new byte[options.ReadAheadBytes];
        var (read, length) = await reader.FetchAsync(0, first, learnLength: true, cancellationToken).ConfigureAwait(false);
        reader.Length = length;
        reader.Remember(new Window(0, first.AsMemory(0, read)));
        return reader;
    }

    /// <inheritdoc />
    public async ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset >= Length || buffer.IsEmpty)
        {
            return 0;
        }

        var count = (int)Math.Min(buffer.Length, Length - offset);
        var target = buffer[..count];
        if (TryCopyFromWindow(offset, target.Span))
        {
            return count;
        }

        if (count >= _options.ReadAheadBytes)
        {
            // Large reads (the bulk copy of a conversion) go straight into the caller's buffer.
            await FetchExactlyAsync(offset, target, cancellationToken).ConfigureAwait(false);
            return count;
        }

        var windowLength = (int)Math.Min(_options.ReadAheadBytes, Length - offset);
        var data = new byte[windowLength];
        await FetchExactlyAsync(offset, data, cancellationToken).ConfigureAwait(false);
        Remember(new Window(offset, data));
        data.AsSpan(0, count).CopyTo(target.Span);
        return count;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _windows.Clear();
        }

        return ValueTask.CompletedTask;
    }

    private bool TryCopyFromWindow(long offset, Span<byte> target)
    {
        lock (_lock)
        {
            for (var node = _windows.First; node is not null; node = node.Next)
            {
                var window = node.Value;
                if (offset >= window.Offset && offset + target.Length <= window.Offset + window.Data.Length)
                {
                    window.Data.Span.Slice((int)(offset - window.Offset), target.Length).CopyTo(target);
                    _windows.Remove(node);
                    _windows.AddFirst(node);
                    return true;
                }
            }
        }

        return false;
    }

    private void Remember(Window window)
    {
        lock (_lock)
        {
            _windows.AddFirst(window);
            while (_windows.Count > _options.CachedWindows)
            {
                _windows.RemoveLast();
            }
        }
    }

    private async Task FetchExactlyAsync(long offset, Memory<byte> target, CancellationToken cancellationToken)
    {
        var (read, _) = await FetchAsync(offset, target, learnLength: false, cancellationToken).ConfigureAwait(false);
        if (read != target.Length)
        {
            throw new ObjectStorageException(
                ObjectStorageError.Other, $"{_description} ended at byte {offset + read}, before the {Length} bytes it had when opened: it changed while being read.");
        }
    }

    /// <summary>
    /// GETs <c>[offset, offset + target.Length)</c>, resuming after short bodies and retrying transient failures.
    /// With <paramref name="learnLength"/>, also returns the object's total length (a range past the end of a
    /// short object is allowed then).
    /// </summary>
    private async Task<(int Read, long Length)> FetchAsync(long offset, Memory<byte> target, bool learnLength, CancellationToken cancellationToken)
    {
        var done = 0;
        long total = -1;
        var delay = _options.InitialRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (read, length, complete) = await SendRangeAsync(offset + done, target[done..], cancellationToken).ConfigureAwait(false);
                done += read;
                total = length;
                if (complete || done == target.Length || offset + done >= total)
                {
                    return (done, total);
                }

                // The body ended early (connection cut): ask for the rest.
                throw new IOException("The response body ended before the requested range.");
            }
            catch (Exception exception) when (attempt < _options.MaxAttempts && IsTransient(exception, cancellationToken))
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
            catch (Exception exception) when (IsTransient(exception, cancellationToken))
            {
                throw new ObjectStorageException(
                    ObjectStorageError.Other,
                    $"Reading {_description} failed after {attempt} attempts ({(exception is TimeoutException ? exception.Message : exception.GetType().Name + StatusSuffix(exception))}).");
            }
        }
    }

    private async Task<(int Read, long Length, bool Complete)> SendRangeAsync(long offset, Memory<byte> target, CancellationToken cancellationToken)
    {
        using var stall = new StallWatch(_options.StallTimeout ?? DefaultStallTimeout, cancellationToken);
        try
        {
            return await SendRangeAsync(offset, target, stall, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stall.HasStalled)
        {
            throw stall.Stalled($"Reading {_description}");
        }
    }

    private async Task<(int Read, long Length, bool Complete)> SendRangeAsync(long offset, Memory<byte> target, StallWatch stall, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stall.Token);
        timeout.CancelAfter(_options.RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, await _url(timeout.Token).ConfigureAwait(false));
        request.Headers.Range = new RangeHeaderValue(offset, offset + target.Length - 1);
        if (_options.ExpectedETag is { } expected)
        {
            request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{expected}\""));
        }

        Interlocked.Increment(ref _requests);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        stall.Progress();
        ThrowIfChanged(response);
        switch (response.StatusCode)
        {
            case HttpStatusCode.PartialContent:
                var range = response.Content.Headers.ContentRange;
                if (range?.From != offset || range.Length is not { } length)
                {
                    throw new ObjectStorageException(ObjectStorageError.Other, $"The server answered a range of {_description} with a wrong Content-Range.");
                }

                var read = await ReadBodyAsync(response, target, stall, timeout.Token).ConfigureAwait(false);
                return (read, length, false);
            case HttpStatusCode.OK when offset == 0:
                // The server ignored Range and sends the whole object: take what fits, drop the connection.
                var total = response.Content.Headers.ContentLength
                    ?? throw new ObjectStorageException(ObjectStorageError.Other, $"The server sent {_description} without a length and ignored the Range header.");
                return (await ReadBodyAsync(response, target, stall, timeout.Token).ConfigureAwait(false), total, true);
            case HttpStatusCode.RequestedRangeNotSatisfiable when offset == 0:
                // A range starting at 0 is unsatisfiable only for an empty object.
                return (0, 0, true);
            case var status when StorageErrors.IsTransient(status):
                throw new HttpRequestException(null, null, status);
            default:
                throw StorageErrors.FromStatus(response.StatusCode, _description, await ServerCodeAsync(response, timeout.Token).ConfigureAwait(false));
        }
    }

    /// <summary>Refuses an answer about another object than the expected one: a 412, or a success with another ETag.</summary>
    private void ThrowIfChanged(HttpResponseMessage response)
    {
        if (_options.ExpectedETag is not { } expected)
        {
            return;
        }

        var actual = response.Headers.ETag?.Tag.Trim('"');
        if (response.StatusCode == HttpStatusCode.PreconditionFailed || (response.IsSuccessStatusCode && actual is not null && actual != expected))
        {
            throw new ObjectStorageException(
                ObjectStorageError.Changed,
                $"{_description} changed after it was recorded: its ETag is {(actual is null ? "no longer" : $"'{actual}', not")} '{expected}' (HTTP {(int)response.StatusCode}).",
                (int)response.StatusCode);
        }
    }

    private static async Task<int> ReadBodyAsync(HttpResponseMessage response, Memory<byte> target, StallWatch stall, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var done = 0;
        while (done < target.Length)
        {
            var read = await body.ReadAsync(target[done..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            stall.Progress();
            done += read;
        }

        return done;
    }

    /// <summary>The S3 error code (<c>&lt;Code&gt;</c> of the XML error body), which holds no secret.</summary>
    internal static async Task<string?> ServerCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var start = body.IndexOf("<Code>", StringComparison.Ordinal);
            var end = start < 0 ? -1 : body.IndexOf("</Code>", start, StringComparison.Ordinal);
            return end < 0 ? null : body[(start + 6)..end];
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        ObjectStorageException => false,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HttpRequestException { StatusCode: { } status } => StorageErrors.IsTransient(status),
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };

    private static string StatusSuffix(Exception exception) =>
        exception is HttpRequestException { StatusCode: { } status } ? $" HTTP {(int)status}" : string.Empty;

    private sealed record Window(long Offset, ReadOnlyMemory<byte> Data);
}
