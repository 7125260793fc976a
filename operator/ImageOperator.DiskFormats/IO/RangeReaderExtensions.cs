namespace ImageOperator.DiskFormats.IO;

/// <summary>Helpers over <see cref="IRangeReader"/>.</summary>
public static class RangeReaderExtensions
{
    /// <summary>
    /// Reads exactly <c>buffer.Length</c> bytes at <paramref name="offset"/>, or throws
    /// <see cref="EndOfStreamException"/> when the source ends first (a truncated image).
    /// </summary>
    public static async ValueTask ReadExactlyAtAsync(this IRangeReader reader, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = await reader.ReadAtAsync(offset + done, buffer[done..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException($"The source ends at byte {reader.Length}; {buffer.Length} bytes were needed at offset {offset}.");
            }

            done += read;
        }
    }
}
