using FluentAssertions;
using ImageOperator.Configuration;
using ImageOperator.Tenancy;
using ImageOperator.Testing;
using ImageOperator.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ImageOperator.IntegrationTests.Distribution;

/// <summary>
/// The Helm chart, rendered by the real helm (<see cref="HelmChart"/>) and judged by the real API server in
/// server-side dry runs (helm's own server dry run submits nothing), and by the operator's own configuration loader.
/// </summary>
[Collection(TestCollections.ControlPlane)]
public sealed class ChartTests(ControlPlaneFixture controlPlane)
{
    private const string Release = "image-operator";

    [Fact]
    public void Chart_crds_are_the_generated_crds()
    {
        static Dictionary<string, string> Read(string folder) => Directory.EnumerateFiles(folder, "imageoperator.io_*.yaml")
            .ToDictionary(path => Path.GetFileName(path), File.ReadAllText);

        var generated = Read(RepositoryPaths.Crds);
        generated.Should().NotBeEmpty();
        Read(Path.Combine(DistributionFiles.ChartDirectory, "crds")).Should().BeEquivalentTo(generated,
            "the chart's CRDs are written by the same generator (make manifests runs crdgen --chart-output)");
    }

    [Theory]
    [MemberData(nameof(ChartValuesTests.DocumentedValueSets), MemberType = typeof(ChartValuesTests))]
    public async Task Rendered_chart_is_accepted_by_the_API_server(string variant, string values)
    {
        await controlPlane.InstallCrdsAsync();
        await DistributionFiles.InstallThirdPartyCrdsAsync(controlPlane);
        var ns = await controlPlane.CreateNamespaceAsync("chart");
        var chart = await HelmChart.TemplateAsync(Release, ns, values);

        var result = await DistributionFiles.DryRunAsync(controlPlane, chart.Manifest, ns);

        var applied = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[0]);
        applied.Should().BeEquivalentTo(chart.Objects.Select(KubectlName), $"the API server accepts every object of the {variant} values");
        if (variant == "defaults")
        {
            applied.Should().BeEquivalentTo(
                "serviceaccount/image-operator", "configmap/image-operator-config", "deployment.apps/image-operator",
                "service/image-operator-webhook", "service/image-operator-metrics",
                "clusterrole.rbac.authorization.k8s.io/image-operator-manager",
                "clusterrolebinding.rbac.authorization.k8s.io/image-operator-manager",
                "role.rbac.authorization.k8s.io/image-operator-leader-election",
                "rolebinding.rbac.authorization.k8s.io/image-operator-leader-election",
                "role.rbac.authorization.k8s.io/image-operator-webhook-certificate",
                "rolebinding.rbac.authorization.k8s.io/image-operator-webhook-certificate",
                "validatingwebhookconfiguration.admissionregistration.k8s.io/image-operator-validating-webhook",
                "mutatingwebhookconfiguration.admissionregistration.k8s.io/image-operator-mutating-webhook");
        }
    }

    [Fact]
    public async Task Deployment_runs_unprivileged_on_a_read_only_root_filesystem()
    {
        var deployment = (await HelmChart.TemplateAsync(Release, "operators")).Single("Deployment");
        var pod = Map(deployment, "spec", "template", "spec");
        var container = (IDictionary<string, object?>)((IList<object?>)pod["containers"]!).Single()!;

        Map(pod, "securityContext").Should().Contain("runAsNonRoot", true).And.Contain("runAsUser", 1654L);
        Map(pod, "securityContext", "seccompProfile").Should().Contain("type", "RuntimeDefault");
        var security = Map(container, "securityContext");
        security.Should().Contain("readOnlyRootFilesystem", true).And.Contain("allowPrivilegeEscalation", false).And.Contain("privileged", false);
        ((IList<object?>)Map(security, "capabilities")["drop"]!).Should().Equal("ALL");
        Map(deployment, "spec").Should().Contain("replicas", 2L);
        ((IList<object?>)container["volumeMounts"]!).Cast<IDictionary<string, object?>>()
            .Should().Contain(m => (string)m["mountPath"]! == "/tmp", "the only writable place is an emptyDir on /tmp");
        Map(container, "readinessProbe", "httpGet").Should().Contain("path", "/readyz");
        Map(container, "livenessProbe", "httpGet").Should().Contain("path", "/healthz");
    }

    [Fact]
    public async Task Cert_manager_certificate_is_mounted_where_the_operator_reads_it_and_injected_into_the_webhooks()
    {
        var chart = await HelmChart.TemplateAsync(Release, "operators", DistributionFiles.CertManagerValues);
        var deployment = chart.Single("Deployment");
        var container = (IDictionary<string, object?>)((IList<object?>)Map(deployment, "spec", "template", "spec")["containers"]!).Single()!;
        var mount = ((IList<object?>)container["volumeMounts"]!).Cast<IDictionary<string, object?>>().Single(m => (string)m["name"]! == "webhook-cert");
        mount["mountPath"].Should().Be(new WebhookOptions().CertificateDirectory);
        Map(chart.Single("Certificate"), "spec").Should().Contain("secretName", "image-operator-webhook-cert");
        Map(chart.Single("ValidatingWebhookConfiguration"), "metadata", "annotations")
            .Should().Contain("cert-manager.io/inject-ca-from", "operators/image-operator-webhook");
        var webhooks = Operator(chart).GetRequiredService<WebhookOptions>();
        webhooks.InjectCaBundle.Should().BeFalse("cert-manager's CA injector owns the caBundle");
        webhooks.CertificateSecretName.Should().NotBe("image-operator-webhook-cert", "the operator never writes cert-manager's Secret");
        chart.Objects.Should().NotContain(o => (string?)o["kind"] == "Role" && Name(o).EndsWith("-webhook-certificate", StringComparison.Ordinal),
            "with cert-manager the operator needs no access to a certificate Secret");
    }

    [Fact]
    public async Task By_default_each_namespace_uses_the_operator_keys_only_under_its_own_prefix()
    {
        var options = Operator(await HelmChart.TemplateAsync(Release, "operators")).GetRequiredService<OperatorOptions>();

        var grant = options.ObjectStores.Single().Grants.Single();
        grant.Should().BeEquivalentTo(new StoreGrant { Namespaces = ["*"], Buckets = ["images", "image-exports"], Prefix = "{namespace}/", Access = StoreAccess.ReadWrite });
        new StoreAccessPolicy(options).CheckStoreObject("team-a", null, "images", "team-b/disk.qcow2", StoreAccess.Read, ownCredentials: false)!
            .Reason.Should().Be(TenancyReasons.NotGranted);
    }

    [Fact]
    public async Task Grants_and_reserved_buckets_reach_the_operator()
    {
        var chart = await HelmChart.TemplateAsync(Release, "operators",
            "objectStores: [{name: east, endpoint: 'https://s3.east.example:9000', credentialsSecret: {name: east-keys}, reservedBuckets: [audit, backups], "
            + "grants: [{namespaces: [team-a, team-b], buckets: ['{namespace}-images'], access: Read}, {namespaces: ['*'], buckets: ['*'], access: ReadWrite}]}]");

        var store = Operator(chart).GetRequiredService<OperatorOptions>().ObjectStores.Single();

        store.ReservedBuckets.Should().Equal("audit", "backups");
        store.Grants.Should().BeEquivalentTo(new[]
        {
            new StoreGrant { Namespaces = ["team-a", "team-b"], Buckets = ["{namespace}-images"], Prefix = "", Access = StoreAccess.Read },
            new StoreGrant { Namespaces = ["*"], Buckets = ["*"], Prefix = "", Access = StoreAccess.ReadWrite },
        }, o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task Configuration_map_is_a_configuration_the_operator_accepts()
    {
        var chart = await HelmChart.TemplateAsync(Release, "operators",
            "objectStores: [{name: east, endpoint: 'https://s3.east.example:9000', region: eu-east-1, caBundle: \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\", credentialsSecret: {name: east-keys}}, {name: west, endpoint: 'http://minio.west:9000', credentialsSecret: {name: west-keys}}]");
        var services = Operator(chart);

        var options = services.GetRequiredService<OperatorOptions>();
        options.ObjectStores.Select(s => (s.Name, s.Endpoint, s.Region, s.CredentialsSecret.Namespace, s.CredentialsSecret.Name)).Should().Equal(
            ("east", "https://s3.east.example:9000", "eu-east-1", "operators", "east-keys"),
            ("west", "http://minio.west:9000", "us-east-1", "operators", "west-keys"));
        options.ObjectStores[0].CaBundle.Should().StartWith("-----BEGIN CERTIFICATE-----\nMIIB\n");
        options.Library.Bucket.Should().Be("image-library");
        options.LeaderElection.Should().BeEquivalentTo(new { Enabled = true, Namespace = "operators", LeaseName = "image-operator-leader" });
        options.MetricsPort.Should().Be(8080);

        var webhooks = services.GetRequiredService<WebhookOptions>();
        webhooks.ServiceName.Should().Be("image-operator-webhook");
        webhooks.ServiceNamespace.Should().Be("operators");
        webhooks.InjectCaBundle.Should().BeTrue();
        webhooks.CertificateSecretName.Should().Be("image-operator-webhook-generated-cert");
        var certificateRole = chart.Single("Role", "-webhook-certificate");
        ((IList<object?>)((IDictionary<string, object?>)((IList<object?>)certificateRole["rules"]!)[1]!)["resourceNames"]!)
            .Should().Equal(webhooks.CertificateSecretName);
        webhooks.ValidatingConfigurationName.Should().Be(Name(chart.Single("ValidatingWebhookConfiguration")));
        webhooks.MutatingConfigurationName.Should().Be(Name(chart.Single("MutatingWebhookConfiguration")));
        Name(chart.Single("Service", "-webhook")).Should().Be(webhooks.ServiceName);
        var ports = (IList<object?>)((IDictionary<string, object?>)((IList<object?>)Map(chart.Single("Deployment"), "spec", "template", "spec")["containers"]!).Single()!)["ports"]!;
        ports.Cast<IDictionary<string, object?>>().Select(p => (long)p["containerPort"]!).Should().Equal(options.MetricsPort, webhooks.Port);
    }

    [Fact]
    public async Task Certificate_secret_name_value_reaches_the_operator_and_its_Role()
    {
        var chart = await HelmChart.TemplateAsync(Release, "operators", "webhook: {certificates: {secretName: shared-webhook-tls}}");

        Operator(chart).GetRequiredService<WebhookOptions>().CertificateSecretName.Should().Be("shared-webhook-tls");
        var rules = ((IList<object?>)chart.Single("Role", "-webhook-certificate")["rules"]!).Cast<IDictionary<string, object?>>();
        rules.Select(r => r.TryGetValue("resourceNames", out var names) ? string.Join(",", (IList<object?>)names!) : "*")
            .Should().Equal("*", "shared-webhook-tls");
    }

    [Fact]
    public async Task Webhook_paths_are_the_operators_endpoints()
    {
        var chart = await HelmChart.TemplateAsync(Release, "operators");
        var paths = chart.Objects.Where(o => ((string)o["kind"]!).EndsWith("WebhookConfiguration", StringComparison.Ordinal))
            .SelectMany(o => ((IList<object?>)o["webhooks"]!).Cast<IDictionary<string, object?>>())
            .Select(w => (string)Map(w, "clientConfig", "service")["path"]!);

        paths.Should().BeEquivalentTo(
            WebhookRegistration.ValidateCustomImagePath, WebhookRegistration.ValidateImageImportPath,
            WebhookRegistration.ValidateImageExportPath, WebhookRegistration.ValidateComputeShapePath,
            WebhookRegistration.MutateImageImportPath, WebhookRegistration.MutateImageExportPath);
    }

    /// <summary>Builds (without starting) the operator with the chart's configuration file.</summary>
    internal static IServiceProvider Operator(RenderedChart chart)
    {
        var folder = Directory.CreateTempSubdirectory("chart-config-");
        try
        {
            var file = Path.Combine(folder.FullName, "config.yaml");
            File.WriteAllText(file, (string)Map(chart.Single("ConfigMap"), "data")["config.yaml"]!);
            return Program.CreateApp(["--config", file]).Services;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>How kubectl names an object it applied: <c>kind.group/name</c>, lowercase kind, no group for the core API.</summary>
    private static string KubectlName(IDictionary<string, object?> manifest)
    {
        var apiVersion = (string)manifest["apiVersion"]!;
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? "." + apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        return $"{((string)manifest["kind"]!).ToLowerInvariant()}{group}/{Name(manifest)}";
    }

    private static string Name(IDictionary<string, object?> manifest) => (string)Map(manifest, "metadata")["name"]!;

    private static IDictionary<string, object?> Map(IDictionary<string, object?> root, params string[] path) =>
        path.Aggregate(root, (current, key) => (IDictionary<string, object?>)current[key]!);
}
