using System.Buffers.Binary;
using ImageOperator.DiskFormats.Inspection;
using H = ImageOperator.DiskFormats.Formats.Vhd.VhdDynamicHeaderFieldLocations;

namespace ImageOperator.DiskFormats.Formats.Vhd;

internal sealed partial record VhdDynamicHeader
{
    /// <summary>Parses and checksums a 1024-byte dynamic-disk header.</summary>
    public static VhdDynamicHeader Read(ReadOnlySpan<byte> header)
    {
        if (!header.StartsWith(VhdConstants.DynamicHeaderCookie))
        {
            ImageThrowHelper.ThrowMalformed("the VHD dynamic-disk header does not start with 'cxsparse'");
        }

        var result = new VhdDynamicHeader
        {
            DataOffset = BinaryPrimitives.ReadUInt64BigEndian(header[H.DataOffset..]),
            TableOffset = BinaryPrimitives.ReadUInt64BigEndian(header[H.TableOffset..]),
            HeaderVersion = BinaryPrimitives.ReadUInt32BigEndian(header[H.HeaderVersion..]),
            MaxTableEntries = BinaryPrimitives.ReadUInt32BigEndian(header[H.MaxTableEntries..]),
            BlockSize = BinaryPrimitives.ReadUInt32BigEndian(header[H.BlockSize..]),
            Checksum = BinaryPrimitives.ReadUInt32BigEndian(header[H.Checksum..]),
            ParentUniqueId = new Guid(header.Slice(H.ParentUniqueId, 16), bigEndian: true),
        };

        var expected = VhdChecksum.Compute(header[..VhdConstants.DynamicHeaderSize], H.Checksum);
        if (expected != result.Checksum)
        {
            ImageThrowHelper.ThrowMalformed($"the VHD dynamic-disk header checksum 0x{result.Checksum:X8} does not match its content (0x{expected:X8})");
        }

        return result;
    }
}
