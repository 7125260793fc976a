using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class TextRulesTests
{
    private readonly InMemoryAdmissionLookup lookup = InMemoryAdmissionLookup.WithCatalogue();

    [Theory]
    [InlineData("web\u001b]0;pwned\u0007", "U+001B")]
    [InlineData("tab\there", "U+0009")]
    [InlineData("new\nline", "U+000A")]
    [InlineData("del\u007f", "U+007F")]
    [InlineData("c1\u009b31m", "U+009B")]
    [InlineData("invoice\u202Efdp.exe", "bidirectional override U+202E")]
    [InlineData("x\u2066y", "bidirectional override U+2066")]
    [InlineData("x\u2069", "bidirectional override U+2069")]
    public void Control_characters_and_bidi_overrides_are_refused(string text, string expected) =>
        TextRules.Problem(text).Should().Contain(expected);

    [Theory]
    [InlineData("Oracle Linux 8 — base (α)")]
    [InlineData("日本語の名前")]
    [InlineData("emoji 🚀 ok")]
    [InlineData("arabic نص and hebrew טקסט without overrides")]
    public void Ordinary_text_in_any_script_is_accepted(string text) => TextRules.Problem(text).Should().BeNull();

    [Fact]
    public async Task A_control_character_anywhere_in_a_spec_is_denied_naming_the_field()
    {
        var image = Samples.LinuxImage();
        image.Spec.DisplayName = "web\u001b[2J";
        image.Spec.FreeformTags["team\u202E"] = "ok";
        image.Spec.DefinedTags["finance"] = new Dictionary<string, string> { ["cost-center"] = "42\r\n" };

        var result = await new CustomImageValidator(lookup).CreateAsync(image, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeFalse();
        result.Message.Should().Contain("spec.displayName: contains the control character U+001B")
            .And.Contain("spec.freeformTags[\"team\\u202E\"]: the key contains the bidirectional override U+202E")
            .And.Contain("spec.definedTags.finance.cost-center: contains the control character U+000D");
        result.Message.Should().NotContain("\u001b").And.NotContain("\u202E", "the denial itself is plain text");
    }

    [Fact]
    public async Task Imports_and_exports_are_checked_alike()
    {
        var import = Samples.UrlImport();
        import.Spec.DisplayName = "x\u0000";
        var export = Samples.Export();
        export.Spec.Destination.ObjectName = null;
        export.Spec.ImageName = "ol8-base";
        lookup.AddImage(Samples.Namespace, Samples.LinuxImage());
        export.Spec.Destination.ObjectStore!.Object = "team-a/x\u202Ey.qcow2";

        var imported = await new ImageImportValidator(lookup, TestPolicies.PerNamespacePrefixes()).CreateAsync(import, Samples.Create, CancellationToken.None);
        var exported = await new ImageExportValidator(lookup, TestPolicies.PerNamespacePrefixes()).CreateAsync(export, Samples.Create, CancellationToken.None);

        imported.Message.Should().Contain("spec.displayName: contains the control character U+0000");
        exported.Message.Should().Contain("spec.destination.objectStore.object: contains the bidirectional override U+202E");
    }

    [Fact]
    public async Task Tags_over_the_limits_are_denied()
    {
        var image = Samples.LinuxImage();
        image.Spec.FreeformTags = Enumerable.Range(0, 40).ToDictionary(i => $"k{i}", i => "v");
        image.Spec.DefinedTags["ops"] = Enumerable.Range(0, 30).ToDictionary(i => $"d{i}", i => "v");
        image.Spec.FreeformTags[new string('k', 101)] = "v";

        var result = await new CustomImageValidator(lookup).CreateAsync(image, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeFalse();
        result.Message.Should().Contain($"spec: has 71 tags (freeformTags and definedTags together); at most {Limits.MaxTags} are allowed")
            .And.Contain("the tag key has 101 characters; at most 100 are allowed");
    }

    [Fact]
    public async Task Sixty_four_tags_with_100_character_keys_are_admitted()
    {
        var image = Samples.LinuxImage();
        image.Spec.FreeformTags = Enumerable.Range(0, 64).ToDictionary(i => $"{i:D2}" + new string('k', 98), i => new string('v', 256));

        var result = await new CustomImageValidator(lookup).CreateAsync(image, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeTrue(result.Message);
    }
}
