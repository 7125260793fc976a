using ImageOperator.DiskFormats.Formats.Vmdk;

namespace ImageOperator.DiskFormats.Inspection;

/// <summary>
/// Decides whether a VMDK may be read safely: one hosted sparse extent that holds its own descriptor, with no
/// parent, no other extent (flat files, devices, paths) and tables within the file and the limits.
/// </summary>
internal static class VmdkInspector
{
    /// <summary>A descriptor file always refers to extents in other files: refuse it, naming them.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void RefuseDescriptorFile(VmdkDescriptor descriptor)
    {
        CheckParent(descriptor);
        var extents = descriptor.Extents.Count == 0
            ? "no extents"
            : string.Join(", ", descriptor.Extents.Select(e => $"{e.Type} '{e.FileName}'"));
        ImageThrowHelper.Throw(
            ImageProblem.ExternalData,
            $"the VMDK is a descriptor file (createType '{descriptor.CreateType}') whose data lives in other files or devices ({extents}); " +
            "upload a single-file VMDK (monolithicSparse or streamOptimized)");
    }

    /// <summary>Checks the descriptor embedded in a sparse extent.</summary>
    public static void InspectEmbeddedDescriptor(VmdkDescriptor descriptor, VmdkHeader header, List<string> findings)
    {
        CheckParent(descriptor);
        var external = descriptor.Extents.FirstOrDefault(e => e.Type != "SPARSE");
        if (external is not null)
        {
            ImageThrowHelper.Throw(ImageProblem.ExternalData, $"the VMDK descriptor refers to a {external.Type} extent '{external.FileName}' outside the file; it is refused");
        }

        if (descriptor.Extents.Count > 1)
        {
            ImageThrowHelper.Throw(ImageProblem.ExternalData, $"the VMDK descriptor lists {descriptor.Extents.Count} extents; only one sparse extent, this file, is accepted");
        }

        if (descriptor.CreateType is { } createType && !VmdkConstants.SupportedCreateTypes.Contains(createType, StringComparer.OrdinalIgnoreCase))
        {
            ImageThrowHelper.ThrowUnsupported($"the VMDK createType '{ImageThrowHelper.Printable(createType)}' is not supported (monolithicSparse, streamOptimized)");
        }

        if (descriptor.Extents.Count == 1 && (ulong)descriptor.Extents[0].Sectors != header.CapacitySectors)
        {
            findings.Add($"the descriptor's extent has {descriptor.Extents[0].Sectors} sectors, the header {header.CapacitySectors}; the header is used");
        }
    }

    /// <summary>Checks the sparse header (the footer's copy for streamOptimized files).</summary>
    public static void InspectHeader(VmdkHeader header, long fileLength, DiskImageLimits limits)
    {
        if (header.Version is 0 or > VmdkConstants.MaxVersion)
        {
            ImageThrowHelper.ThrowUnsupported($"VMDK sparse extent version {header.Version} is not supported (1 to 3)");
        }

        if (header.HasCompressedGrains && header.CompressAlgorithm != VmdkConstants.CompressionDeflate)
        {
            ImageThrowHelper.ThrowUnsupported($"the VMDK compression algorithm {header.CompressAlgorithm} is not supported (1 deflate)");
        }

        if (header.GrainSectors == 0 || !ulong.IsPow2(header.GrainSectors) || header.GrainSectors * VmdkConstants.SectorSize > (ulong)limits.MaxClusterSize)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the VMDK grain of {header.GrainSectors} sectors is not a power of two within the {limits.MaxClusterSize}-byte limit");
        }

        if (header.NumGtesPerGt is 0 or > 1 << 18)
        {
            ImageThrowHelper.ThrowMalformed($"the VMDK grain table size {header.NumGtesPerGt} entries is invalid");
        }

        if (header.CapacitySectors > (ulong)(limits.MaxVirtualSize / VmdkConstants.SectorSize))
        {
            ImageThrowHelper.ThrowLimitExceeded($"the VMDK capacity of {header.CapacitySectors} sectors exceeds the {limits.MaxVirtualSize}-byte limit");
        }

        var directoryBytes = header.GrainDirectoryEntries * 4;
        if (directoryBytes > limits.MaxTableBytes)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the VMDK grain directory ({header.GrainDirectoryEntries} entries) exceeds the {limits.MaxTableBytes}-byte limit");
        }

        if (header.GrainDirectorySector == VmdkConstants.GrainDirectoryAtEnd || header.GrainDirectorySector > (ulong)(fileLength / VmdkConstants.SectorSize))
        {
            ImageThrowHelper.ThrowMalformed($"the VMDK grain directory sector {header.GrainDirectorySector} lies beyond the end of the file ({fileLength} bytes)");
        }

        if (header.GrainDirectorySector == 0)
        {
            ImageThrowHelper.ThrowMalformed("the VMDK grain directory offset is 0, inside the header");
        }

        ImageThrowHelper.EnsureWithinFile("VMDK grain directory", (long)header.GrainDirectorySector * VmdkConstants.SectorSize, directoryBytes, fileLength);
    }

    private static void CheckParent(VmdkDescriptor descriptor)
    {
        if (descriptor.ParentCid is { } parent && !parent.Equals(VmdkConstants.NoParentCid, StringComparison.OrdinalIgnoreCase) || descriptor.ParentFileNameHint is not null)
        {
            ImageThrowHelper.Throw(
                ImageProblem.BackingFile,
                $"the VMDK depends on a parent disk (parentCID={ImageThrowHelper.Printable(descriptor.ParentCid ?? "?")}); images that depend on other files are refused");
        }
    }
}
