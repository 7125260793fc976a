namespace ImageOperator.Api.V1Alpha1;

/// <summary>Edition of a Windows Server release.</summary>
public enum WindowsEdition
{
    /// <summary>Standard edition.</summary>
    Standard,

    /// <summary>Datacenter edition.</summary>
    Datacenter,
}

/// <summary>
/// One release of an operating system, for example Oracle Linux 8 or Windows Server 2016.
/// </summary>
/// <param name="OperatingSystem">The family.</param>
/// <param name="Release">The release as written in <c>operatingSystemVersion</c>, for example <c>8</c>, <c>22.04</c> or <c>Server 2012 R2</c>.</param>
/// <param name="AcceptsMinorVersions">Whether <c>&lt;release&gt;.&lt;minor&gt;</c> (such as <c>8.9</c>) also names this release.</param>
/// <param name="SupportsImportExport">Whether images of this release may be imported and exported.</param>
public sealed record OperatingSystemRelease(
    GuestOperatingSystem OperatingSystem,
    string Release,
    bool AcceptsMinorVersions,
    bool SupportsImportExport)
{
    /// <summary>Editions a version must name (Windows), or none.</summary>
    public IReadOnlyList<WindowsEdition> Editions { get; init; } = [];

    /// <summary>How the accepted version strings look, for error messages (for example <c>8.x</c>).</summary>
    public IEnumerable<string> AcceptedVersions =>
        Editions.Count > 0 ? Editions.Select(e => $"{Release} {e}")
        : AcceptsMinorVersions ? [Release, Release + ".x"]
        : [Release];
}

/// <summary>A version string resolved against the catalogue.</summary>
/// <param name="Release">The release it names.</param>
/// <param name="Edition">The Windows edition it names, if any.</param>
public sealed record ResolvedOperatingSystemVersion(OperatingSystemRelease Release, WindowsEdition? Edition);

/// <summary>
/// The catalogue of operating systems the operator knows: those that support import and export (Oracle Linux
/// 6 to 9, Oracle Linux Cloud Developer 8, CentOS 7, CentOS Stream 8, Ubuntu 18.04/20.04/22.04, Windows Server
/// 2012 to 2022 in Standard and Datacenter editions) and platform-only ones such as Oracle Autonomous Linux 7.
/// </summary>
public static class OperatingSystems
{
    private static readonly WindowsEdition[] WindowsEditions = [WindowsEdition.Standard, WindowsEdition.Datacenter];

    /// <summary>Every known release, grouped by family.</summary>
    public static IReadOnlyList<OperatingSystemRelease> Releases { get; } =
    [
        Linux(GuestOperatingSystem.OracleLinux, "6"),
        Linux(GuestOperatingSystem.OracleLinux, "7"),
        Linux(GuestOperatingSystem.OracleLinux, "8"),
        Linux(GuestOperatingSystem.OracleLinux, "9"),
        Linux(GuestOperatingSystem.OracleLinuxCloudDeveloper, "8"),
        new(GuestOperatingSystem.OracleAutonomousLinux, "7", AcceptsMinorVersions: true, SupportsImportExport: false),
        Linux(GuestOperatingSystem.CentOS, "7"),
        new(GuestOperatingSystem.CentOSStream, "8", AcceptsMinorVersions: false, SupportsImportExport: true),
        new(GuestOperatingSystem.Ubuntu, "18.04", AcceptsMinorVersions: false, SupportsImportExport: true),
        new(GuestOperatingSystem.Ubuntu, "20.04", AcceptsMinorVersions: false, SupportsImportExport: true),
        new(GuestOperatingSystem.Ubuntu, "22.04", AcceptsMinorVersions: false, SupportsImportExport: true),
        Windows("Server 2012"),
        Windows("Server 2012 R2"),
        Windows("Server 2016"),
        Windows("Server 2019"),
        Windows("Server 2022"),
    ];

    /// <summary>Whether the family is Windows (licence attestation, RealTimeIsUniversal, v3 processor rules).</summary>
    public static bool IsWindows(GuestOperatingSystem operatingSystem) =>
        operatingSystem == GuestOperatingSystem.Windows;

    /// <summary>The releases of one family.</summary>
    public static IEnumerable<OperatingSystemRelease> ReleasesOf(GuestOperatingSystem operatingSystem) =>
        Releases.Where(r => r.OperatingSystem == operatingSystem);

    /// <summary>
    /// Resolves <paramref name="version"/> (for example <c>7.9</c>, <c>22.04</c> or
    /// <c>Server 2019 Datacenter</c>) against the releases of <paramref name="operatingSystem"/>.
    /// </summary>
    /// <returns>The release and edition, or null when the catalogue does not know the version.</returns>
    public static ResolvedOperatingSystemVersion? Resolve(GuestOperatingSystem operatingSystem, string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        foreach (var release in ReleasesOf(operatingSystem))
        {
            if (release.Editions.Count > 0)
            {
                foreach (var edition in release.Editions)
                {
                    if (version == $"{release.Release} {edition}")
                    {
                        return new(release, edition);
                    }
                }
            }
            else if (version == release.Release || (release.AcceptsMinorVersions && IsMinorOf(version, release.Release)))
            {
                return new(release, null);
            }
        }

        return null;
    }

    private static bool IsMinorOf(string version, string release) =>
        version.Length > release.Length + 1
        && version.StartsWith(release, StringComparison.Ordinal)
        && version[release.Length] == '.'
        && !version.AsSpan(release.Length + 1).ContainsAnyExceptInRange('0', '9');

    private static OperatingSystemRelease Linux(GuestOperatingSystem family, string major) =>
        new(family, major, AcceptsMinorVersions: true, SupportsImportExport: true);

    private static OperatingSystemRelease Windows(string release) =>
        new(GuestOperatingSystem.Windows, release, AcceptsMinorVersions: false, SupportsImportExport: true)
        {
            Editions = WindowsEditions,
        };
}
