using System.Text;
using System.Text.Json;
using ImageOperator.Api.V1Alpha1;
using k8s;

namespace ImageOperator.Webhooks;

/// <summary>
/// Every string a user writes in a spec (names, display names, tag keys and values, ...) is shown as it is by
/// <c>kubectl</c>, dashboards and logs: control characters (C0, DEL, C1) could drive a terminal, and bidirectional
/// overrides could make one name read as another. Both are refused, with the field and the code point named. Tag
/// limits the schema cannot say (key lengths, the count of free-form and defined tags together) are checked too.
/// </summary>
public static class TextRules
{
    /// <summary>Denies, under <paramref name="field"/>, every string and map key of <paramref name="spec"/> holding a control character or a bidirectional override.</summary>
    public static void CheckStrings<T>(AdmissionFindings findings, string field, T spec)
    {
        ArgumentNullException.ThrowIfNull(findings);
        using var document = JsonDocument.Parse(KubernetesJson.Serialize(spec));
        Walk(findings, field, document.RootElement);
    }

    /// <summary>Denies tag sets over the limits of <see cref="Limits"/>: key lengths, and the count of all tags.</summary>
    public static void CheckTags(AdmissionFindings findings, string field, IDictionary<string, string> freeformTags, IDictionary<string, IDictionary<string, string>> definedTags)
    {
        ArgumentNullException.ThrowIfNull(findings);
        ArgumentNullException.ThrowIfNull(freeformTags);
        ArgumentNullException.ThrowIfNull(definedTags);
        CheckKeys(findings, $"{field}.freeformTags", freeformTags.Keys, "tag key");
        CheckKeys(findings, $"{field}.definedTags", definedTags.Keys, "tag namespace");
        foreach (var (tagNamespace, tags) in definedTags)
        {
            CheckKeys(findings, $"{field}.definedTags{Member(tagNamespace)}", tags.Keys, "tag key");
        }

        var count = freeformTags.Count + definedTags.Values.Sum(tags => tags.Count);
        if (count > Limits.MaxTags)
        {
            findings.Deny(field, $"has {count} tags (freeformTags and definedTags together); at most {Limits.MaxTags} are allowed");
        }
    }

    /// <summary>Why <paramref name="text"/> may not be shown as it is, or null: its first control character or bidirectional override.</summary>
    public static string? Problem(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsControl(rune))
            {
                return $"contains the control character U+{rune.Value:X4}; text is shown as it is, so control characters are refused";
            }

            if (rune.Value is (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069))
            {
                return $"contains the bidirectional override U+{rune.Value:X4}, which makes text read differently from what it is; it is refused";
            }
        }

        return null;
    }

    private static void Walk(AdmissionFindings findings, string path, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var child = path + Member(property.Name);
                    if (Problem(property.Name) is { } keyProblem)
                    {
                        findings.Deny(child, "the key " + keyProblem);
                    }

                    Walk(findings, child, property.Value);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(findings, $"{path}[{index++}]", item);
                }

                break;
            case JsonValueKind.String when Problem(element.GetString()!) is { } problem:
                findings.Deny(path, problem);
                break;
        }
    }

    private static void CheckKeys(AdmissionFindings findings, string field, IEnumerable<string> keys, string what)
    {
        foreach (var key in keys.Where(k => k.Length > Limits.MaxTagKeyLength))
        {
            findings.Deny(field + Member(key), $"the {what} has {key.Length} characters; at most {Limits.MaxTagKeyLength} are allowed");
        }
    }

    // Schema fields read as .name; map keys that are no plain identifier as ["key"], escaped so that the message itself stays plain text.
    private static string Member(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            ? "." + name
            : "[" + JsonSerializer.Serialize(name.Length > 40 ? name[..40] + "…" : name) + "]";
}
