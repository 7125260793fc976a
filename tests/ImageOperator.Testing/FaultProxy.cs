using System.Net;
using System.Net.Sockets;

namespace ImageOperator.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a real server that misbehaves on purpose: it forwards requests as they are
/// and replies at most <see cref="BytesPerSecond"/> (0: unthrottled), or not at all while <see cref="Stalled"/>
/// (the connection stays open, as with a server whose disk is full), or loses one reply (<see cref="LoseRepliesTo"/>:
/// the server acts on the request, the client sees the connection drop). Settings apply to traffic from then on.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private const int ChunkBytes = 16 * 1024;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private string? _loseMarker;
    private int _lostReplies;
    private int _toLose;

    /// <summary>Starts forwarding to <paramref name="upstream"/>.</summary>
    public FaultProxy(Uri upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        _upstream = new IPEndPoint(IPAddress.Parse(upstream.Host), upstream.Port);
        _listener.Start();
        Endpoint = new UriBuilder(upstream) { Port = ((IPEndPoint)_listener.LocalEndpoint).Port }.Uri;
        _accepting = AcceptAsync();
    }

    /// <summary>Where clients connect instead of the upstream server.</summary>
    public Uri Endpoint { get; }

    /// <summary>Most reply bytes per second and connection; 0 for no limit.</summary>
    public int BytesPerSecond { get; set; }

    /// <summary>While true, replies are held back (the connection stays open).</summary>
    public bool Stalled { get; set; }

    /// <summary>Replies lost so far.</summary>
    public int LostReplies => _lostReplies;

    /// <summary>
    /// Forwards the next <paramref name="count"/> requests whose request line contains <paramref name="marker"/> (for
    /// example <c>"POST /bucket/key?uploadId="</c>) to the server, then drops each connection instead of its reply.
    /// </summary>
    public void LoseRepliesTo(string marker, int count)
    {
        Volatile.Write(ref _toLose, count);
        Volatile.Write(ref _loseMarker, marker);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(_upstream, _stop.Token);
                var connection = new Connection();
                var requests = PumpAsync(client.GetStream(), server.GetStream(), connection, replies: false);
                var replies = PumpAsync(server.GetStream(), client.GetStream(), connection, replies: true);
                await Task.WhenAny(requests, replies);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A side hung up, or the proxy stopped.
            }
        }
    }

    private async Task PumpAsync(Stream from, Stream to, Connection connection, bool replies)
    {
        var buffer = new byte[ChunkBytes];
        while (true)
        {
            var read = await from.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return;
            }

            if (!replies && Volatile.Read(ref _loseMarker) is { } marker && RequestLine(buffer.AsSpan(0, read)).Contains(marker, StringComparison.Ordinal)
                && Interlocked.Decrement(ref _toLose) >= 0)
            {
                connection.LosesReply = true;
            }

            if (replies && connection.LosesReply)
            {
                // The server has answered: the client never hears it.
                Interlocked.Increment(ref _lostReplies);
                return;
            }

            while (replies && Stalled)
            {
                await Task.Delay(50, _stop.Token);
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            if (replies && BytesPerSecond > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)read / BytesPerSecond), _stop.Token);
            }
        }
    }

    private static string RequestLine(ReadOnlySpan<byte> chunk)
    {
        var end = chunk.IndexOf((byte)'\r');
        return System.Text.Encoding.ASCII.GetString(end < 0 ? chunk[..Math.Min(chunk.Length, 512)] : chunk[..end]);
    }

    private sealed class Connection
    {
        public volatile bool LosesReply;
    }
}
