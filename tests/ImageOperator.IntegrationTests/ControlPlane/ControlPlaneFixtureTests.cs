using FluentAssertions;
using ImageOperator.Testing;
using Xunit;
using k8s;
using k8s.Models;

namespace ImageOperator.IntegrationTests.ControlPlane;

/// <summary>The control-plane fixture gives a working API server, client and kubectl.</summary>
[Collection(TestCollections.ControlPlane)]
public sealed class ControlPlaneFixtureTests(ControlPlaneFixture controlPlane)
{
    [Fact]
    public async Task Client_and_kubectl_see_the_same_namespace()
    {
        var name = await controlPlane.CreateNamespaceAsync("fixture");

        var read = await controlPlane.Client.CoreV1.ReadNamespaceAsync(name);
        var viaKubectl = await controlPlane.KubectlAsync("get", "namespace", name, "-o", "jsonpath={.metadata.uid}");

        viaKubectl.EnsureSuccess().StandardOutput.Should().Be(read.Metadata.Uid);
    }

    [Fact]
    public async Task Kubectl_reports_the_exit_code_and_message_of_a_failed_command()
    {
        var result = await controlPlane.KubectlAsync("get", "namespace", "no-such-namespace-here");

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("\"no-such-namespace-here\" not found");
    }

    [Fact]
    public async Task The_client_is_an_administrator()
    {
        var review = await controlPlane.Client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec
            {
                ResourceAttributes = new V1ResourceAttributes { Verb = "*", Group = "*", Resource = "*" },
            },
        });

        review.Status.Allowed.Should().BeTrue();
    }
}
