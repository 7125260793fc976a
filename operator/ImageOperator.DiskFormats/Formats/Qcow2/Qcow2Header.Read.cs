using System.Buffers.Binary;
using ImageOperator.DiskFormats.Inspection;
using F = ImageOperator.DiskFormats.Formats.Qcow2.Qcow2FieldLocations;

namespace ImageOperator.DiskFormats.Formats.Qcow2;

/// <summary>Parsing of the header; the checks of what may be read safely are in <see cref="Qcow2Inspector"/>.</summary>
internal sealed partial record Qcow2Header
{
    /// <summary>
    /// Parses the header from the start of the file. <paramref name="headerCluster"/> holds the first cluster, or
    /// the whole file when it is shorter; extensions are parsed from it when <paramref name="withExtensions"/>.
    /// </summary>
    public static Qcow2Header Read(ReadOnlySpan<byte> headerCluster, bool withExtensions)
    {
        if (headerCluster.Length < Qcow2Constants.Version2HeaderLength)
        {
            ImageThrowHelper.ThrowTruncated("QCOW2 header", 0, Qcow2Constants.Version2HeaderLength, headerCluster.Length);
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(headerCluster[F.Magic..]) != Qcow2Constants.MagicValue)
        {
            ImageThrowHelper.Throw(ImageProblem.FormatMismatch, "the source does not start with the QCOW2 magic");
        }

        var version = BinaryPrimitives.ReadInt32BigEndian(headerCluster[F.Version..]);
        if (version is not (Qcow2Constants.Version2 or Qcow2Constants.Version3))
        {
            ImageThrowHelper.ThrowUnsupported($"QCOW2 version {version} is not supported (only versions 2 and 3)");
        }

        var v3 = version == Qcow2Constants.Version3;
        if (v3 && headerCluster.Length < Qcow2Constants.Version3HeaderLength)
        {
            ImageThrowHelper.ThrowTruncated("QCOW2 version 3 header", 0, Qcow2Constants.Version3HeaderLength, headerCluster.Length);
        }

        var headerLength = v3 ? BinaryPrimitives.ReadInt32BigEndian(headerCluster[F.HeaderLength..]) : Qcow2Constants.Version2HeaderLength;
        if (v3 && (headerLength < Qcow2Constants.Version3HeaderLength || headerLength % 8 != 0))
        {
            ImageThrowHelper.ThrowMalformed($"the QCOW2 header_length {headerLength} is invalid (at least {Qcow2Constants.Version3HeaderLength}, a multiple of 8)");
        }

        var header = new Qcow2Header
        {
            Version = version,
            BackingFileOffset = BinaryPrimitives.ReadUInt64BigEndian(headerCluster[F.BackingFileOffset..]),
            BackingFileSize = BinaryPrimitives.ReadUInt32BigEndian(headerCluster[F.BackingFileSize..]),
            ClusterBits = BinaryPrimitives.ReadInt32BigEndian(headerCluster[F.ClusterBits..]),
            Size = BinaryPrimitives.ReadUInt64BigEndian(headerCluster[F.Size..]),
            CryptMethod = BinaryPrimitives.ReadUInt32BigEndian(headerCluster[F.CryptMethod..]),
            L1Size = BinaryPrimitives.ReadUInt32BigEndian(headerCluster[F.L1Size..]),
            L1TableOffset = BinaryPrimitives.ReadUInt64BigEndian(headerCluster[F.L1TableOffset..]),
            RefcountTableOffset = BinaryPrimitives.ReadUInt64BigEndian(headerCluster[F.RefcountTableOffset..]),
            RefcountTableClusters = BinaryPrimitives.ReadUInt32BigEndian(headerCluster[F.RefcountTableClusters..]),
            NbSnapshots = BinaryPrimitives.ReadUInt32BigEndian(headerCluster[F.NbSnapshots..]),
            SnapshotsOffset = BinaryPrimitives.ReadUInt64BigEndian(headerCluster[F.SnapshotsOffset..]),
            IncompatibleFeatures = v3 ? BinaryPrimitives.ReadUInt64BigEndian(headerCluster[F.IncompatibleFeatures..]) : 0,
            CompatibleFeatures = v3 ? BinaryPrimitives.ReadUInt64BigEndian(headerCluster[F.CompatibleFeatures..]) : 0,
            AutoclearFeatures = v3 ? BinaryPrimitives.ReadUInt64BigEndian(headerCluster[F.AutoclearFeatures..]) : 0,
            RefcountOrder = v3 ? BinaryPrimitives.ReadInt32BigEndian(headerCluster[F.RefcountOrder..]) : Qcow2Constants.Version2RefcountOrder,
            HeaderLength = headerLength,
            CompressionType = headerLength > F.CompressionType && headerCluster.Length > F.CompressionType ? headerCluster[F.CompressionType] : Qcow2Constants.CompressionZlib,
        };

        if (header.ClusterBits is < Qcow2Constants.MinClusterBits or > Qcow2Constants.MaxClusterBits)
        {
            ImageThrowHelper.ThrowMalformed(
                $"the QCOW2 cluster_bits {header.ClusterBits} is outside {Qcow2Constants.MinClusterBits}..{Qcow2Constants.MaxClusterBits} (512 B to 2 MiB clusters)");
        }

        if (headerLength > header.ClusterSize)
        {
            ImageThrowHelper.ThrowMalformed($"the QCOW2 header_length {headerLength} exceeds the {header.ClusterSize}-byte cluster");
        }

        return withExtensions ? header.WithExtensions(headerCluster) : header;
    }

    private Qcow2Header WithExtensions(ReadOnlySpan<byte> headerCluster)
    {
        var extensions = new List<Qcow2HeaderExtension>();
        var position = HeaderLength;
        while (true)
        {
            if (position + 8 > headerCluster.Length)
            {
                if (headerCluster.Length < ClusterSize)
                {
                    ImageThrowHelper.ThrowTruncated("QCOW2 header extensions", position, 8, headerCluster.Length);
                }

                ImageThrowHelper.ThrowMalformed("the QCOW2 header extensions run past the first cluster without an end marker");
            }

            var type = BinaryPrimitives.ReadUInt32BigEndian(headerCluster[position..]);
            var length = BinaryPrimitives.ReadUInt32BigEndian(headerCluster[(position + 4)..]);
            if (type == Qcow2Constants.ExtensionEnd)
            {
                return this with { Extensions = extensions };
            }

            var dataStart = position + 8;
            if (length > headerCluster.Length - dataStart)
            {
                ImageThrowHelper.ThrowMalformed($"the QCOW2 header extension 0x{type:X8} ({length} bytes at offset {dataStart}) runs past the first cluster");
            }

            extensions.Add(new Qcow2HeaderExtension(type, headerCluster.Slice(dataStart, (int)length).ToArray()));
            position = dataStart + (int)((length + 7) & ~7u);
        }
    }
}
