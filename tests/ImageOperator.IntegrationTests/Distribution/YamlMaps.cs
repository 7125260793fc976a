using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ImageOperator.IntegrationTests.Distribution;

/// <summary>
/// YAML read into maps (<see cref="SortedDictionary{TKey,TValue}"/>, ordinal keys), lists and typed scalars (plain
/// <c>true</c>/<c>2</c>/<c>null</c> become bool/long/null; quoted text stays a string), for assertions on manifests
/// and values, and written back with <see cref="Emit"/> in one canonical form (sorted keys, block style).
/// </summary>
internal static partial class YamlMaps
{
    /// <summary>Reads the first document of <paramref name="yaml"/>; an empty document is an empty map.</summary>
    public static SortedDictionary<string, object?> ParseMap(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        if (stream.Documents.Count == 0)
        {
            return new(StringComparer.Ordinal);
        }

        return Convert(stream.Documents[0].RootNode) as SortedDictionary<string, object?>
            ?? throw new InvalidDataException("the YAML document is not a map");
    }

    /// <summary>Merges <paramref name="overrides"/> into <paramref name="values"/> as helm merges values files: maps key by key, anything else (lists included) replaced.</summary>
    public static void Merge(IDictionary<string, object?> values, IDictionary<string, object?> overrides)
    {
        foreach (var (key, value) in overrides)
        {
            if (value is IDictionary<string, object?> child && values.TryGetValue(key, out var existing) && existing is IDictionary<string, object?> target)
            {
                Merge(target, child);
            }
            else
            {
                values[key] = value;
            }
        }
    }

    /// <summary>Block-style YAML of <paramref name="value"/>, ending with a newline.</summary>
    public static string Emit(object? value)
    {
        var builder = new StringBuilder();
        Write(builder, value, 0);
        return builder.ToString();
    }

    private static object? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new SortedDictionary<string, object?>(
            map.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value ?? "", p => Convert(p.Value)), StringComparer.Ordinal),
        YamlSequenceNode list => list.Children.Select(Convert).ToList(),
        YamlScalarNode { Style: ScalarStyle.Plain } scalar => Resolve(scalar.Value ?? ""),
        YamlScalarNode scalar => scalar.Value ?? "",
        _ => throw new InvalidDataException($"unsupported YAML node {node.NodeType}"),
    };

    private static object? Resolve(string plain) => plain switch
    {
        "" or "~" or "null" or "Null" or "NULL" => null,
        "true" or "True" or "TRUE" => true,
        "false" or "False" or "FALSE" => false,
        _ when IntegerPattern().IsMatch(plain) => long.Parse(plain, CultureInfo.InvariantCulture),
        _ when FloatPattern().IsMatch(plain) => double.Parse(plain, CultureInfo.InvariantCulture),
        _ => plain,
    };

    private static void Write(StringBuilder builder, object? value, int indent)
    {
        var pad = new string(' ', indent);
        switch (value)
        {
            case IDictionary<string, object?> { Count: 0 }:
                builder.Append("{}\n");
                break;
            case IDictionary<string, object?> map:
                foreach (var (key, child) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    builder.Append(pad).Append(Scalar(key)).Append(':');
                    WriteChild(builder, child, indent + 2);
                }

                break;
            case IList<object?> { Count: 0 }:
                builder.Append("[]\n");
                break;
            case IList<object?> list:
                foreach (var item in list)
                {
                    builder.Append(pad).Append('-');
                    if (item is IDictionary<string, object?> { Count: > 0 } itemMap)
                    {
                        // "- key: value" with the next keys aligned under the first.
                        var nested = new StringBuilder();
                        Write(nested, itemMap, indent + 2);
                        builder.Append(' ').Append(nested.ToString().AsSpan(indent + 2));
                    }
                    else
                    {
                        WriteChild(builder, item, indent + 2);
                    }
                }

                break;
            default:
                builder.Append(pad).Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static void WriteChild(StringBuilder builder, object? child, int indent)
    {
        if (child is IDictionary<string, object?> { Count: > 0 } or IList<object?> { Count: > 0 })
        {
            builder.Append('\n');
            Write(builder, child, indent);
        }
        else
        {
            builder.Append(' ');
            Write(builder, child, 0);
        }
    }

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString(CultureInfo.InvariantCulture),
        string s when NeedsQuotes(s) => System.Text.Json.JsonSerializer.Serialize(s),
        string s => s,
        _ => throw new InvalidOperationException($"cannot write a {value.GetType().Name} as YAML"),
    };

    private static bool NeedsQuotes(string s) => !PlainPattern().IsMatch(s) || Resolve(s) is not string;

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_/][A-Za-z0-9_./@-]*( [A-Za-z0-9_./@-]+)*$")]
    private static partial Regex PlainPattern();
}
