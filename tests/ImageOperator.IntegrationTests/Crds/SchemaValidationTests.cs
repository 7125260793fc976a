using FluentAssertions;
using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.IntegrationTests.Crds;

/// <summary>
/// The CRDs' OpenAPI schema makes the API server itself reject malformed objects, with a message that names the
/// field (no webhook runs in these tests).
/// </summary>
[Collection(TestCollections.ControlPlane)]
public sealed class SchemaValidationTests(ControlPlaneFixture controlPlane)
{
    private const string ValidSpec = """
          operatingSystem: Oracle Linux
          operatingSystemVersion: "8.9"
          launchMode: PARAVIRTUALIZED
        """;

    public static TheoryData<string, string, string> MalformedSpecs => new()
    {
        {
            "an unknown enum value",
            ValidSpec.Replace("PARAVIRTUALIZED", "WARP", StringComparison.Ordinal),
            "spec.launchMode: Unsupported value: \"WARP\""
        },
        {
            "a missing required field",
            string.Join('\n', ValidSpec.Split('\n').Where(line => !line.Contains("operatingSystem:", StringComparison.Ordinal))),
            "spec.operatingSystem: Required value"
        },
        {
            "a string where an integer belongs",
            ValidSpec + "\n  blockDeviceMappings:\n  - deviceName: /dev/sdb\n    volumeSizeGiB: large",
            "spec.blockDeviceMappings.volumeSizeGiB in body must be of type integer"
        },
        {
            "a number below the minimum",
            ValidSpec + "\n  blockDeviceMappings:\n  - deviceName: /dev/sdb\n    volumeSizeGiB: 0",
            "spec.blockDeviceMappings.volumeSizeGiB in body should be greater than or equal to 1"
        },
    };

    [Fact]
    public async Task A_minimal_valid_image_is_accepted()
    {
        var result = await ApplyCustomImageAsync("minimal", ValidSpec);

        result.EnsureSuccess().StandardOutput.Should().Contain("customimage.imageoperator.io/minimal created");
    }

    [Theory]
    [MemberData(nameof(MalformedSpecs))]
    public async Task The_api_server_rejects_an_image_with(string problem, string spec, string message)
    {
        var result = await ApplyCustomImageAsync("malformed", spec);

        result.ExitCode.Should().NotBe(0, $"an image with {problem} must be rejected");
        result.StandardError.Should().Contain("The CustomImage \"malformed\" is invalid").And.Contain(message);
    }

    private async Task<ProcessResult> ApplyCustomImageAsync(string name, string spec)
    {
        await controlPlane.InstallCrdsAsync();
        var ns = await controlPlane.CreateNamespaceAsync("schema");
        var manifest = $"""
            apiVersion: imageoperator.io/v1alpha1
            kind: CustomImage
            metadata:
              name: {name}
            spec:
            {spec}
            """;
        // --validate=false: the API server, not kubectl's copy of the schema, must judge the object.
        return await controlPlane.KubectlWithInputAsync(manifest, "apply", "--validate=false", "-n", ns, "-f", "-");
    }
}
