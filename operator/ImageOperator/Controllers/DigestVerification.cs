using System.Buffers;
using System.Security.Cryptography;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.Controllers;

/// <summary>The SHA-256 a source must have, and what it means when it has another.</summary>
/// <param name="Sha256">Lowercase hexadecimal digest.</param>
/// <param name="RecordedBy">Who recorded it, completing "... but {RecordedBy} records ...", for example "its manifest".</param>
/// <param name="Reason">Condition reason of a mismatch.</param>
/// <param name="Consequence">What a mismatch means and what was done, ending the message.</param>
public sealed record ExpectedDigest(string Sha256, string RecordedBy, string Reason, string Consequence);

/// <summary>
/// Checks the SHA-256 of a source (a disk imported through an export manifest, a stored disk being exported or
/// copied) against the recorded one. The whole object is read front to back beside the conversion (which reads only
/// the parts it needs; the reader is safe for concurrent reads), so the check costs no extra wall time on a fast
/// store. The conversion's output is completed only once the check passed (<see cref="WaitAsync"/> as its
/// completion gate), so a mismatch leaves nothing behind. Disposing stops a check still running.
/// </summary>
public sealed class DigestVerification : IAsyncDisposable
{
    private const int ChunkBytes = 8 << 20;

    private readonly CancellationTokenSource _stop;
    private readonly Task _hashing;

    private DigestVerification(CancellationTokenSource stop, Task hashing)
    {
        _stop = stop;
        _hashing = hashing;
    }

    /// <summary>Starts checking <paramref name="reader"/> against <paramref name="expected"/>; nothing to check (completed at once) when null.</summary>
    /// <param name="reader">The source.</param>
    /// <param name="description">Where the source is, safe for status and logs.</param>
    /// <param name="expected">The digest it must have.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public static DigestVerification Start(IRangeReader reader, string description, ExpectedDigest? expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var hashing = expected is not null
            ? Task.Run(() => VerifyAsync(reader, description, expected, stop.Token), stop.Token)
            : Task.CompletedTask;
        return new DigestVerification(stop, hashing);
    }

    /// <summary>Waits for the check.</summary>
    /// <exception cref="TransferFailure">The digest differs; its reason is the expected digest's.</exception>
    public Task WaitAsync(CancellationToken cancellationToken = default) => _hashing.WaitAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _hashing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private static async Task VerifyAsync(IRangeReader reader, string description, ExpectedDigest expected, CancellationToken cancellationToken)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(reader.Length, 1, ChunkBytes));
        try
        {
            for (long offset = 0; offset < reader.Length;)
            {
                var chunk = buffer.AsMemory(0, (int)Math.Min(buffer.Length, reader.Length - offset));
                await reader.ReadExactlyAtAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
                sha256.AppendData(chunk.Span);
                offset += chunk.Length;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var actual = Convert.ToHexStringLower(sha256.GetHashAndReset());
        if (actual != expected.Sha256)
        {
            throw new TransferFailure(expected.Reason,
                $"{description} has sha256 {actual} but {expected.RecordedBy} records {expected.Sha256}: {expected.Consequence}");
        }
    }
}
