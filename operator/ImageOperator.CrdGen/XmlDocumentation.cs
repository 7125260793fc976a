using System.Reflection;
using System.Text;
using System.Xml.Linq;

namespace ImageOperator.CrdGen;

/// <summary>
/// Reads the <c>&lt;summary&gt;</c> of types and properties from the XML documentation files the compiler writes
/// next to each assembly (<c>GenerateDocumentationFile</c>). The summaries become the CRD descriptions that
/// <c>kubectl explain</c> shows.
/// </summary>
public sealed class XmlDocumentation
{
    private readonly Dictionary<Assembly, Dictionary<string, XElement>> _members = [];

    /// <summary>The one-line summary of a type, or null when it has none.</summary>
    public string? Summary(Type type) => Summary(type.Assembly, "T:" + DocumentationName(type));

    /// <summary>The one-line summary of a property, or null when it has none.</summary>
    public string? Summary(PropertyInfo property) =>
        Summary(property.DeclaringType!.Assembly, "P:" + DocumentationName(property.DeclaringType) + "." + property.Name);

    private string? Summary(Assembly assembly, string id) => Render(Members(assembly).GetValueOrDefault(id)?.Element("summary"));

    private Dictionary<string, XElement> Members(Assembly assembly)
    {
        if (!_members.TryGetValue(assembly, out var members))
        {
            var path = Path.ChangeExtension(assembly.Location, ".xml");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"No XML documentation for {assembly.GetName().Name}; build it with GenerateDocumentationFile.", path);
            }

            members = XDocument.Load(path).Descendants("member")
                .ToDictionary(m => (string)m.Attribute("name")!, m => m, StringComparer.Ordinal);
            _members[assembly] = members;
        }

        return members;
    }

    // Generic definitions are documented once: CustomResource`2, not CustomResource<CustomImageSpec, ...>.
    private static string DocumentationName(Type type)
    {
        if (type.IsConstructedGenericType)
        {
            type = type.GetGenericTypeDefinition();
        }

        return type.FullName!.Replace('+', '.');
    }

    // Flattens a summary to one line: <c>x</c> and text stay, <see cref="T:A.B"/> becomes B, <see langword="null"/>
    // becomes null, and runs of whitespace (the comment's line breaks and indentation) become one space.
    private static string? Render(XElement? summary)
    {
        if (summary is null)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var node in summary.DescendantNodes())
        {
            switch (node)
            {
                case XText textNode:
                    text.Append(textNode.Value);
                    break;
                case XElement { Name.LocalName: "see" or "seealso" or "paramref" or "typeparamref" } reference:
                    var target = (string?)reference.Attribute("cref") ?? (string?)reference.Attribute("langword")
                        ?? (string?)reference.Attribute("name") ?? "";
                    text.Append(reference.IsEmpty ? target[(target.LastIndexOf('.') + 1)..] : "");
                    break;
            }
        }

        var flattened = string.Join(' ', text.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flattened.Length == 0 ? null : flattened;
    }
}
