using System.Buffers;
using System.Security.Cryptography;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.Controllers;

/// <summary>
/// Checks the SHA-256 of a disk imported through an export manifest against the manifest. The whole object is read
/// front to back beside the conversion (which reads only the parts it needs; the reader is safe for concurrent
/// reads), so the check costs no extra wall time on a fast store. Disposing stops a check still running.
/// </summary>
public sealed class ManifestVerification : IAsyncDisposable
{
    private const int ChunkBytes = 8 << 20;

    private readonly CancellationTokenSource _stop;
    private readonly Task _hashing;

    private ManifestVerification(CancellationTokenSource stop, Task hashing)
    {
        _stop = stop;
        _hashing = hashing;
    }

    /// <summary>Starts checking <paramref name="source"/>; nothing to check (completed at once) without a manifest.</summary>
    public static ManifestVerification Start(OpenedSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var hashing = source.Manifest is { } manifest
            ? Task.Run(() => VerifyAsync(source.Reader, manifest.Sha256, source.Description, stop.Token), stop.Token)
            : Task.CompletedTask;
        return new ManifestVerification(stop, hashing);
    }

    /// <summary>Waits for the check.</summary>
    /// <exception cref="TransferFailure">Reason <see cref="ConditionReasons.VerificationFailed"/>: the digest differs from the manifest's.</exception>
    public Task WaitAsync() => _hashing;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _hashing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private static async Task VerifyAsync(IRangeReader reader, string expected, string description, CancellationToken cancellationToken)
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
        if (actual != expected)
        {
            throw new TransferFailure(ConditionReasons.VerificationFailed,
                $"{description} has sha256 {actual} but its manifest records {expected}: the disk or the manifest was altered; nothing was imported");
        }
    }
}
