using System.Text;
using ImageOperator.DiskFormats.Inspection;

namespace ImageOperator.DiskFormats.Formats.Vmdk;

/// <summary>One extent line of a descriptor: <c>RW 4192256 SPARSE "disk.vmdk"</c>.</summary>
internal sealed record VmdkExtentLine(string Access, long Sectors, string Type, string FileName);

/// <summary>The text descriptor of a VMDK (embedded in a sparse extent, or a file of its own).</summary>
internal sealed record VmdkDescriptor
{
    private const int MaxExtents = 1024;

    public string? CreateType { get; init; }

    public string? ParentCid { get; init; }

    public string? ParentFileNameHint { get; init; }

    public IReadOnlyList<VmdkExtentLine> Extents { get; init; } = [];

    public IReadOnlyDictionary<string, string> Entries { get; init; } = new Dictionary<string, string>();

    /// <summary>Parses descriptor text; stops at the first NUL (the embedded descriptor is padded with zeros).</summary>
    public static VmdkDescriptor Parse(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        var text = Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
        var entries = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var extents = new List<VmdkExtentLine>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (TryParseExtent(line, out var extent))
            {
                if (extents.Count == MaxExtents)
                {
                    ImageThrowHelper.ThrowLimitExceeded($"the VMDK descriptor lists more than {MaxExtents} extents");
                }

                extents.Add(extent);
                continue;
            }

            var equals = line.IndexOf('=');
            if (equals > 0)
            {
                entries[line[..equals].Trim()] = line[(equals + 1)..].Trim().Trim('"');
            }
        }

        return new VmdkDescriptor
        {
            CreateType = entries.GetValueOrDefault("createType"),
            ParentCid = entries.GetValueOrDefault("parentCID"),
            ParentFileNameHint = entries.GetValueOrDefault("parentFileNameHint"),
            Extents = extents,
            Entries = entries,
        };
    }

    private static bool TryParseExtent(string line, out VmdkExtentLine extent)
    {
        extent = null!;
        var parts = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || parts[0] is not ("RW" or "RDONLY" or "NOACCESS") || !long.TryParse(parts[1], out var sectors))
        {
            return false;
        }

        var fileName = string.Empty;
        if (parts.Length == 4)
        {
            var rest = parts[3];
            var close = rest.Length > 0 && rest[0] == '"' ? rest.IndexOf('"', 1) : -1;
            fileName = close > 0 ? rest[1..close] : rest.Split(' ')[0];
        }

        extent = new VmdkExtentLine(parts[0], sectors, parts[2].ToUpperInvariant(), ImageThrowHelper.Printable(fileName));
        return true;
    }
}
