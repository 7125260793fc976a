using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Testing;
using k8s;
using k8s.Models;
using Xunit;

namespace ImageOperator.IntegrationTests.Crds;

/// <summary>
/// Status is a subresource: writes to the object leave status alone and writes to status leave spec alone, so
/// users cannot forge status and the operator cannot change what users asked for.
/// </summary>
[Collection(TestCollections.ControlPlane)]
public sealed class StatusSubresourceTests(ControlPlaneFixture controlPlane)
{
    private const string Group = "imageoperator.io";
    private const string Version = "v1alpha1";
    private const string Plural = "customimages";

    [Fact]
    public async Task Status_in_a_created_object_is_dropped()
    {
        var ns = await PrepareAsync();
        var image = NewImage("forged-status");
        image.Status.LifecycleState = ImageLifecycleState.Available;

        var created = await controlPlane.Client.CustomObjects.CreateNamespacedCustomObjectAsync<CustomImage>(image, Group, Version, ns, Plural);

        created.Status?.LifecycleState.Should().BeNull();
        created.Spec.OperatingSystemVersion.Should().Be("8.9");
    }

    [Fact]
    public async Task A_status_update_changes_status_only()
    {
        var ns = await PrepareAsync();
        var created = await controlPlane.Client.CustomObjects.CreateNamespacedCustomObjectAsync<CustomImage>(NewImage("status-write"), Group, Version, ns, Plural);

        var patch = new V1Patch(
            """{"spec":{"operatingSystemVersion":"9.9"},"status":{"lifecycleState":"Available","observedGeneration":1}}""",
            V1Patch.PatchType.MergePatch);
        var patched = await controlPlane.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<CustomImage>(
            patch, Group, Version, ns, Plural, created.Metadata.Name);

        patched.Status.LifecycleState.Should().Be(ImageLifecycleState.Available);
        patched.Status.ObservedGeneration.Should().Be(1);
        patched.Spec.OperatingSystemVersion.Should().Be("8.9");
        patched.Metadata.Generation.Should().Be(created.Metadata.Generation);
    }

    [Fact]
    public async Task A_spec_update_changes_spec_only_and_bumps_the_generation()
    {
        var ns = await PrepareAsync();
        var created = await controlPlane.Client.CustomObjects.CreateNamespacedCustomObjectAsync<CustomImage>(NewImage("spec-write"), Group, Version, ns, Plural);
        await controlPlane.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<CustomImage>(
            new V1Patch("""{"status":{"lifecycleState":"Available"}}""", V1Patch.PatchType.MergePatch), Group, Version, ns, Plural, created.Metadata.Name);

        var patch = new V1Patch(
            """{"spec":{"operatingSystemVersion":"9.9"},"status":{"lifecycleState":"Failed"}}""", V1Patch.PatchType.MergePatch);
        var patched = await controlPlane.Client.CustomObjects.PatchNamespacedCustomObjectAsync<CustomImage>(
            patch, Group, Version, ns, Plural, created.Metadata.Name);

        patched.Spec.OperatingSystemVersion.Should().Be("9.9");
        patched.Status.LifecycleState.Should().Be(ImageLifecycleState.Available);
        patched.Metadata.Generation.Should().Be(created.Metadata.Generation + 1);
    }

    private async Task<string> PrepareAsync()
    {
        await controlPlane.InstallCrdsAsync();
        return await controlPlane.CreateNamespaceAsync("status");
    }

    private static CustomImage NewImage(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new CustomImageSpec
        {
            OperatingSystem = GuestOperatingSystem.OracleLinux,
            OperatingSystemVersion = "8.9",
            LaunchMode = LaunchMode.Paravirtualized,
        },
    };
}
