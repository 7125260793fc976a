using FluentAssertions;
using ImageOperator.Testing;
using Xunit;
using k8s;

namespace ImageOperator.IntegrationTests.Crds;

/// <summary>The generated CRDs in <c>crds/</c> install on a real API server and are served.</summary>
[Collection(TestCollections.ControlPlane)]
public sealed class CrdInstallationTests(ControlPlaneFixture controlPlane)
{
    private static readonly string[] Kinds = ["CustomImage", "ImageImport", "ImageExport", "ComputeShape"];

    /// <summary>The kinds the operator reports on; a ComputeShape is a catalogue entry without status.</summary>
    private static readonly string[] StatusResources = ["customimages/status", "imageimports/status", "imageexports/status"];

    [Fact]
    public async Task Every_crd_becomes_established_with_its_names_accepted()
    {
        var names = await controlPlane.InstallCrdsAsync();

        names.Should().HaveCount(Directory.GetFiles(RepositoryPaths.Crds, "*.yaml").Length);
        foreach (var name in names)
        {
            var crd = await controlPlane.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name);
            crd.Status.Conditions.Should().Contain(c => c.Type == "Established" && c.Status == "True", name);
            crd.Status.Conditions.Should().Contain(c => c.Type == "NamesAccepted" && c.Status == "True", name);
        }
    }

    [Fact]
    public async Task The_api_group_serves_every_kind_and_the_status_subresources()
    {
        await controlPlane.InstallCrdsAsync();

        var resources = await controlPlane.Client.CustomObjects.GetAPIResourcesAsync("imageoperator.io", "v1alpha1");

        resources.Resources.Where(r => !r.Name.Contains('/', StringComparison.Ordinal)).Select(r => r.Kind)
            .Should().BeEquivalentTo(Kinds);
        resources.Resources.Where(r => r.Name.EndsWith("/status", StringComparison.Ordinal)).Select(r => r.Name)
            .Should().BeEquivalentTo(StatusResources);
    }
}
