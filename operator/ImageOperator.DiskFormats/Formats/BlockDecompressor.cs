using System.IO.Compression;
using ImageOperator.DiskFormats.Inspection;
using ZstdSharp;

namespace ImageOperator.DiskFormats.Formats;

/// <summary>
/// Inflates one compressed cluster or grain into exactly one block, never more: a stream that would produce more
/// than a block (a decompression bomb) is refused, whatever its compressed size.
/// </summary>
internal static class BlockDecompressor
{
    /// <summary>Compression codecs found in images.</summary>
    public enum Codec
    {
        /// <summary>Raw deflate, no header (QCOW2 zlib clusters).</summary>
        Deflate,

        /// <summary>Deflate with a zlib header (VMDK grains).</summary>
        ZLib,

        /// <summary>Zstandard frames (QCOW2 compression type 1).</summary>
        Zstd,
    }

    /// <summary>
    /// Inflates <paramref name="compressed"/> into a new array of <paramref name="blockSize"/> bytes. With
    /// <paramref name="allowShort"/> a stream that ends early leaves zeros (a partial last grain); otherwise it is malformed.
    /// </summary>
    public static byte[] Decompress(Codec codec, ArraySegment<byte> compressed, int blockSize, bool allowShort, string where)
    {
        var block = new byte[blockSize];
        try
        {
            using var input = new MemoryStream(compressed.Array!, compressed.Offset, compressed.Count, writable: false);
            using Stream inflater = codec switch
            {
                Codec.Deflate => new DeflateStream(input, CompressionMode.Decompress),
                Codec.ZLib => new ZLibStream(input, CompressionMode.Decompress),
                _ => new DecompressionStream(input),
            };

            var filled = inflater.ReadAtLeast(block, blockSize, throwOnEndOfStream: false);
            if (filled < blockSize && !allowShort)
            {
                ImageThrowHelper.ThrowMalformed($"the compressed {where} inflates to {filled} bytes, less than the {blockSize}-byte block");
            }

            // A deflate stream ends with its final block, so anything more it yields is output beyond the block. A zstd
            // cluster is followed by the next cluster's frame (qemu packs them byte by byte), so there the bound is
            // simply that no more than one block is ever pulled from the decompressor.
            if (filled == blockSize && codec != Codec.Zstd && inflater.Read(stackalloc byte[1]) > 0)
            {
                ImageThrowHelper.ThrowLimitExceeded($"the compressed {where} inflates beyond the {blockSize}-byte block (decompression bomb)");
            }
        }
        catch (Exception e) when (e is InvalidDataException or ZstdException or EndOfStreamException)
        {
            throw new DiskImageException(ImageProblem.Malformed, $"the compressed {where} is not a valid {codec} stream: {e.Message}", e);
        }

        return block;
    }
}
