using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class OperatingSystemRulesTests
{
    [Theory]
    [InlineData(GuestOperatingSystem.OracleLinux, "6")]
    [InlineData(GuestOperatingSystem.OracleLinux, "7.9")]
    [InlineData(GuestOperatingSystem.OracleLinux, "9.3")]
    [InlineData(GuestOperatingSystem.OracleLinuxCloudDeveloper, "8")]
    [InlineData(GuestOperatingSystem.CentOS, "7")]
    [InlineData(GuestOperatingSystem.CentOSStream, "8")]
    [InlineData(GuestOperatingSystem.Ubuntu, "18.04")]
    [InlineData(GuestOperatingSystem.Ubuntu, "22.04")]
    public void Importable_linux_releases_are_accepted_without_warnings(GuestOperatingSystem os, string version)
    {
        var findings = new AdmissionFindings();

        var release = OperatingSystemRules.Check(findings, "spec", os, version, null, imported: true, requireLicenseAttestation: true);

        release.Should().NotBeNull();
        findings.Violations.Should().BeEmpty();
        findings.Warnings.Should().BeEmpty();
    }

    [Theory]
    [InlineData(GuestOperatingSystem.Ubuntu, "16.04", "spec.operatingSystemVersion: '16.04' is not a supported Ubuntu version (the version must be one that supports import and export); use one of '18.04', '20.04', '22.04'")]
    [InlineData(GuestOperatingSystem.OracleLinux, "5.11", "spec.operatingSystemVersion: '5.11' is not a supported Oracle Linux version")]
    [InlineData(GuestOperatingSystem.CentOS, "8", "spec.operatingSystemVersion: '8' is not a supported CentOS version")]
    [InlineData(GuestOperatingSystem.Windows, "Server 2019", "spec.operatingSystemVersion: 'Server 2019' is not a supported Windows version (a Windows image must name its exact version and edition (Standard or Datacenter))")]
    [InlineData(GuestOperatingSystem.Windows, "Server 2008 Standard", "spec.operatingSystemVersion: 'Server 2008 Standard' is not a supported Windows version")]
    [InlineData(GuestOperatingSystem.Windows, "Server 2022 Enterprise", "use one of 'Server 2012 Standard', 'Server 2012 Datacenter'")]
    [InlineData(GuestOperatingSystem.OracleAutonomousLinux, "7", "spec.operatingSystem: Oracle Autonomous Linux 7 images cannot be imported or exported (platform images only)")]
    [InlineData(GuestOperatingSystem.Ubuntu, "", "spec.operatingSystemVersion: required: name the Ubuntu version, one of '18.04', '20.04', '22.04'")]
    public void Unsupported_versions_are_denied_naming_the_field_and_the_rule(GuestOperatingSystem os, string version, string expected)
    {
        var findings = new AdmissionFindings();

        OperatingSystemRules.Check(findings, "spec", os, version, null, imported: true, requireLicenseAttestation: true);

        findings.Violations.Should().ContainSingle().Which.Should().Contain(expected);
    }

    [Fact]
    public void A_missing_operating_system_is_denied()
    {
        var findings = new AdmissionFindings();

        OperatingSystemRules.Check(findings, "spec", null, null, null, imported: true, requireLicenseAttestation: true);

        findings.Violations.Should().Equal("spec.operatingSystem: required: the source carries no operating system, so name it");
    }

    [Fact]
    public void Platform_only_releases_are_fine_in_the_catalogue()
    {
        var findings = new AdmissionFindings();

        OperatingSystemRules.Check(findings, "spec", GuestOperatingSystem.OracleAutonomousLinux, "7.9", null, imported: false, requireLicenseAttestation: true);

        findings.Violations.Should().BeEmpty();
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public void Windows_without_licence_certification_is_denied(bool? compliant)
    {
        var findings = new AdmissionFindings();
        var attestation = compliant is { } value ? new LicenseAttestation { WindowsLicenseCompliant = value } : null;

        OperatingSystemRules.Check(findings, "spec", GuestOperatingSystem.Windows, "Server 2016 Standard", attestation, imported: true, requireLicenseAttestation: true);

        findings.Violations.Should().Equal(
            "spec.licenseAttestation.windowsLicenseCompliant: must be true: importing a Windows image requires certifying that the chosen version and edition comply with the Microsoft licence terms");
    }

    [Fact]
    public void Windows_imports_warn_about_RealTimeIsUniversal_and_sysprep()
    {
        var findings = new AdmissionFindings();

        var release = OperatingSystemRules.Check(findings, "spec", GuestOperatingSystem.Windows, "Server 2012 R2 Datacenter",
            new LicenseAttestation { WindowsLicenseCompliant = true }, imported: true, requireLicenseAttestation: true);

        release!.Edition.Should().Be(WindowsEdition.Datacenter);
        findings.Violations.Should().BeEmpty();
        findings.Warnings.Should().Equal(
            "spec.operatingSystem: " + OperatingSystemRules.RealTimeIsUniversalWarning,
            "spec.operatingSystem: " + OperatingSystemRules.SysprepWarning);
    }
}
