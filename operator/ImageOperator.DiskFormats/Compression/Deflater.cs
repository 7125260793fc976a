using System.IO.Compression;
using System.Runtime.InteropServices;

namespace ImageOperator.DiskFormats.Compression;

/// <summary>The container around a deflate stream.</summary>
internal enum DeflateFraming
{
    /// <summary>Raw deflate with a 4 KiB window: what QCOW2 readers (qemu inflates with window bits −12) accept.</summary>
    QcowRaw,

    /// <summary>Deflate with a zlib header and trailer (RFC 1950), 32 KiB window: VMDK grains.</summary>
    Zlib,
}

/// <summary>
/// One-shot deflate of a cluster or grain into a caller's buffer, on the zlib(-ng) that ships with .NET.
/// The managed <see cref="DeflateStream"/> always uses a 32 KiB window, which qemu's QCOW2 inflater (window
/// bits −12) rejects ("invalid distance too far back") as soon as a match reaches back more than 4 KiB, so
/// the window size has to be chosen through the runtime's native zlib shim. Thread-safe: each call owns its
/// stream state.
/// </summary>
internal static class Deflater
{
    private const string Library = "libSystem.IO.Compression.Native";
    private const int Deflated = 8;
    private const int MemoryLevel = 8;
    private const int Finish = 4;
    private const int StreamEnd = 1;
    private const int Ok = 0;

    /// <summary>
    /// The largest output of one call for <paramref name="inputLength"/> bytes: zlib-ng's fastest level emits
    /// static-Huffman blocks, which grow incompressible input by up to 9/8, plus framing.
    /// </summary>
    public static int Bound(int inputLength) => inputLength + (inputLength >> 3) + 64;

    /// <summary>zlib level for a .NET compression level.</summary>
    public static int LevelOf(CompressionLevel level) => level switch
    {
        CompressionLevel.NoCompression => 0,
        CompressionLevel.Fastest => 1,
        CompressionLevel.SmallestSize => 9,
        _ => 6,
    };

    /// <summary>
    /// Compresses <paramref name="input"/> into <paramref name="output"/> as one complete stream. Returns the
    /// compressed length, or −1 when it does not fit in <paramref name="output"/> (callers that store
    /// incompressible data uncompressed pass an output no larger than the input).
    /// </summary>
    public static int Compress(ArraySegment<byte> input, ArraySegment<byte> output, DeflateFraming framing, int level)
    {
        var pinnedInput = GCHandle.Alloc(input.Array, GCHandleType.Pinned);
        var pinnedOutput = GCHandle.Alloc(output.Array, GCHandleType.Pinned);
        var stream = default(ZStream);
        try
        {
            var windowBits = framing == DeflateFraming.QcowRaw ? -12 : 15;
            Check(DeflateInit2(ref stream, level, Deflated, windowBits, MemoryLevel, 0), "init");
            try
            {
                stream.NextIn = pinnedInput.AddrOfPinnedObject() + input.Offset;
                stream.AvailIn = (uint)input.Count;
                stream.NextOut = pinnedOutput.AddrOfPinnedObject() + output.Offset;
                stream.AvailOut = (uint)output.Count;
                var result = Deflate(ref stream, Finish);
                if (result == StreamEnd)
                {
                    return output.Count - (int)stream.AvailOut;
                }

                Check(result, "deflate");
                return -1; // output full before the end of the stream
            }
            finally
            {
                _ = DeflateEnd(ref stream);
            }
        }
        finally
        {
            pinnedOutput.Free();
            pinnedInput.Free();
        }
    }

    private static void Check(int result, string step)
    {
        const int BufferFull = -5;
        if (result is not Ok and not BufferFull)
        {
            throw new InvalidOperationException($"zlib {step} failed with code {result}.");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ZStream
    {
        public IntPtr NextIn;
        public IntPtr NextOut;
        public IntPtr Message;
        public IntPtr State;
        public uint AvailIn;
        public uint AvailOut;
    }

    [DllImport(Library, EntryPoint = "CompressionNative_DeflateInit2_")]
    private static extern int DeflateInit2(ref ZStream stream, int level, int method, int windowBits, int memoryLevel, int strategy);

    [DllImport(Library, EntryPoint = "CompressionNative_Deflate")]
    private static extern int Deflate(ref ZStream stream, int flush);

    [DllImport(Library, EntryPoint = "CompressionNative_DeflateEnd")]
    private static extern int DeflateEnd(ref ZStream stream);
}
