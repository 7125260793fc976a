using System.Buffers.Binary;
using ImageOperator.DiskFormats.Inspection;
using F = ImageOperator.DiskFormats.Formats.Vmdk.VmdkFieldLocations;

namespace ImageOperator.DiskFormats.Formats.Vmdk;

internal sealed partial record VmdkHeader
{
    /// <summary>Parses a 512-byte sparse extent header.</summary>
    public static VmdkHeader Read(ReadOnlySpan<byte> header)
    {
        if (header.Length < VmdkConstants.HeaderSize)
        {
            ImageThrowHelper.ThrowTruncated("VMDK header", 0, VmdkConstants.HeaderSize, header.Length);
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(header[F.Magic..]) != VmdkConstants.SparseMagicValue)
        {
            ImageThrowHelper.ThrowMalformed("the VMDK sparse header does not start with 'KDMV'");
        }

        return new VmdkHeader
        {
            Version = BinaryPrimitives.ReadUInt32LittleEndian(header[F.Version..]),
            Flags = BinaryPrimitives.ReadUInt32LittleEndian(header[F.Flags..]),
            CapacitySectors = BinaryPrimitives.ReadUInt64LittleEndian(header[F.Capacity..]),
            GrainSectors = BinaryPrimitives.ReadUInt64LittleEndian(header[F.GrainSize..]),
            DescriptorOffsetSectors = BinaryPrimitives.ReadUInt64LittleEndian(header[F.DescriptorOffset..]),
            DescriptorSizeSectors = BinaryPrimitives.ReadUInt64LittleEndian(header[F.DescriptorSize..]),
            NumGtesPerGt = BinaryPrimitives.ReadUInt32LittleEndian(header[F.NumGtesPerGt..]),
            RedundantGrainDirectorySector = BinaryPrimitives.ReadUInt64LittleEndian(header[F.RedundantGrainDirectoryOffset..]),
            GrainDirectorySector = BinaryPrimitives.ReadUInt64LittleEndian(header[F.GrainDirectoryOffset..]),
            OverheadSectors = BinaryPrimitives.ReadUInt64LittleEndian(header[F.Overhead..]),
            UncleanShutdown = header[F.UncleanShutdown],
            CompressAlgorithm = BinaryPrimitives.ReadUInt16LittleEndian(header[F.CompressAlgorithm..]),
        };
    }
}
