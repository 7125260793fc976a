namespace ImageOperator.DiskFormats.Formats.Oci;

/// <summary>One tar header: the entry's name, type and size (what the <c>.oci</c> reader and writer need).</summary>
internal sealed partial record TarEntryHeader(string Name, byte TypeFlag, long Size)
{
    /// <summary>Bytes the entry's data occupies, padded to whole blocks.</summary>
    public long PaddedSize => (Size + OciConstants.BlockSize - 1) / OciConstants.BlockSize * OciConstants.BlockSize;

    public bool IsRegularFile => TypeFlag is OciConstants.TypeRegular or OciConstants.TypeRegularOld;
}
