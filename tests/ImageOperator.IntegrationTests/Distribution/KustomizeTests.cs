using FluentAssertions;
using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.IntegrationTests.Distribution;

/// <summary>The kustomize layout in config/ builds with kubectl's kustomize and the API server accepts its output.</summary>
[Collection(TestCollections.ControlPlane)]
public sealed class KustomizeTests(ControlPlaneFixture controlPlane)
{
    private const string Namespace = "image-operator-system";

    [Fact]
    public async Task Default_layout_builds_and_is_accepted_by_the_API_server()
    {
        var built = (await controlPlane.KubectlAsync("kustomize", Path.Combine(DistributionFiles.ConfigDirectory, "default"))).EnsureSuccess();
        await controlPlane.InstallCrdsAsync();
        // A server-side dry run creates nothing, so the namespace its objects go to must exist for real.
        var created = await controlPlane.KubectlAsync("create", "namespace", Namespace);
        if (!created.Succeeded && !created.StandardError.Contains("AlreadyExists", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(created.ToString());
        }

        var result = await DistributionFiles.DryRunAsync(controlPlane, built.StandardOutput, Namespace);

        var applied = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[0]).ToList();
        applied.Should().Contain([
            "namespace/image-operator-system",
            "customresourcedefinition.apiextensions.k8s.io/customimages.imageoperator.io",
            "serviceaccount/image-operator-controller-manager",
            "clusterrole.rbac.authorization.k8s.io/image-operator-manager",
            "role.rbac.authorization.k8s.io/image-operator-leader-election",
            "role.rbac.authorization.k8s.io/image-operator-webhook-certificate",
            "configmap/image-operator-config",
            "deployment.apps/image-operator-controller-manager",
        ]);
    }

    [Fact]
    public void Crd_base_is_the_generated_crds()
    {
        var bases = Path.Combine(DistributionFiles.ConfigDirectory, "crd", "bases");
        var generated = Directory.EnumerateFiles(RepositoryPaths.Crds, "imageoperator.io_*.yaml").ToDictionary(path => Path.GetFileName(path), File.ReadAllText);
        Directory.EnumerateFiles(bases, "*.yaml").ToDictionary(path => Path.GetFileName(path), File.ReadAllText)
            .Should().BeEquivalentTo(generated, "make manifests writes the same CRDs to crds/, config/crd/bases and the chart");

        var kustomization = YamlMaps.ParseMap(File.ReadAllText(Path.Combine(DistributionFiles.ConfigDirectory, "crd", "kustomization.yaml")));
        ((IList<object?>)kustomization["resources"]!).Should().BeEquivalentTo(generated.Keys.Select(name => $"bases/{name}"));
    }

    [Fact]
    public async Task Rbac_rules_are_the_charts_rules()
    {
        var kustomized = YamlMaps.ParseMap(File.ReadAllText(Path.Combine(DistributionFiles.ConfigDirectory, "rbac", "role.yaml")));
        var chart = await HelmChart.TemplateAsync("image-operator", Namespace);

        YamlMaps.Emit(kustomized["rules"]).Should().Be(YamlMaps.Emit(chart.Single("ClusterRole")["rules"]));
        foreach (var (file, role) in new[] { ("leader_election_role.yaml", "-leader-election"), ("webhook_certificate_role.yaml", "-webhook-certificate") })
        {
            var kustomizedRole = YamlMaps.ParseMap(File.ReadAllText(Path.Combine(DistributionFiles.ConfigDirectory, "rbac", file)));
            YamlMaps.Emit(kustomizedRole["rules"]).Should().Be(YamlMaps.Emit(chart.Single("Role", role)["rules"]));
        }
    }

    [Fact]
    public async Task Webhook_configurations_are_the_charts()
    {
        var built = (await controlPlane.KubectlAsync("kustomize", Path.Combine(DistributionFiles.ConfigDirectory, "default"))).EnsureSuccess();
        var kustomized = built.StandardOutput.Split("\n---\n").Select(YamlMaps.ParseMap);

        Webhooks(kustomized).Should().Be(Webhooks((await HelmChart.TemplateAsync("image-operator", Namespace)).Objects));
    }

    /// <summary>The webhook configurations' entries, as YAML, for comparison.</summary>
    private static string Webhooks(IEnumerable<SortedDictionary<string, object?>> objects) => YamlMaps.Emit(objects
        .Where(o => ((string)o["kind"]!).EndsWith("WebhookConfiguration", StringComparison.Ordinal))
        .OrderBy(o => (string)o["kind"]!, StringComparer.Ordinal)
        .Select(o => (object?)new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["kind"] = o["kind"],
            ["name"] = ((IDictionary<string, object?>)o["metadata"]!)["name"],
            ["webhooks"] = o["webhooks"],
        })
        .ToList());
}
