using System.Buffers.Binary;
using System.Text;
using ImageOperator.DiskFormats.Inspection;
using L = ImageOperator.DiskFormats.Formats.Oci.TarFieldLengths;
using P = ImageOperator.DiskFormats.Formats.Oci.TarFieldLocations;

namespace ImageOperator.DiskFormats.Formats.Oci;

internal sealed partial record TarEntryHeader
{
    /// <summary>True for the all-zero blocks that end an archive.</summary>
    public static bool IsEndBlock(ReadOnlySpan<byte> block) => block.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>Parses and checksums a 512-byte ustar header.</summary>
    public static TarEntryHeader Read(ReadOnlySpan<byte> block, long headerOffset)
    {
        var stored = ParseOctal(block.Slice(P.Checksum, L.Checksum), "checksum", headerOffset);
        long sum = 0;
        for (var i = 0; i < OciConstants.BlockSize; i++)
        {
            sum += i is >= P.Checksum and < P.Checksum + L.Checksum ? (byte)' ' : block[i];
        }

        if (sum != stored)
        {
            ImageThrowHelper.ThrowMalformed($"the tar header at offset {headerOffset} has checksum {stored}, but its content sums to {sum}");
        }

        var name = CString(block.Slice(P.Name, L.Name));
        var prefix = block.Slice(P.Magic, L.Magic).StartsWith(OciConstants.UstarMagic) ? CString(block.Slice(P.Prefix, L.Prefix)) : string.Empty;
        return new TarEntryHeader(
            prefix.Length > 0 ? $"{prefix}/{name}" : name,
            block[P.TypeFlag],
            ParseSize(block.Slice(P.Size, L.Size), headerOffset));
    }

    /// <summary>Reads the <c>size</c> and <c>path</c> records of a PAX extended header.</summary>
    public static (string? Path, long? Size) ReadPaxRecords(ReadOnlySpan<byte> data, long offset)
    {
        string? path = null;
        long? size = null;
        while (data.Length > 0 && data[0] != 0)
        {
            var space = data.IndexOf((byte)' ');
            var length = 0;
            if (space <= 0 || !int.TryParse(Encoding.ASCII.GetString(data[..space]), out length) || length <= space + 1 || length > data.Length)
            {
                ImageThrowHelper.ThrowMalformed($"the PAX extended header at offset {offset} has a malformed record");
            }

            var record = Encoding.UTF8.GetString(data[(space + 1)..(length - 1)]);
            var equals = record.IndexOf('=');
            if (equals > 0)
            {
                var (key, value) = (record[..equals], record[(equals + 1)..]);
                if (key == "path")
                {
                    path = value;
                }
                else if (key == "size")
                {
                    size = long.TryParse(value, out var parsed) && parsed >= 0
                        ? parsed
                        : throw ImageThrowHelper.Create(ImageProblem.Malformed, $"the PAX size record at offset {offset} is not a size");
                }
            }

            data = data[length..];
        }

        return (path, size);
    }

    /// <summary>The name a GNU long-name entry carries.</summary>
    public static string ReadLongName(ReadOnlySpan<byte> data) => CString(data);

    private static long ParseSize(ReadOnlySpan<byte> field, long headerOffset)
    {
        if ((field[0] & 0x80) == 0)
        {
            return ParseOctal(field, "size", headerOffset);
        }

        // GNU base-256: the rest of the field is a big-endian number; sizes beyond 2^63 are refused.
        if (field[0] != 0x80 || field[1..4].IndexOfAnyExcept((byte)0) >= 0 || (field[4] & 0x80) != 0)
        {
            ImageThrowHelper.ThrowMalformed($"the tar header at offset {headerOffset} has a base-256 size that is negative or too large");
        }

        return BinaryPrimitives.ReadInt64BigEndian(field[4..]);
    }

    private static long ParseOctal(ReadOnlySpan<byte> field, string what, long headerOffset)
    {
        long value = 0;
        var digits = 0;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0)
            {
                if (digits > 0)
                {
                    break;
                }

                continue;
            }

            if (b is < (byte)'0' or > (byte)'7' || digits == 20)
            {
                ImageThrowHelper.ThrowMalformed($"the tar header at offset {headerOffset} has a malformed {what} field");
            }

            value = value * 8 + (b - '0');
            digits++;
        }

        return value;
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return ImageThrowHelper.Printable(end < 0 ? field : field[..end]);
    }
}
