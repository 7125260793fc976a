using ImageOperator.DiskFormats.Formats.Vhd;

namespace ImageOperator.DiskFormats.Inspection;

/// <summary>Decides whether a VHD may be read safely: fixed or dynamic only, sizes and tables within bounds.</summary>
internal static class VhdInspector
{
    public static void InspectFooter(VhdFooter footer, long fileLength, DiskImageLimits limits)
    {
        if (footer.DiskType == VhdConstants.DiskTypeDifferencing)
        {
            ImageThrowHelper.Throw(ImageProblem.BackingFile, "the VHD is a differencing disk that depends on a parent disk; it is refused");
        }

        if (footer.DiskType is not (VhdConstants.DiskTypeFixed or VhdConstants.DiskTypeDynamic))
        {
            ImageThrowHelper.ThrowUnsupported($"the VHD disk type {footer.DiskType} is not supported (2 fixed, 3 dynamic)");
        }

        var size = footer.VirtualSize;
        if (size / VhdConstants.SectorSize > VhdConstants.MaxSectors || size > limits.MaxVirtualSize)
        {
            ImageThrowHelper.ThrowLimitExceeded(
                $"the VHD virtual size {size} exceeds the {Math.Min(limits.MaxVirtualSize, VhdConstants.MaxSectors * VhdConstants.SectorSize)}-byte limit");
        }

        if (footer.DiskType == VhdConstants.DiskTypeFixed && size > fileLength - VhdConstants.FooterSize)
        {
            ImageThrowHelper.Throw(
                ImageProblem.Truncated,
                $"the fixed VHD declares {size} bytes of data but the file holds {fileLength - VhdConstants.FooterSize} before its footer: the image is truncated");
        }
    }

    public static void InspectDynamicHeader(VhdDynamicHeader header, long virtualSize, long fileLength, DiskImageLimits limits)
    {
        if (header.BlockSize < VhdConstants.SectorSize || !uint.IsPow2(header.BlockSize))
        {
            ImageThrowHelper.ThrowMalformed($"the VHD block size {header.BlockSize} is not a power of two of at least 512 bytes");
        }

        if (header.BlockSize > limits.MaxClusterSize)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the VHD block size {header.BlockSize} exceeds the {limits.MaxClusterSize}-byte limit");
        }

        var batBytes = header.MaxTableEntries * 4L;
        if (batBytes > limits.MaxTableBytes)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the VHD block allocation table ({header.MaxTableEntries} entries) exceeds the {limits.MaxTableBytes}-byte limit");
        }

        if ((long)header.MaxTableEntries * header.BlockSize < virtualSize)
        {
            ImageThrowHelper.ThrowMalformed($"the VHD block allocation table ({header.MaxTableEntries} entries of {header.BlockSize} bytes) does not cover the {virtualSize}-byte disk");
        }

        if (header.TableOffset > long.MaxValue)
        {
            ImageThrowHelper.ThrowMalformed($"the VHD block allocation table offset {header.TableOffset} is invalid");
        }

        ImageThrowHelper.EnsureWithinFile("VHD block allocation table", (long)header.TableOffset, batBytes, fileLength);
    }
}
