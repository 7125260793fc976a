using FluentAssertions;

namespace ImageOperator.DiskFormats.Tests;

/// <summary>Reads a whole image back and checks it against the expected bytes and its own extent map.</summary>
internal static class ImageVerifier
{
    private const int ChunkSize = 1 << 20;

    /// <summary>
    /// Checks that the extents are ordered, contiguous, merged and cover the disk, that every byte read equals
    /// <paramref name="expected"/> (zeros beyond its end), and that Zero extents read as zeros. Chunks are read
    /// concurrently, as converters do.
    /// </summary>
    public static async Task<IReadOnlyList<Extent>> VerifyAsync(DiskImage image, byte[] expected)
    {
        var extents = new List<Extent>();
        await foreach (var extent in image.GetExtentsAsync())
        {
            extents.Add(extent);
        }

        VerifyExtentShape(extents, image.VirtualSize);
        var chunks = (int)((image.VirtualSize + ChunkSize - 1) / ChunkSize);
        await Parallel.ForAsync(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (chunk, ct) =>
        {
            var offset = (long)chunk * ChunkSize;
            var buffer = new byte[(int)Math.Min(ChunkSize, image.VirtualSize - offset)];
            await image.ReadAsync(offset, buffer, ct);
            var want = new byte[buffer.Length];
            if (offset < expected.Length)
            {
                expected.AsSpan((int)offset, (int)Math.Min(buffer.Length, expected.Length - offset)).CopyTo(want);
            }

            var mismatch = buffer.AsSpan().CommonPrefixLength(want);
            mismatch.Should().Be(buffer.Length, $"the byte at virtual offset {offset + mismatch} must match the reference");
            foreach (var zero in extents.Where(e => e.Kind == ExtentKind.Zero && e.Offset < offset + buffer.Length && e.End > offset))
            {
                var start = (int)(Math.Max(zero.Offset, offset) - offset);
                var end = (int)(Math.Min(zero.End, offset + buffer.Length) - offset);
                buffer.AsSpan(start, end - start).IndexOfAnyExcept((byte)0).Should().Be(-1, $"the Zero extent {zero} must read as zeros");
            }
        });

        return extents;
    }

    public static void VerifyExtentShape(IReadOnlyList<Extent> extents, long virtualSize)
    {
        long position = 0;
        ExtentKind? previous = null;
        foreach (var extent in extents)
        {
            extent.Offset.Should().Be(position, "extents are contiguous");
            extent.Length.Should().BePositive();
            extent.Kind.Should().NotBe(previous, "neighbouring extents of the same kind are merged");
            previous = extent.Kind;
            position = extent.End;
        }

        position.Should().Be(virtualSize, "the extents cover the whole disk");
    }
}
