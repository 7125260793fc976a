using System.Text.RegularExpressions;

namespace ImageOperator.Webhooks;

/// <summary>
/// SPEC §8: users should keep confidential information out of image names. Names are visible to everyone who can
/// list images, so a name that looks like it holds an e-mail address, a key or a password draws a warning.
/// </summary>
public static partial class ConfidentialNameRules
{
    /// <summary>Warns when <paramref name="name"/> (at <paramref name="field"/>) looks like it holds confidential data.</summary>
    public static void Check(AdmissionFindings findings, string field, string? name)
    {
        ArgumentNullException.ThrowIfNull(findings);
        if (string.IsNullOrEmpty(name) || Describe(name) is not { } what)
        {
            return;
        }

        findings.Warn(field, $"looks like it contains {what}; names are visible to everyone who can list images, keep confidential information out of them");
    }

    /// <summary>What confidential-looking content <paramref name="name"/> holds, or null.</summary>
    public static string? Describe(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (EmailAddress().IsMatch(name))
        {
            return "an e-mail address";
        }

        if (AccessKeyId().IsMatch(name) || PrivateKeyMarker().IsMatch(name))
        {
            return "an access key";
        }

        if (PasswordAssignment().IsMatch(name))
        {
            return "a password or secret";
        }

        return KeyLikeRun().Matches(name).Any(m => LooksRandom(m.Value)) ? "a key-like string" : null;
    }

    /// <summary>
    /// A long run of letters and digits is key-like when it switches between lower case, upper case and digits as
    /// often as generated secrets do (at least every other character) and holds digits, unlike CamelCase words such as
    /// <c>WindowsServer2019Datacenter</c>; or when it is a long hexadecimal digest.
    /// </summary>
    private static bool LooksRandom(string run)
    {
        if (run.Length >= 32 && run.All(char.IsAsciiHexDigit) && run.Any(char.IsAsciiDigit) && run.Any(char.IsAsciiLetter))
        {
            return true;
        }

        var switches = 0;
        for (var i = 1; i < run.Length; i++)
        {
            switches += Class(run[i]) != Class(run[i - 1]) ? 1 : 0;
        }

        return switches * 2 >= run.Length && run.Count(char.IsAsciiDigit) >= 2;
    }

    private static int Class(char c) => char.IsAsciiLetterLower(c) ? 0 : char.IsAsciiLetterUpper(c) ? 1 : char.IsAsciiDigit(c) ? 2 : 3;

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex EmailAddress();

    [GeneratedRegex(@"\b(AKIA|ASIA)[0-9A-Z]{16}\b", RegexOptions.CultureInvariant)]
    private static partial Regex AccessKeyId();

    [GeneratedRegex(@"-----BEGIN|ssh-(rsa|ed25519|dss)|ecdsa-sha2-", RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKeyMarker();

    [GeneratedRegex(@"(password|passwd|pwd|secret|token|api[-_]?key)\s*[:=]", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex PasswordAssignment();

    [GeneratedRegex(@"[A-Za-z0-9+/_]{20,}", RegexOptions.CultureInvariant)]
    private static partial Regex KeyLikeRun();
}
