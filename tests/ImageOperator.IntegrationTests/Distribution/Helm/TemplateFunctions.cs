using System.Collections;
using System.Globalization;
using System.Text;

namespace ImageOperator.IntegrationTests.Distribution.Helm;

/// <summary>
/// The functions of the supported subset, with Helm's (sprig's) semantics: <c>include</c>, <c>quote</c>,
/// <c>default</c>, <c>toYaml</c>, <c>nindent</c>, <c>indent</c>, <c>b64enc</c>, <c>not</c>, <c>and</c>, <c>or</c>,
/// <c>eq</c>. In a pipeline the previous stage's value is passed as the last argument.
/// </summary>
internal static class TemplateFunctions
{
    private static readonly HashSet<string> Known = ["include", "quote", "default", "toYaml", "nindent", "indent", "b64enc", "not", "and", "or", "eq"];

    /// <summary>Whether <paramref name="name"/> is a function of the subset.</summary>
    public static bool IsKnown(string name) => Known.Contains(name);

    /// <summary>Calls a function other than <c>include</c> (which the renderer handles, as it needs the templates).</summary>
    public static object? Call(string name, IReadOnlyList<object?> arguments) => (name, Arity(name, arguments)) switch
    {
        ("quote", _) => string.Join(' ', arguments.Select(a => Quote(Print(a)))),
        ("default", 2) => IsTrue(arguments[1]) ? arguments[1] : arguments[0],
        ("toYaml", 1) => ValuesYaml.Emit(arguments[0]).TrimEnd('\n'),
        ("nindent", 2) => "\n" + Indent(Int(arguments[0]), Print(arguments[1])),
        ("indent", 2) => Indent(Int(arguments[0]), Print(arguments[1])),
        ("b64enc", 1) => Convert.ToBase64String(Encoding.UTF8.GetBytes(Print(arguments[0]))),
        ("not", 1) => !IsTrue(arguments[0]),
        ("and", > 0) => arguments.FirstOrDefault(a => !IsTrue(a), arguments[^1]),
        ("or", > 0) => arguments.FirstOrDefault(IsTrue, arguments[^1]),
        ("eq", 2) => Equals(arguments[0], arguments[1]),
        _ => throw new InvalidOperationException($"{name} does not take {arguments.Count} argument(s)"),
    };

    /// <summary>Go's truth: false, 0, nil, and empty strings, lists and maps are false.</summary>
    public static bool IsTrue(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        long l => l != 0,
        double d => d != 0,
        ICollection c => c.Count > 0,
        _ => true,
    };

    /// <summary>How <c>{{ value }}</c> prints a value (a missing value prints nothing, as Helm does).</summary>
    public static string Print(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString(CultureInfo.InvariantCulture),
        string s => s,
        _ => throw new InvalidOperationException($"cannot print a {value.GetType().Name} directly; use toYaml"),
    };

    private static int Arity(string name, IReadOnlyList<object?> arguments) =>
        Known.Contains(name) ? arguments.Count : throw new InvalidOperationException($"unknown function '{name}'");

    private static int Int(object? value) => value is long l ? (int)l : throw new InvalidOperationException($"expected a number, got '{value}'");

    private static string Indent(int spaces, string text)
    {
        var pad = new string(' ', spaces);
        return pad + text.Replace("\n", "\n" + pad, StringComparison.Ordinal);
    }

    /// <summary>Go's %q quoting (JSON escaping coincides for the characters a chart holds).</summary>
    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text, QuoteOptions);

    private static readonly System.Text.Json.JsonSerializerOptions QuoteOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
