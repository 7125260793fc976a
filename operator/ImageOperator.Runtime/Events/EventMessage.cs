using System.Text.RegularExpressions;

namespace ImageOperator.Runtime.Events;

/// <summary>
/// Makes text safe for Events, status and logs: pre-signed and pre-authenticated URLs are secrets, so the query
/// string of every URL (where signatures and credentials live) and any stray signature parameter are replaced
/// by <c>REDACTED</c>.
/// </summary>
public static partial class EventMessage
{
    /// <summary>Upper bound of an event message (the API server stores longer ones, but kubectl output becomes useless).</summary>
    public const int MaxLength = 1024;

    private const string Redacted = "REDACTED";

    /// <summary>Redacts secrets in <paramref name="message"/> and truncates it to <see cref="MaxLength"/>.</summary>
    public static string Sanitize(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var redacted = SignatureParameter().Replace(UrlQuery().Replace(message, $"${{url}}?{Redacted}"), $"${{name}}={Redacted}");
        return redacted.Length <= MaxLength ? redacted : string.Concat(redacted.AsSpan(0, MaxLength - 1), "…");
    }

    [GeneratedRegex(@"(?<url>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s?#""'<>]+)\?[^\s""'<>]*")]
    private static partial Regex UrlQuery();

    [GeneratedRegex(@"(?<name>(?i:x-amz-signature|x-amz-credential|x-amz-security-token|signature|awsaccesskeyid|sig))=[^&\s""'<>]+")]
    private static partial Regex SignatureParameter();
}
