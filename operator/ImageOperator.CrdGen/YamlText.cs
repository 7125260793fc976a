using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ImageOperator.CrdGen;

/// <summary>Writes a <see cref="YamlMap"/> tree as block-style YAML with stable formatting.</summary>
public static partial class YamlText
{
    /// <summary>Serialises <paramref name="document"/>, preceded by a comment line per entry of <paramref name="header"/>.</summary>
    public static string Write(YamlMap document, IEnumerable<string> header)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        foreach (var line in header)
        {
            writer.Write("# ");
            writer.Write(line);
            writer.Write('\n');
        }

        // Unlimited width: descriptions stay on one line instead of being folded at column 80.
        var emitter = new Emitter(writer, 2, int.MaxValue);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        WriteValue(emitter, document);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void WriteValue(IEmitter emitter, object value)
    {
        switch (value)
        {
            case YamlMap map:
                emitter.Emit(new MappingStart(null, null, true, map.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, item) in map)
                {
                    WriteString(emitter, key);
                    WriteValue(emitter, item);
                }

                emitter.Emit(new MappingEnd());
                break;
            case string text:
                WriteString(emitter, text);
                break;
            case bool flag:
                WritePlain(emitter, flag ? "true" : "false");
                break;
            case int or long:
                WritePlain(emitter, Convert.ToString(value, CultureInfo.InvariantCulture)!);
                break;
            case double number:
                WritePlain(emitter, number.ToString("R", CultureInfo.InvariantCulture));
                break;
            case System.Collections.IEnumerable list:
                var items = list.Cast<object>().ToList();
                emitter.Emit(new SequenceStart(null, null, true, items.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in items)
                {
                    WriteValue(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            default:
                throw new InvalidOperationException($"Cannot write a {value.GetType().Name} as YAML.");
        }
    }

    private static void WritePlain(IEmitter emitter, string text) =>
        emitter.Emit(new Scalar(null, null, text, ScalarStyle.Plain, true, false));

    // A plain scalar that a YAML 1.1 reader (the API server's sigs.k8s.io/yaml) would read as a boolean, null,
    // number or timestamp must be quoted, or an enum value like "True" or "8" would change type.
    private static void WriteString(IEmitter emitter, string text)
    {
        var style = LooksLikeNonString().IsMatch(text) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
        emitter.Emit(new Scalar(null, null, text, style, true, true));
    }

    [GeneratedRegex(@"^($|[-+.~0-9]|(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$)")]
    private static partial Regex LooksLikeNonString();
}
