using System.Net;

namespace ImageOperator.Storage;

/// <summary>
/// Detects a stalled request: <see cref="Token"/> is cancelled when no byte has moved for <see cref="Limit"/>,
/// however long the whole request may take. The request timeout bounds a transfer that moves but never ends; this
/// one catches a server that accepts a connection and then goes silent (a full disk, a hung gateway) long before it.
/// </summary>
internal sealed class StallWatch : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _outer;

    /// <summary>Starts watching; <paramref name="outer"/> cancels the token too.</summary>
    public StallWatch(TimeSpan limit, CancellationToken outer)
    {
        Limit = limit;
        _outer = outer;
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _source.CancelAfter(limit);
    }

    /// <summary>Longest time without a byte moving.</summary>
    public TimeSpan Limit { get; }

    /// <summary>Cancelled on a stall or by the outer token.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Whether the token was cancelled by a stall (not by the caller).</summary>
    public bool HasStalled => _source.IsCancellationRequested && !_outer.IsCancellationRequested;

    /// <summary>Bytes moved: the stall clock starts over.</summary>
    public void Progress()
    {
        try
        {
            _source.CancelAfter(Limit);
        }
        catch (ObjectDisposedException)
        {
            // The request is over.
        }
    }

    /// <summary>The error that reports a stall of <paramref name="what"/>; transient, so the request is retried.</summary>
    public TimeoutException Stalled(string what) =>
        new($"{what} stalled: no bytes moved for {Limit.TotalSeconds:0} s (the object store accepted the request but stopped answering)");

    /// <inheritdoc />
    public void Dispose() => _source.Dispose();
}

/// <summary>A request body sent in chunks, each one reported to a <see cref="StallWatch"/>.</summary>
internal sealed class WatchedContent(ReadOnlyMemory<byte> data, StallWatch watch) : HttpContent
{
    private const int ChunkBytes = 64 * 1024;

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <inheritdoc />
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < data.Length; offset += ChunkBytes)
        {
            await stream.WriteAsync(data.Slice(offset, Math.Min(ChunkBytes, data.Length - offset)), cancellationToken).ConfigureAwait(false);
            watch.Progress();
        }
    }

    /// <inheritdoc />
    protected override bool TryComputeLength(out long length)
    {
        length = data.Length;
        return true;
    }
}
