using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace ImageOperator.Configuration;

/// <summary>
/// Reads an operator configuration file written in YAML (or JSON, which is YAML) into configuration keys:
/// mappings become <c>a:b</c> paths and sequences <c>a:0</c>, <c>a:1</c>, as the JSON provider does.
/// </summary>
internal static class YamlConfigurationFile
{
    /// <summary>Loads <paramref name="path"/>; an empty file yields no keys.</summary>
    /// <exception cref="InvalidDataException">The file is not valid YAML or its root is not a mapping.</exception>
    public static IReadOnlyDictionary<string, string?> Load(string path)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = File.OpenText(path);
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"configuration file {path} is not valid YAML: {e.Message}", e);
        }

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (stream.Documents.Count == 0)
        {
            return values;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InvalidDataException($"configuration file {path} must hold a mapping at its root");
        }

        Flatten(root, null, values);
        return values;
    }

    private static void Flatten(YamlNode node, string? prefix, Dictionary<string, string?> values)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, child) in mapping.Children)
                {
                    var name = ((YamlScalarNode)key).Value ?? "";
                    Flatten(child, prefix is null ? name : $"{prefix}:{name}", values);
                }

                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Flatten(sequence.Children[i], $"{prefix}:{i.ToString(CultureInfo.InvariantCulture)}", values);
                }

                break;
            case YamlScalarNode scalar when prefix is not null:
                values[prefix] = scalar.Value;
                break;
        }
    }
}
