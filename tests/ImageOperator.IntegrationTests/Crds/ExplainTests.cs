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

    [Fact]
    public async Task Explain_shows_the_size_limits()
    {
        await controlPlane.InstallCrdsAsync();

        // kubectl wraps descriptions at 80 columns.
        static string Flat(string text) => string.Join(' ', text.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries));

        Flat(await ExplainAsync("customimage.spec.displayName")).Should().Contain("at most 255 characters");
        Flat(await ExplainAsync("customimage.spec.freeformTags")).Should().Contain("at most 64 entries").And.Contain("values of at most 256 characters").And.Contain("at most 100 characters");
        Flat(await ExplainAsync("imageimport.spec.definedTags")).Should().Contain("at most 64 entries");
        Flat(await ExplainAsync("customimage.spec.sharing.namespaces")).Should().Contain("at most 256 items");
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
