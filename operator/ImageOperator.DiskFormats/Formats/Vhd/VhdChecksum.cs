namespace ImageOperator.DiskFormats.Formats.Vhd;

/// <summary>The VHD checksum: the ones' complement of the byte sum, with the checksum field counted as zero.</summary>
internal static class VhdChecksum
{
    public static uint Compute(ReadOnlySpan<byte> structure, int checksumOffset)
    {
        uint sum = 0;
        for (var i = 0; i < structure.Length; i++)
        {
            if (i < checksumOffset || i >= checksumOffset + 4)
            {
                sum += structure[i];
            }
        }

        return ~sum;
    }
}
