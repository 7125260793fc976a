using System.Buffers.Binary;
using System.Text;
using ImageOperator.DiskFormats.Inspection;
using F = ImageOperator.DiskFormats.Formats.Vhd.VhdFooterFieldLocations;

namespace ImageOperator.DiskFormats.Formats.Vhd;

internal sealed partial record VhdFooter
{
    /// <summary>Parses and checksums a 512-byte footer.</summary>
    public static VhdFooter Read(ReadOnlySpan<byte> footer)
    {
        if (!footer.StartsWith(VhdConstants.Cookie))
        {
            ImageThrowHelper.Throw(ImageProblem.FormatMismatch, "the VHD footer does not start with 'conectix'");
        }

        var result = new VhdFooter
        {
            Features = BinaryPrimitives.ReadUInt32BigEndian(footer[F.Features..]),
            FileFormatVersion = BinaryPrimitives.ReadUInt32BigEndian(footer[F.FileFormatVersion..]),
            DataOffset = BinaryPrimitives.ReadUInt64BigEndian(footer[F.DataOffset..]),
            TimeStamp = BinaryPrimitives.ReadUInt32BigEndian(footer[F.TimeStamp..]),
            CreatorApplication = Encoding.Latin1.GetString(footer.Slice(F.CreatorApplication, 4)),
            CreatorVersion = BinaryPrimitives.ReadUInt32BigEndian(footer[F.CreatorVersion..]),
            CreatorHostOs = BinaryPrimitives.ReadUInt32BigEndian(footer[F.CreatorHostOs..]),
            OriginalSize = BinaryPrimitives.ReadUInt64BigEndian(footer[F.OriginalSize..]),
            CurrentSize = BinaryPrimitives.ReadUInt64BigEndian(footer[F.CurrentSize..]),
            Cylinders = BinaryPrimitives.ReadUInt16BigEndian(footer[F.Cylinders..]),
            Heads = footer[F.Heads],
            SectorsPerTrack = footer[F.SectorsPerTrack],
            DiskType = BinaryPrimitives.ReadUInt32BigEndian(footer[F.DiskType..]),
            Checksum = BinaryPrimitives.ReadUInt32BigEndian(footer[F.Checksum..]),
            UniqueId = new Guid(footer.Slice(F.UniqueId, 16), bigEndian: true),
            SavedState = footer[F.SavedState],
        };

        var expected = VhdChecksum.Compute(footer[..VhdConstants.FooterSize], F.Checksum);
        if (expected != result.Checksum)
        {
            ImageThrowHelper.ThrowMalformed($"the VHD footer checksum 0x{result.Checksum:X8} does not match its content (0x{expected:X8})");
        }

        return result;
    }
}
