using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using Xunit;

namespace ImageOperator.Tests.Api;

public sealed class OperatingSystemsTests
{
    [Theory]
    [InlineData(GuestOperatingSystem.OracleLinux, "6", "6")]
    [InlineData(GuestOperatingSystem.OracleLinux, "7.9", "7")]
    [InlineData(GuestOperatingSystem.OracleLinux, "9.10", "9")]
    [InlineData(GuestOperatingSystem.OracleLinuxCloudDeveloper, "8.7", "8")]
    [InlineData(GuestOperatingSystem.CentOS, "7", "7")]
    [InlineData(GuestOperatingSystem.CentOSStream, "8", "8")]
    [InlineData(GuestOperatingSystem.Ubuntu, "18.04", "18.04")]
    [InlineData(GuestOperatingSystem.Ubuntu, "22.04", "22.04")]
    [InlineData(GuestOperatingSystem.Windows, "Server 2012 R2 Standard", "Server 2012 R2")]
    public void Resolves_supported_versions(GuestOperatingSystem os, string version, string release)
    {
        var resolved = OperatingSystems.Resolve(os, version);

        resolved.Should().NotBeNull();
        resolved!.Release.Release.Should().Be(release);
        resolved.Release.SupportsImportExport.Should().BeTrue();
    }

    [Theory]
    [InlineData(GuestOperatingSystem.OracleLinux, "5.11")]
    [InlineData(GuestOperatingSystem.OracleLinux, "8.")]
    [InlineData(GuestOperatingSystem.OracleLinux, "8.x")]
    [InlineData(GuestOperatingSystem.OracleLinux, "8.9a")]
    [InlineData(GuestOperatingSystem.OracleLinux, "80")]
    [InlineData(GuestOperatingSystem.CentOSStream, "8.2")]
    [InlineData(GuestOperatingSystem.CentOSStream, "9")]
    [InlineData(GuestOperatingSystem.Ubuntu, "22.10")]
    [InlineData(GuestOperatingSystem.Ubuntu, "22")]
    [InlineData(GuestOperatingSystem.Windows, "Server 2019")]
    [InlineData(GuestOperatingSystem.Windows, "Server 2019 Enterprise")]
    [InlineData(GuestOperatingSystem.Windows, "Server 2008 Standard")]
    [InlineData(GuestOperatingSystem.Windows, "server 2019 standard")]
    public void Refuses_unknown_versions(GuestOperatingSystem os, string version) =>
        OperatingSystems.Resolve(os, version).Should().BeNull();

    [Fact]
    public void Windows_versions_name_an_edition()
    {
        var resolved = OperatingSystems.Resolve(GuestOperatingSystem.Windows, "Server 2022 Datacenter");

        resolved!.Edition.Should().Be(WindowsEdition.Datacenter);
        OperatingSystems.Resolve(GuestOperatingSystem.Ubuntu, "20.04")!.Edition.Should().BeNull();
    }

    [Fact]
    public void Every_windows_release_of_the_spec_exists_in_both_editions()
    {
        OperatingSystems.ReleasesOf(GuestOperatingSystem.Windows).SelectMany(r => r.AcceptedVersions).Should().BeEquivalentTo(
            "Server 2012 Standard", "Server 2012 Datacenter", "Server 2012 R2 Standard", "Server 2012 R2 Datacenter",
            "Server 2016 Standard", "Server 2016 Datacenter", "Server 2019 Standard", "Server 2019 Datacenter",
            "Server 2022 Standard", "Server 2022 Datacenter");
    }

    [Fact]
    public void Oracle_autonomous_linux_is_known_but_not_importable()
    {
        var resolved = OperatingSystems.Resolve(GuestOperatingSystem.OracleAutonomousLinux, "7.9");

        resolved!.Release.SupportsImportExport.Should().BeFalse();
    }

    [Fact]
    public void Every_family_has_releases_and_only_windows_is_windows()
    {
        foreach (var os in Enum.GetValues<GuestOperatingSystem>())
        {
            OperatingSystems.ReleasesOf(os).Should().NotBeEmpty(os.ToString());
            OperatingSystems.IsWindows(os).Should().Be(os == GuestOperatingSystem.Windows);
        }
    }

    [Fact]
    public void Accepted_versions_describe_minor_versions()
    {
        OperatingSystems.Resolve(GuestOperatingSystem.OracleLinux, "8")!.Release.AcceptedVersions.Should().Equal("8", "8.x");
        OperatingSystems.Resolve(GuestOperatingSystem.Ubuntu, "18.04")!.Release.AcceptedVersions.Should().Equal("18.04");
    }
}
