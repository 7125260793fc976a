using System.Security.Cryptography;

namespace ImageOperator.DiskFormats.Conversion;

/// <summary>
/// What writers write to: the sink, plus the SHA-256 of the bytes in write order while no head patch happened.
/// </summary>
internal sealed class ImageOutput : IDisposable
{
    private static readonly byte[] Zeros = new byte[1 << 20];

    private readonly IImageSink _sink;
    private readonly IncrementalHash? _hash;

    public ImageOutput(IImageSink sink, bool computeDigest)
    {
        _sink = sink;
        _hash = computeDigest ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    }

    public long Position => _sink.Position;

    /// <summary>Bytes at the start that can still be patched; 0 when the sink is forward-only.</summary>
    public long HeadCapacity => (_sink as IHeadPatchSink)?.HeadCapacity ?? 0;

    /// <summary>True once a head patch made the in-order digest meaningless.</summary>
    public bool HeadPatched { get; private set; }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _hash?.AppendData(data.Span);
        return _sink.WriteAsync(data, cancellationToken);
    }

    public ValueTask WriteZerosAsync(long count, CancellationToken cancellationToken)
    {
        if (_hash is not null)
        {
            for (var left = count; left > 0; left -= Zeros.Length)
            {
                _hash.AppendData(Zeros, 0, (int)Math.Min(left, Zeros.Length));
            }
        }

        return _sink.WriteZerosAsync(count, cancellationToken);
    }

    /// <summary>Pads with zeros up to the next multiple of <paramref name="alignment"/> counted from <paramref name="origin"/>.</summary>
    public ValueTask AlignAsync(long alignment, long origin, CancellationToken cancellationToken)
    {
        var rest = (Position - origin) % alignment;
        return rest == 0 ? ValueTask.CompletedTask : WriteZerosAsync(alignment - rest, cancellationToken);
    }

    public ValueTask PatchHeadAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_sink is not IHeadPatchSink patchable || offset + data.Length > patchable.HeadCapacity)
        {
            throw new InvalidOperationException("The output cannot be patched at that offset.");
        }

        HeadPatched = true;
        return patchable.PatchHeadAsync(offset, data, cancellationToken);
    }

    /// <summary>The digest of everything written, or null when it was not computed or a patch invalidated it.</summary>
    public byte[]? InOrderDigest() => _hash is null || HeadPatched ? null : _hash.GetHashAndReset();

    public void Dispose() => _hash?.Dispose();
}
