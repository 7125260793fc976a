using FluentAssertions;
using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.IntegrationTests.Crds;

/// <summary><c>kubectl explain</c> shows the descriptions generated from the C# XML documentation.</summary>
[Collection(TestCollections.ControlPlane)]
public sealed class ExplainTests(ControlPlaneFixture controlPlane)
{
    [Fact]
    public async Task Explain_customimage_spec_shows_our_descriptions()
    {
        await controlPlane.InstallCrdsAsync();

        var output = await ExplainAsync("customimage.spec");

        output.Should().Contain("Desired state of a custom image.")
            .And.Contain("operatingSystem").And.Contain("Operating system installed in the image.")
            .And.Contain("launchMode").And.Contain("How the hypervisor presents devices to the guest.");
    }

    /// <summary>The API server publishes a new CRD's schema to its OpenAPI document a few seconds after it is established.</summary>
    private async Task<string> ExplainAsync(string field)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var result = await controlPlane.KubectlAsync("explain", field);
            if (result.Succeeded || DateTime.UtcNow > deadline)
            {
                return result.EnsureSuccess().StandardOutput;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}
