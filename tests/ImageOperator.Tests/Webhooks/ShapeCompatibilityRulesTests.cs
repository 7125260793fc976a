using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class ShapeCompatibilityRulesTests
{
    private static readonly ResolvedOperatingSystemVersion OracleLinux8 = OperatingSystems.Resolve(GuestOperatingSystem.OracleLinux, "8")!;
    private static readonly ResolvedOperatingSystemVersion Windows2019 = OperatingSystems.Resolve(GuestOperatingSystem.Windows, "Server 2019 Standard")!;
    private static readonly ResolvedOperatingSystemVersion CentOS7 = OperatingSystems.Resolve(GuestOperatingSystem.CentOS, "7")!;
    private static readonly ResolvedOperatingSystemVersion Ubuntu2204 = OperatingSystems.Resolve(GuestOperatingSystem.Ubuntu, "22.04")!;

    public static TheoryData<string, ShapeCompatibility[], ResolvedOperatingSystemVersion, HardwareGeneration?, string> Denied => new()
    {
        {
            "unknown shape", [Entry("vm.unknown.1")], OracleLinux8, null,
            "spec.shapeCompatibilities[0].shape: no ComputeShape named 'vm.unknown.1' (an entry must name a shape of the catalogue"
        },
        {
            "listed twice", [Entry("vm.standard2.1"), Entry("vm.standard2.1")], OracleLinux8, null,
            "spec.shapeCompatibilities[1].shape: shape 'vm.standard2.1' is listed twice (one compatibility entry per shape)"
        },
        {
            "OCPU max above the flexible shape's", [Entry("vm.standard2.1"), Entry("vm.standard3.flex", ocpuMax: 64)], OracleLinux8, null,
            "spec.shapeCompatibilities[1].ocpuConstraints.max: 64 is outside the 1-32 OCPUs of shape 'vm.standard3.flex' (bounds must lie within the shape's limits)"
        },
        {
            "OCPU min above max", [Entry("vm.standard3.flex", ocpuMin: 8, ocpuMax: 4)], OracleLinux8, null,
            "spec.shapeCompatibilities[0].ocpuConstraints.min: 8 is greater than max 4 (min must not exceed max)"
        },
        {
            "memory max above the shape's", [Entry("vm.standard3.flex", memoryMax: 1024)], OracleLinux8, null,
            "spec.shapeCompatibilities[0].memoryConstraints.maxInGBs: 1024 is outside the 1-512 GB of memory of shape 'vm.standard3.flex'"
        },
        {
            "memory min above max", [Entry("vm.standard3.flex", memoryMin: 64, memoryMax: 16)], OracleLinux8, null,
            "spec.shapeCompatibilities[0].memoryConstraints.minInGBs: 64 is greater than maxInGBs 16 (min must not exceed max)"
        },
        {
            "OCPU bound on a fixed shape", [Entry("vm.standard2.4", ocpuMax: 2)], OracleLinux8, null,
            "spec.shapeCompatibilities[0].ocpuConstraints.max: 2 is outside the 4 OCPUs of shape 'vm.standard2.4'"
        },
        {
            "Windows on a v2 processor", [Entry("vm.standard.b1.1")], Windows2019, null,
            "spec.shapeCompatibilities[0].shape: shape 'vm.standard.b1.1' has a v2 processor; Windows needs processor generation v3 or later"
        },
        {
            "Windows on one vCPU", [Entry("vm.small.1")], Windows2019, null,
            "spec.shapeCompatibilities[0].shape: an instance of shape 'vm.small.1' may have 1 vCPU(s); Windows needs at least 2 vCPUs"
        },
        {
            "Windows with 2 GB", [Entry("vm.small.1")], Windows2019, null,
            "spec.shapeCompatibilities[0].shape: an instance of shape 'vm.small.1' may have 2 GB of memory; Windows needs at least 4 GB"
        },
        {
            "Windows on a flexible shape whose range allows 2 GB", [Entry("vm.standard3.flex", ocpuMin: 1, memoryMin: 2)], Windows2019, null,
            "spec.shapeCompatibilities[0].memoryConstraints.minInGBs: an instance of shape 'vm.standard3.flex' may have 2 GB of memory; Windows needs at least 4 GB (set memoryConstraints.minInGBs to at least 4)"
        },
        {
            "Windows built on X5 used on X7", [Entry("vm.standard2.4")], Windows2019, HardwareGeneration.X5,
            "spec.shapeCompatibilities[0].shape: shape 'vm.standard2.4' is X7 hardware: no Windows version built on X5 hardware runs on X7 hardware (hardware-generation rule)"
        },
        {
            "CentOS built on X6 used on X7", [Entry("vm.standard2.1")], CentOS7, HardwareGeneration.X6,
            "spec.shapeCompatibilities[0].shape: shape 'vm.standard2.1' is X7 hardware: CentOS 7 built on X6 hardware does not run on other hardware generations (X7) (hardware-generation rule)"
        },
    };

    [Theory]
    [MemberData(nameof(Denied))]
    public async Task Entries_breaking_a_rule_are_denied(string rule, ShapeCompatibility[] entries, ResolvedOperatingSystemVersion os, HardwareGeneration? builtOn, string expected)
    {
        var findings = await CheckAsync(entries, new ImageTraits(os, CpuArchitecture.X86_64, builtOn));

        findings.Violations.Should().Contain(v => v.StartsWith(expected, StringComparison.Ordinal), rule);
    }

    public static TheoryData<string, ShapeCompatibility[], ResolvedOperatingSystemVersion, HardwareGeneration?> Allowed => new()
    {
        { "fixed shape without bounds", [Entry("vm.standard2.1"), Entry("vm.standard2.4")], OracleLinux8, null },
        { "bounds within a flexible shape", [Entry("vm.standard3.flex", ocpuMin: 2, ocpuMax: 32, memoryMin: 4, memoryMax: 512)], OracleLinux8, null },
        { "Windows on v3 with 4 OCPUs", [Entry("vm.standard2.4")], Windows2019, HardwareGeneration.X7 },
        { "Windows on a flexible shape bounded to its needs", [Entry("vm.standard3.flex", ocpuMin: 1, memoryMin: 4)], Windows2019, null },
        { "Windows built on X6 stays on X6", [Entry("vm.standard.x6.2")], Windows2019, HardwareGeneration.X6 },
        { "Oracle Linux 8 built on X5 on X7", [Entry("vm.standard2.4")], OracleLinux8, HardwareGeneration.X5 },
        { "generation unknown", [Entry("vm.standard2.4")], CentOS7, null },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public async Task Entries_within_the_rules_are_allowed(string rule, ShapeCompatibility[] entries, ResolvedOperatingSystemVersion os, HardwareGeneration? builtOn)
    {
        var findings = await CheckAsync(entries, new ImageTraits(os, CpuArchitecture.X86_64, builtOn));

        findings.Violations.Should().BeEmpty(rule);
        findings.Warnings.Should().BeEmpty(rule);
    }

    [Fact]
    public async Task A_kernel_update_that_may_be_needed_is_a_warning()
    {
        var findings = await CheckAsync([Entry("vm.standard2.1")], new ImageTraits(Ubuntu2204, CpuArchitecture.X86_64, HardwareGeneration.X5));

        findings.Violations.Should().BeEmpty();
        findings.Warnings.Should().Equal(
            "spec.shapeCompatibilities[0].shape: Ubuntu 22.04 built on X5 hardware may need a kernel update to run on X7 hardware (apt-get dist-upgrade)");
    }

    [Theory]
    [InlineData(CpuArchitecture.I386, "vm.standard2.1", "spec.shapeCompatibilities[0].shape: the image's architecture i386 differs from shape 'vm.standard2.1''s x86_64 (architecture must match the shape)")]
    [InlineData(CpuArchitecture.X86_64, "vm.legacy32.1", "spec.shapeCompatibilities[0].shape: the image's architecture x86_64 differs from shape 'vm.legacy32.1''s i386 (architecture must match the shape)")]
    public async Task The_architecture_must_match_the_shape(CpuArchitecture architecture, string shape, string expected)
    {
        var findings = await CheckAsync([Entry(shape)], new ImageTraits(OracleLinux8, architecture, null));

        findings.Violations.Should().Equal(expected);
    }

    [Fact]
    public async Task Every_broken_entry_is_reported_at_once()
    {
        var findings = await CheckAsync(
            [Entry("vm.nope"), Entry("vm.standard2.1"), Entry("vm.standard3.flex", ocpuMax: 99)],
            new ImageTraits(OracleLinux8, CpuArchitecture.X86_64, null));

        findings.Violations.Should().HaveCount(2);
        findings.Violations[0].Should().StartWith("spec.shapeCompatibilities[0].shape:");
        findings.Violations[1].Should().StartWith("spec.shapeCompatibilities[2].ocpuConstraints.max:");
    }

    [Fact]
    public async Task Entries_unchanged_by_an_update_are_not_checked_again()
    {
        // The shape left the catalogue after the image was created: editing the image must still be possible.
        var unchanged = Entry("vm.retired.1");
        var findings = new AdmissionFindings();

        await ShapeCompatibilityRules.CheckAsync(findings, "spec", [unchanged, Entry("vm.standard2.1")], [Entry("vm.retired.1")],
            new ImageTraits(OracleLinux8, CpuArchitecture.X86_64, null), InMemoryAdmissionLookup.WithCatalogue(), CancellationToken.None);

        findings.Violations.Should().BeEmpty();
    }

    [Fact]
    public async Task A_changed_entry_is_checked_again()
    {
        var findings = new AdmissionFindings();

        await ShapeCompatibilityRules.CheckAsync(findings, "spec", [Entry("vm.standard3.flex", ocpuMax: 40)], [Entry("vm.standard3.flex", ocpuMax: 8)],
            new ImageTraits(OracleLinux8, CpuArchitecture.X86_64, null), InMemoryAdmissionLookup.WithCatalogue(), CancellationToken.None);

        findings.Violations.Should().ContainSingle().Which.Should().StartWith("spec.shapeCompatibilities[0].ocpuConstraints.max: 40 is outside");
    }

    internal static ShapeCompatibility Entry(string shape, int? ocpuMin = null, int? ocpuMax = null, int? memoryMin = null, int? memoryMax = null) => new()
    {
        Shape = shape,
        OcpuConstraints = ocpuMin is null && ocpuMax is null ? null : new OcpuRange { Min = ocpuMin, Max = ocpuMax },
        MemoryConstraints = memoryMin is null && memoryMax is null ? null : new MemoryRange { MinInGBs = memoryMin, MaxInGBs = memoryMax },
    };

    private static async Task<AdmissionFindings> CheckAsync(ShapeCompatibility[] entries, ImageTraits image)
    {
        var findings = new AdmissionFindings();
        await ShapeCompatibilityRules.CheckAsync(findings, "spec", entries, null, image, InMemoryAdmissionLookup.WithCatalogue(), CancellationToken.None);
        return findings;
    }
}
