namespace ImageOperator.DiskFormats.Formats.Qcow2;

/// <summary>The QCOW2 header (versions 2 and 3) and its extensions.</summary>
internal sealed partial record Qcow2Header
{
    public int Version { get; init; } = Qcow2Constants.Version3;
    public ulong BackingFileOffset { get; init; }
    public uint BackingFileSize { get; init; }
    public int ClusterBits { get; init; } = Qcow2Constants.DefaultClusterBits;
    public ulong Size { get; init; }
    public uint CryptMethod { get; init; }
    public uint L1Size { get; init; }
    public ulong L1TableOffset { get; init; }
    public ulong RefcountTableOffset { get; init; }
    public uint RefcountTableClusters { get; init; }
    public uint NbSnapshots { get; init; }
    public ulong SnapshotsOffset { get; init; }
    public ulong IncompatibleFeatures { get; init; }
    public ulong CompatibleFeatures { get; init; }
    public ulong AutoclearFeatures { get; init; }
    public int RefcountOrder { get; init; } = Qcow2Constants.Version2RefcountOrder;
    public int HeaderLength { get; init; } = Qcow2Constants.Version3HeaderLengthWithCompressionType;
    public byte CompressionType { get; init; }

    /// <summary>Header extensions in file order, without the end marker.</summary>
    public IReadOnlyList<Qcow2HeaderExtension> Extensions { get; init; } = [];

    public long ClusterSize => 1L << ClusterBits;

    public bool HasExtendedL2 => (IncompatibleFeatures & Qcow2Constants.IncompatibleExtendedL2) != 0;

    /// <summary>Bytes of one L2 entry: 8, or 16 with extended L2 (entry + subcluster bitmap).</summary>
    public int L2EntrySize => HasExtendedL2 ? Qcow2Constants.ExtendedL2EntrySize : Qcow2Constants.L2EntrySize;

    /// <summary>Entries per L2 table (one cluster).</summary>
    public long L2Entries => ClusterSize / L2EntrySize;

    /// <summary>The smallest L1 table that maps <see cref="Size"/> bytes.</summary>
    public ulong RequiredL1Size => (Size + (ulong)(ClusterSize * L2Entries) - 1) / (ulong)(ClusterSize * L2Entries);

    /// <summary>The extension of the given type, if present.</summary>
    public Qcow2HeaderExtension? FindExtension(uint type) => Extensions.FirstOrDefault(e => e.Type == type);
}

/// <summary>A header extension: its type and payload (without padding).</summary>
internal sealed record Qcow2HeaderExtension(uint Type, ReadOnlyMemory<byte> Data);
