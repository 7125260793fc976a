using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class HardwareGenerationMatrixTests
{
    [Theory]
    // Built on X5, used on X7.
    [InlineData(HardwareGeneration.X5, HardwareGeneration.X7, GuestOperatingSystem.Windows, "Server 2016 Standard", GenerationVerdict.Incompatible)]
    [InlineData(HardwareGeneration.X5, HardwareGeneration.X7, GuestOperatingSystem.OracleAutonomousLinux, "7", GenerationVerdict.Compatible)]
    [InlineData(HardwareGeneration.X5, HardwareGeneration.X7, GuestOperatingSystem.OracleLinux, "8", GenerationVerdict.Compatible)]
    [InlineData(HardwareGeneration.X5, HardwareGeneration.X7, GuestOperatingSystem.OracleLinux, "6", GenerationVerdict.NeedsKernelUpdate)]
    [InlineData(HardwareGeneration.X5, HardwareGeneration.X7, GuestOperatingSystem.OracleLinux, "9", GenerationVerdict.NeedsKernelUpdate)]
    [InlineData(HardwareGeneration.X5, HardwareGeneration.X7, GuestOperatingSystem.Ubuntu, "22.04", GenerationVerdict.NeedsKernelUpdate)]
    [InlineData(HardwareGeneration.X5, HardwareGeneration.X7, GuestOperatingSystem.CentOS, "7", GenerationVerdict.NeedsKernelUpdate)]
    [InlineData(HardwareGeneration.X5, HardwareGeneration.X7, GuestOperatingSystem.CentOSStream, "8", GenerationVerdict.NeedsKernelUpdate)]
    // Built on X6, used elsewhere.
    [InlineData(HardwareGeneration.X6, HardwareGeneration.X7, GuestOperatingSystem.OracleLinux, "6", GenerationVerdict.Incompatible)]
    [InlineData(HardwareGeneration.X6, HardwareGeneration.X5, GuestOperatingSystem.CentOS, "7", GenerationVerdict.Incompatible)]
    [InlineData(HardwareGeneration.X6, HardwareGeneration.X9, GuestOperatingSystem.CentOSStream, "8", GenerationVerdict.Incompatible)]
    [InlineData(HardwareGeneration.X6, HardwareGeneration.X7, GuestOperatingSystem.Windows, "Server 2022 Standard", GenerationVerdict.Incompatible)]
    [InlineData(HardwareGeneration.X6, HardwareGeneration.X7, GuestOperatingSystem.OracleAutonomousLinux, "7", GenerationVerdict.Compatible)]
    [InlineData(HardwareGeneration.X6, HardwareGeneration.X7, GuestOperatingSystem.OracleLinux, "7", GenerationVerdict.Compatible)]
    [InlineData(HardwareGeneration.X6, HardwareGeneration.X7, GuestOperatingSystem.OracleLinux, "8", GenerationVerdict.Compatible)]
    [InlineData(HardwareGeneration.X6, HardwareGeneration.E4, GuestOperatingSystem.Ubuntu, "20.04", GenerationVerdict.Compatible)]
    [InlineData(HardwareGeneration.X6, HardwareGeneration.X7, GuestOperatingSystem.OracleLinux, "9", GenerationVerdict.NeedsKernelUpdate)]
    // Same generation, and pairs the matrix does not cover.
    [InlineData(HardwareGeneration.X6, HardwareGeneration.X6, GuestOperatingSystem.Windows, "Server 2022 Standard", GenerationVerdict.Compatible)]
    [InlineData(HardwareGeneration.X5, HardwareGeneration.X5, GuestOperatingSystem.Windows, "Server 2012 Standard", GenerationVerdict.Compatible)]
    [InlineData(HardwareGeneration.X7, HardwareGeneration.X5, GuestOperatingSystem.Windows, "Server 2019 Standard", GenerationVerdict.Compatible)]
    [InlineData(HardwareGeneration.X5, HardwareGeneration.X9, GuestOperatingSystem.Windows, "Server 2019 Standard", GenerationVerdict.Compatible)]
    public void Matrix(HardwareGeneration builtOn, HardwareGeneration target, GuestOperatingSystem os, string version, GenerationVerdict expected)
    {
        var release = OperatingSystems.Resolve(os, version)!.Release;

        var (verdict, rule) = HardwareGenerationMatrix.Evaluate(builtOn, target, release);

        verdict.Should().Be(expected);
        (rule.Length > 0).Should().Be(expected != GenerationVerdict.Compatible);
    }

    [Theory]
    [InlineData(GuestOperatingSystem.Ubuntu, "18.04", "apt-get dist-upgrade")]
    [InlineData(GuestOperatingSystem.OracleLinux, "7", "yum update")]
    public void Kernel_update_advice_names_the_package_manager(GuestOperatingSystem os, string version, string command)
    {
        var (_, rule) = HardwareGenerationMatrix.Evaluate(HardwareGeneration.X5, HardwareGeneration.X7, OperatingSystems.Resolve(os, version)!.Release);

        rule.Should().Contain(command).And.Contain("X5").And.Contain("X7");
    }
}
