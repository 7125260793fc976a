using System.Buffers.Binary;
using ImageOperator.DiskFormats.Inspection;
using F = ImageOperator.DiskFormats.Formats.Vdi.VdiFieldLocations;

namespace ImageOperator.DiskFormats.Formats.Vdi;

internal sealed partial record VdiHeader
{
    /// <summary>Parses the header from the first <see cref="VdiConstants.HeaderBytes"/> bytes of the file.</summary>
    public static VdiHeader Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < VdiConstants.HeaderBytes)
        {
            ImageThrowHelper.ThrowTruncated("VDI header", 0, VdiConstants.HeaderBytes, bytes.Length);
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.Signature..]) != VdiConstants.SignatureValue)
        {
            ImageThrowHelper.Throw(ImageProblem.FormatMismatch, "the source has no VDI signature at offset 0x40");
        }

        return new VdiHeader
        {
            Version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.Version..]),
            HeaderSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.HeaderSize..]),
            ImageType = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.ImageType..]),
            ImageFlags = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.ImageFlags..]),
            OffsetBlockMap = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.OffsetBlockMap..]),
            OffsetData = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.OffsetData..]),
            SectorSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.SectorSize..]),
            DiskSize = BinaryPrimitives.ReadUInt64LittleEndian(bytes[F.DiskSize..]),
            BlockSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.BlockSize..]),
            BlockExtra = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.BlockExtra..]),
            BlocksInImage = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.BlocksInImage..]),
            BlocksAllocated = BinaryPrimitives.ReadUInt32LittleEndian(bytes[F.BlocksAllocated..]),
            UuidImage = new Guid(bytes.Slice(F.UuidImage, 16)),
            UuidLastSnapshot = new Guid(bytes.Slice(F.UuidLastSnapshot, 16)),
            UuidLink = new Guid(bytes.Slice(F.UuidLink, 16)),
            UuidParent = new Guid(bytes.Slice(F.UuidParent, 16)),
        };
    }

    /// <summary>The virtual size: the disk size rounded up to whole sectors.</summary>
    public long VirtualSize => (long)((DiskSize + VdiConstants.SectorSize - 1) / VdiConstants.SectorSize * VdiConstants.SectorSize);
}
