using System.Buffers.Binary;
using System.Text;
using F = ImageOperator.DiskFormats.Formats.Vhd.VhdFooterFieldLocations;
using H = ImageOperator.DiskFormats.Formats.Vhd.VhdDynamicHeaderFieldLocations;

namespace ImageOperator.DiskFormats.Formats.Vhd;

internal sealed partial record VhdFooter
{
    /// <summary>Creator application of a disk whose geometry multiplies out to its exact size.</summary>
    private const string OwnCreator = "imop";

    /// <summary>
    /// The footer for a new disk of <paramref name="diskSize"/> bytes (a multiple of 512). qemu sizes a VHD by
    /// its CHS geometry unless the creator is one whose current size it trusts; when the specification's
    /// geometry does not multiply out to the exact size, the footer names the creator "qem2" (what
    /// <c>qemu-img</c> writes with <c>force_size</c>), so that qemu reads back the exact size like Hyper-V and
    /// VirtualBox, which always use the current size.
    /// </summary>
    public static VhdFooter ForNewDisk(long diskSize, uint diskType, ulong dataOffset)
    {
        var (cylinders, heads, sectorsPerTrack) = Geometry(diskSize / VhdConstants.SectorSize);
        var exact = (long)cylinders * heads * sectorsPerTrack * VhdConstants.SectorSize == diskSize;
        return new VhdFooter
        {
            Features = VhdConstants.FeaturesReserved,
            FileFormatVersion = VhdConstants.FileFormatVersion,
            DataOffset = dataOffset,
            TimeStamp = (uint)(DateTimeOffset.UtcNow - VhdConstants.Epoch).TotalSeconds,
            CreatorApplication = exact ? OwnCreator : "qem2",
            CreatorVersion = 0x00010000,
            CreatorHostOs = 0x5769326B, // "Wi2k"
            OriginalSize = (ulong)diskSize,
            CurrentSize = (ulong)diskSize,
            Cylinders = cylinders,
            Heads = heads,
            SectorsPerTrack = sectorsPerTrack,
            DiskType = diskType,
            UniqueId = Guid.NewGuid(),
        };
    }

    /// <summary>The footer's 512 bytes, checksum computed.</summary>
    public byte[] ToBytes()
    {
        var footer = new byte[VhdConstants.FooterSize];
        var span = footer.AsSpan();
        VhdConstants.Cookie.CopyTo(span);
        BinaryPrimitives.WriteUInt32BigEndian(span[F.Features..], Features);
        BinaryPrimitives.WriteUInt32BigEndian(span[F.FileFormatVersion..], FileFormatVersion);
        BinaryPrimitives.WriteUInt64BigEndian(span[F.DataOffset..], DataOffset);
        BinaryPrimitives.WriteUInt32BigEndian(span[F.TimeStamp..], TimeStamp);
        Encoding.Latin1.GetBytes(CreatorApplication, span.Slice(F.CreatorApplication, 4));
        BinaryPrimitives.WriteUInt32BigEndian(span[F.CreatorVersion..], CreatorVersion);
        BinaryPrimitives.WriteUInt32BigEndian(span[F.CreatorHostOs..], CreatorHostOs);
        BinaryPrimitives.WriteUInt64BigEndian(span[F.OriginalSize..], OriginalSize);
        BinaryPrimitives.WriteUInt64BigEndian(span[F.CurrentSize..], CurrentSize);
        BinaryPrimitives.WriteUInt16BigEndian(span[F.Cylinders..], Cylinders);
        span[F.Heads] = Heads;
        span[F.SectorsPerTrack] = SectorsPerTrack;
        BinaryPrimitives.WriteUInt32BigEndian(span[F.DiskType..], DiskType);
        UniqueId.TryWriteBytes(span[F.UniqueId..], bigEndian: true, out _);
        span[F.SavedState] = SavedState;
        BinaryPrimitives.WriteUInt32BigEndian(span[F.Checksum..], VhdChecksum.Compute(span, F.Checksum));
        return footer;
    }

    /// <summary>The specification's CHS algorithm (appendix "CHS Calculation").</summary>
    public static (ushort Cylinders, byte Heads, byte SectorsPerTrack) Geometry(long totalSectors)
    {
        totalSectors = Math.Min(totalSectors, VhdConstants.MaxGeometrySectors);
        long sectorsPerTrack, heads, cylinderTimesHeads;
        if (totalSectors >= 65535L * 16 * 63)
        {
            sectorsPerTrack = 255;
            heads = 16;
            cylinderTimesHeads = totalSectors / sectorsPerTrack;
        }
        else
        {
            sectorsPerTrack = 17;
            cylinderTimesHeads = totalSectors / sectorsPerTrack;
            heads = Math.Max((cylinderTimesHeads + 1023) / 1024, 4);
            if (cylinderTimesHeads >= heads * 1024 || heads > 16)
            {
                sectorsPerTrack = 31;
                heads = 16;
                cylinderTimesHeads = totalSectors / sectorsPerTrack;
            }

            if (cylinderTimesHeads >= heads * 1024)
            {
                sectorsPerTrack = 63;
                heads = 16;
                cylinderTimesHeads = totalSectors / sectorsPerTrack;
            }
        }

        return ((ushort)(cylinderTimesHeads / heads), (byte)heads, (byte)sectorsPerTrack);
    }
}

internal sealed partial record VhdDynamicHeader
{
    /// <summary>The header of a new dynamic disk without a parent.</summary>
    public static VhdDynamicHeader ForNewDisk(ulong tableOffset, uint maxTableEntries, uint blockSize) => new()
    {
        DataOffset = ulong.MaxValue,
        TableOffset = tableOffset,
        HeaderVersion = VhdConstants.DynamicHeaderVersion,
        MaxTableEntries = maxTableEntries,
        BlockSize = blockSize,
    };

    /// <summary>The header's 1024 bytes, checksum computed.</summary>
    public byte[] ToBytes()
    {
        var header = new byte[VhdConstants.DynamicHeaderSize];
        var span = header.AsSpan();
        VhdConstants.DynamicHeaderCookie.CopyTo(span);
        BinaryPrimitives.WriteUInt64BigEndian(span[H.DataOffset..], DataOffset);
        BinaryPrimitives.WriteUInt64BigEndian(span[H.TableOffset..], TableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(span[H.HeaderVersion..], HeaderVersion);
        BinaryPrimitives.WriteUInt32BigEndian(span[H.MaxTableEntries..], MaxTableEntries);
        BinaryPrimitives.WriteUInt32BigEndian(span[H.BlockSize..], BlockSize);
        ParentUniqueId.TryWriteBytes(span[H.ParentUniqueId..], bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32BigEndian(span[H.Checksum..], VhdChecksum.Compute(span, H.Checksum));
        return header;
    }
}
