namespace ImageOperator.DiskFormats;

/// <summary>Why an image was refused. The operator maps these onto user-facing failure reasons.</summary>
public enum ImageProblem
{
    /// <summary>The content is not an image of the declared format.</summary>
    FormatMismatch,

    /// <summary>A format or variant the engine does not handle (unknown feature bits, unknown createType...).</summary>
    Unsupported,

    /// <summary>The image refers to another file: a QCOW2 backing file, a VMDK parent or a VHD/VDI differencing parent.</summary>
    BackingFile,

    /// <summary>The image keeps its data in an external file or device (QCOW2 data file, VMDK flat/device extents).</summary>
    ExternalData,

    /// <summary>The image is encrypted.</summary>
    Encrypted,

    /// <summary>The image says of itself that it is corrupt or was not closed cleanly.</summary>
    MarkedCorrupt,

    /// <summary>A table, offset or size points outside the file, overlaps the header, or is malformed.</summary>
    Malformed,

    /// <summary>The file ends before the structures it declares.</summary>
    Truncated,

    /// <summary>A size, table or decompressed output exceeds the engine's safety bounds.</summary>
    LimitExceeded,
}
