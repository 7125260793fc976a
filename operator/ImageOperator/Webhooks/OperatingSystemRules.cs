using ImageOperator.Api.V1Alpha1;

namespace ImageOperator.Webhooks;

/// <summary>
/// SPEC §4: the operating system and version must be one that supports import and export; Windows needs an exact
/// version and edition (Standard or Datacenter) and the user's licence certification, and imported Windows images
/// get warnings about the RealTimeIsUniversal registry value and sysprep.
/// </summary>
public static class OperatingSystemRules
{
    /// <summary>Warning given for every imported Windows image (its clock drifts after a reboot without the value).</summary>
    public const string RealTimeIsUniversalWarning =
        "Windows images need the registry value RealTimeIsUniversal (DWORD 1 under HKLM\\SYSTEM\\CurrentControlSet\\Control\\TimeZoneInformation) or their clock drifts after a reboot; platform images have it, imported ones may not";

    /// <summary>Warning given for every imported Windows image.</summary>
    public const string SysprepWarning =
        "a Windows image that is not an official platform image must have been generalized with sysprep before export";

    /// <summary>Warning given for every image that is not an official platform image.</summary>
    public const string UnofficialImageWarning =
        "the image is not an official platform image: it may carry a root password or SSH keys of whoever built it; remove them before sharing the image";

    /// <summary>
    /// Checks <paramref name="operatingSystem"/> and <paramref name="version"/> (fields <c>{prefix}.operatingSystem</c>
    /// and <c>{prefix}.operatingSystemVersion</c>) and, for Windows, <c>{prefix}.licenseAttestation</c>.
    /// </summary>
    /// <param name="findings">Receives violations and warnings.</param>
    /// <param name="prefix">Field path of the object holding the fields, e.g. <c>spec</c>.</param>
    /// <param name="operatingSystem">The family.</param>
    /// <param name="version">The version string.</param>
    /// <param name="licenseAttestation">The licence certification.</param>
    /// <param name="imported">
    /// True for an import: the release must support import and export, a Windows image needs the licence
    /// certification and draws the RealTimeIsUniversal and sysprep warnings. False for an image of the catalogue
    /// (platform releases such as Oracle Autonomous Linux are fine there).
    /// </param>
    /// <param name="requireLicenseAttestation">Whether a Windows image must carry the licence certification.</param>
    /// <returns>The resolved release, or null when it is missing or unknown (a violation was recorded).</returns>
    public static ResolvedOperatingSystemVersion? Check(
        AdmissionFindings findings,
        string prefix,
        GuestOperatingSystem? operatingSystem,
        string? version,
        LicenseAttestation? licenseAttestation,
        bool imported,
        bool requireLicenseAttestation)
    {
        ArgumentNullException.ThrowIfNull(findings);
        if (operatingSystem is not { } family)
        {
            findings.Deny($"{prefix}.operatingSystem", "required: the source carries no operating system, so name it");
            return null;
        }

        if (string.IsNullOrEmpty(version))
        {
            findings.Deny($"{prefix}.operatingSystemVersion", $"required: name the {Name(family)} version, one of {Accepted(family)}");
            return null;
        }

        var resolved = OperatingSystems.Resolve(family, version);
        if (resolved is null)
        {
            var rule = OperatingSystems.IsWindows(family)
                ? "a Windows image must name its exact version and edition (Standard or Datacenter)"
                : "the version must be one that supports import and export";
            findings.Deny($"{prefix}.operatingSystemVersion", $"'{version}' is not a supported {Name(family)} version ({rule}); use one of {Accepted(family)}");
            return null;
        }

        if (imported && !resolved.Release.SupportsImportExport)
        {
            findings.Deny($"{prefix}.operatingSystem", $"{Name(family)} {resolved.Release.Release} images cannot be imported or exported (platform images only)");
        }

        if (OperatingSystems.IsWindows(family))
        {
            if (requireLicenseAttestation && licenseAttestation is not { WindowsLicenseCompliant: true })
            {
                findings.Deny($"{prefix}.licenseAttestation.windowsLicenseCompliant",
                    "must be true: importing a Windows image requires certifying that the chosen version and edition comply with the Microsoft licence terms");
            }

            if (imported)
            {
                findings.Warn($"{prefix}.operatingSystem", RealTimeIsUniversalWarning);
                findings.Warn($"{prefix}.operatingSystem", SysprepWarning);
            }
        }

        return resolved;
    }

    /// <summary>The catalogue's display name of a family (the value written in manifests).</summary>
    public static string Name(GuestOperatingSystem family) => family switch
    {
        GuestOperatingSystem.OracleLinux => "Oracle Linux",
        GuestOperatingSystem.OracleLinuxCloudDeveloper => "Oracle Linux Cloud Developer",
        GuestOperatingSystem.OracleAutonomousLinux => "Oracle Autonomous Linux",
        GuestOperatingSystem.CentOSStream => "CentOS Stream",
        _ => family.ToString(),
    };

    private static string Accepted(GuestOperatingSystem family) =>
        string.Join(", ", OperatingSystems.ReleasesOf(family).Where(r => r.SupportsImportExport).SelectMany(r => r.AcceptedVersions).Select(v => $"'{v}'"));
}
