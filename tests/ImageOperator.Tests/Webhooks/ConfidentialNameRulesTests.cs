using FluentAssertions;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class ConfidentialNameRulesTests
{
    [Theory]
    [InlineData("Base image of jane.doe@example.com", "an e-mail address")]
    [InlineData("ci-AKIAIOSFODNN7EXAMPLE", "an access key")]
    [InlineData("image ssh-rsa AAAAB3Nza", "an access key")]
    [InlineData("db password=hunter2", "a password or secret")]
    [InlineData("token: abc", "a password or secret")]
    [InlineData("build 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "a key-like string")]
    [InlineData("ol8 x7Kp2QmZ9vR4tY8wL3nB6cD1", "a key-like string")]
    public void Names_that_look_confidential_draw_a_warning(string name, string what)
    {
        var findings = new AdmissionFindings();

        ConfidentialNameRules.Check(findings, "spec.displayName", name);

        findings.Violations.Should().BeEmpty();
        findings.Warnings.Should().Equal(
            $"spec.displayName: looks like it contains {what}; names are visible to everyone who can list images, keep confidential information out of them");
    }

    [Theory]
    [InlineData("Oracle Linux 8 base")]
    [InlineData("WindowsServer2019DatacenterHardened")]
    [InlineData("ubuntu-22.04-golden-image-2024-06-01")]
    [InlineData("ol8-base")]
    [InlineData("CentOS7ForLegacyPayrollSystem")]
    [InlineData("")]
    [InlineData(null)]
    public void Ordinary_names_do_not(string? name)
    {
        var findings = new AdmissionFindings();

        ConfidentialNameRules.Check(findings, "spec.displayName", name);

        findings.Warnings.Should().BeEmpty();
    }
}
