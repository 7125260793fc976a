using ImageOperator.DiskFormats.Formats.Vdi;

namespace ImageOperator.DiskFormats.Inspection;

/// <summary>Decides whether a VDI may be read safely: a standalone dynamic or static disk with sane tables.</summary>
internal static class VdiInspector
{
    public static void Inspect(VdiHeader header, long fileLength, DiskImageLimits limits)
    {
        if (header.Version != VdiConstants.Version1_1)
        {
            ImageThrowHelper.ThrowUnsupported($"VDI version 0x{header.Version:X8} is not supported (only 1.1)");
        }

        if (header.ImageType is VdiConstants.TypeUndo or VdiConstants.TypeDiff)
        {
            ImageThrowHelper.Throw(ImageProblem.BackingFile, $"the VDI is a {(header.ImageType == VdiConstants.TypeDiff ? "differencing" : "undo")} image that depends on a parent disk; it is refused");
        }

        if (header.ImageType is not (VdiConstants.TypeDynamic or VdiConstants.TypeStatic))
        {
            ImageThrowHelper.ThrowUnsupported($"the VDI image type {header.ImageType} is not supported (1 dynamic, 2 static)");
        }

        if (header.UuidParent != Guid.Empty || header.UuidLink != Guid.Empty)
        {
            ImageThrowHelper.Throw(ImageProblem.BackingFile, "the VDI names a parent image (non-zero parent or link UUID); it is refused");
        }

        if (header.SectorSize != VdiConstants.SectorSize || header.BlockSize != VdiConstants.BlockSize || header.BlockExtra != 0)
        {
            ImageThrowHelper.ThrowUnsupported(
                $"the VDI geometry (sector size {header.SectorSize}, block size {header.BlockSize}, block extra {header.BlockExtra}) is not supported (512, 1 MiB, 0)");
        }

        if (header.DiskSize > (ulong)limits.MaxVirtualSize || header.BlocksInImage > VdiConstants.MaxBlocks)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the VDI disk size {header.DiskSize} ({header.BlocksInImage} blocks) exceeds the {limits.MaxVirtualSize}-byte limit");
        }

        if ((long)header.BlocksInImage * header.BlockSize < header.VirtualSize)
        {
            ImageThrowHelper.ThrowMalformed($"the VDI block map ({header.BlocksInImage} blocks) does not cover the {header.DiskSize}-byte disk");
        }

        if (header.BlocksAllocated > header.BlocksInImage)
        {
            ImageThrowHelper.ThrowMalformed($"the VDI claims {header.BlocksAllocated} allocated blocks out of {header.BlocksInImage}");
        }

        var mapBytes = header.BlocksInImage * 4L;
        if (mapBytes > limits.MaxTableBytes)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the VDI block map ({header.BlocksInImage} entries) exceeds the {limits.MaxTableBytes}-byte limit");
        }

        if (header.OffsetBlockMap < VdiFieldLocations.UuidParent + 16 || header.OffsetBlockMap % VdiConstants.SectorSize != 0)
        {
            ImageThrowHelper.ThrowMalformed($"the VDI block map offset {header.OffsetBlockMap} overlaps the header or is not sector-aligned");
        }

        if (header.OffsetData % VdiConstants.SectorSize != 0 || header.OffsetData < header.OffsetBlockMap + mapBytes)
        {
            ImageThrowHelper.ThrowMalformed($"the VDI data offset {header.OffsetData} overlaps the block map or is not sector-aligned");
        }

        ImageThrowHelper.EnsureWithinFile("VDI block map", header.OffsetBlockMap, mapBytes, fileLength);
    }
}
