using ImageOperator.DiskFormats.Conversion;

namespace ImageOperator.DiskFormats.Formats.Raw;

/// <summary>Writes the virtual disk byte for byte; holes and all-zero 64 KiB units become zero runs (sparse in files).</summary>
internal static class RawWriter
{
    public static async Task WriteAsync(DiskImage source, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        await foreach (var chunk in SourceStreamer.ReadAsync(source, cancellationToken).ConfigureAwait(false))
        {
            using (chunk)
            {
                if (chunk.IsHole)
                {
                    await output.WriteZerosAsync(chunk.Length, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await BlockWriter.WriteSparseAsync(output, chunk.Data, cancellationToken).ConfigureAwait(false);
                }

                progress.Advance(chunk.Length);
            }
        }
    }
}
