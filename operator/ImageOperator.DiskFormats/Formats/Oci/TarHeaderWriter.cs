using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using F = ImageOperator.DiskFormats.Formats.Oci.TarFieldLocations;
using L = ImageOperator.DiskFormats.Formats.Oci.TarFieldLengths;

namespace ImageOperator.DiskFormats.Formats.Oci;

/// <summary>
/// ustar headers for the <c>.oci</c> archive's regular-file entries. Sizes up to 8 GiB − 1 go in the 11-digit
/// octal field; larger ones in GNU base-256 form, preceded by a PAX extended header (<c>size=</c>) when the
/// size is known before the entry is written.
/// </summary>
internal static class TarHeaderWriter
{
    public const int BlockSize = OciConstants.BlockSize;

    private const long MaxOctalSize = (1L << 33) - 1;

    /// <summary>The headers to write before an entry of <paramref name="size"/> bytes: a PAX header first when the size needs one.</summary>
    public static byte[] EntryHeaders(string name, long size, DateTimeOffset modified)
    {
        var header = Header(name, size, modified, OciConstants.TypeRegular);
        if (size <= MaxOctalSize)
        {
            return header;
        }

        var record = PaxRecord("size", size.ToString(CultureInfo.InvariantCulture));
        var paxData = new byte[(record.Length + BlockSize - 1) / BlockSize * BlockSize];
        record.CopyTo(paxData, 0);
        return [.. Header($"PaxHeaders/{name}", record.Length, modified, OciConstants.TypePaxExtended), .. paxData, .. header];
    }

    /// <summary>One ustar header block.</summary>
    public static byte[] Header(string name, long size, DateTimeOffset modified, byte type)
    {
        var header = new byte[BlockSize];
        var span = header.AsSpan();
        if (name.Length >= L.Name || !Ascii.IsValid(name))
        {
            throw new ArgumentException($"Tar entry name '{name}' must be ASCII and under {L.Name} characters.", nameof(name));
        }

        Encoding.ASCII.GetBytes(name, span[F.Name..]);
        Octal(span.Slice(F.Mode, L.Mode), 420); // rw-r--r-- (octal 644)
        Octal(span.Slice(F.Uid, L.Uid), 0);
        Octal(span.Slice(F.Gid, L.Gid), 0);
        Octal(span.Slice(F.MTime, L.MTime), modified.ToUnixTimeSeconds());
        span[F.TypeFlag] = type;
        "ustar\0"u8.CopyTo(span[F.Magic..]);
        "00"u8.CopyTo(span[F.Version..]);
        "root"u8.CopyTo(span[F.UName..]);
        "root"u8.CopyTo(span[F.GName..]);
        SetSize(span, size);
        return header;
    }

    /// <summary>Writes <paramref name="size"/> into a header and recomputes its checksum (used to patch a header written early).</summary>
    public static void SetSize(Span<byte> header, long size)
    {
        var field = header.Slice(F.Size, L.Size);
        if (size <= MaxOctalSize)
        {
            Octal(field, size);
        }
        else
        {
            field.Clear();
            field[0] = 0x80; // GNU base-256: big-endian binary after the marker bit
            BinaryPrimitives.WriteInt64BigEndian(field[4..], size);
        }

        var checksum = header.Slice(F.Checksum, L.Checksum);
        checksum.Fill((byte)' ');
        var sum = 0;
        foreach (var value in header)
        {
            sum += value;
        }

        Octal(checksum[..7], sum);
    }

    /// <summary>Zero padding after an entry of <paramref name="size"/> bytes.</summary>
    public static int Padding(long size) => (int)((BlockSize - (size % BlockSize)) % BlockSize);

    private static byte[] PaxRecord(string key, string value)
    {
        // "<length> <key>=<value>\n", where length counts its own digits.
        var body = $" {key}={value}\n";
        var length = body.Length + 1;
        while (length != body.Length + length.ToString(CultureInfo.InvariantCulture).Length)
        {
            length = body.Length + length.ToString(CultureInfo.InvariantCulture).Length;
        }

        return Encoding.ASCII.GetBytes(length.ToString(CultureInfo.InvariantCulture) + body);
    }

    /// <summary>Zero-padded octal digits filling all but the field's last byte, which stays NUL.</summary>
    private static void Octal(Span<byte> field, long value)
    {
        field.Clear();
        for (var at = field.Length - 2; at >= 0; at--, value >>= 3)
        {
            field[at] = (byte)('0' + (value & 7));
        }
    }
}
