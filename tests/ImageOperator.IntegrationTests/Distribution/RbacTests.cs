using System.Text.Json.Nodes;
using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.IntegrationTests.Controllers;
using ImageOperator.Runtime.Webhooks;
using ImageOperator.Testing;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ImageOperator.IntegrationTests.Distribution;

/// <summary>
/// The chart's ServiceAccount, ClusterRole and Role, installed for real: they allow every call the operator makes
/// (the operator runs with a token of that ServiceAccount and completes an import, with leader election and the
/// webhooks' certificate Secret and caBundle injection) and nothing else that matters.
/// </summary>
[Collection(TestCollections.Stack)]
public sealed class RbacTests(ControlPlaneFixture controlPlane, S3ServerFixture s3) : IAsyncLifetime
{
    private readonly string _release = $"rbac-{Guid.NewGuid().ToString("N")[..8]}";
    private string _namespace = null!;
    private RenderedChart _chart = null!;

    private string CertificateSecret => $"{_release}-webhook-generated-cert";

    private string ServiceAccount => $"system:serviceaccount:{_namespace}:{_release}";

    public async Task InitializeAsync()
    {
        await controlPlane.InstallCrdsAsync();
        _namespace = await controlPlane.CreateNamespaceAsync("rbac");
        // Webhooks that never fire (no object carries the selector's label) but that the operator must patch.
        _chart = await HelmChart.TemplateAsync(_release, _namespace, "webhook: {failurePolicy: Ignore}");
        var manifest = string.Join("---\n", _chart.Objects
            .Where(o => o["kind"] is "ServiceAccount" or "ClusterRole" or "ClusterRoleBinding" or "Role" or "RoleBinding"
                or "ValidatingWebhookConfiguration" or "MutatingWebhookConfiguration")
            .Select(o =>
            {
                foreach (var webhook in (o.GetValueOrDefault("webhooks") as IList<object?>) ?? [])
                {
                    ((IDictionary<string, object?>)webhook!)["objectSelector"] = YamlMaps.ParseMap($"matchLabels: {{rbac-test: {_release}}}");
                }

                return YamlMaps.Emit(o);
            }));
        (await controlPlane.KubectlWithInputAsync(manifest, "apply", "-n", _namespace, "-f", "-")).EnsureSuccess();
    }

    public async Task DisposeAsync()
    {
        foreach (var kubeconfig in Directory.EnumerateFiles(Path.GetTempPath(), $"{_release}*.kubeconfig"))
        {
            File.Delete(kubeconfig);
        }
        await controlPlane.KubectlAsync("delete", "--ignore-not-found", "--wait=false",
            $"clusterrole/{_release}-manager", $"clusterrolebinding/{_release}-manager",
            $"validatingwebhookconfiguration/{_release}-validating-webhook", $"mutatingwebhookconfiguration/{_release}-mutating-webhook");
        await controlPlane.KubectlAsync("delete", "namespace", _namespace, "--wait=false");
    }

    [Theory]
    [InlineData("get,list,watch,create,update,patch", "customimages.imageoperator.io,imageimports.imageoperator.io,imageexports.imageoperator.io", "")]
    [InlineData("get,update,patch", "customimages.imageoperator.io/status,imageimports.imageoperator.io/status,imageexports.imageoperator.io/status", "")]
    [InlineData("update", "customimages.imageoperator.io/finalizers,imageexports.imageoperator.io/finalizers", "")]
    [InlineData("get,list,watch", "computeshapes.imageoperator.io", "")]
    [InlineData("get,create,update", "secrets", "")]
    [InlineData("create,patch", "events", "")]
    [InlineData("get,update", "validatingwebhookconfigurations/{release}-validating-webhook,mutatingwebhookconfigurations/{release}-mutating-webhook", "")]
    [InlineData("get,create,update", "leases.coordination.k8s.io", "{namespace}")]
    [InlineData("create", "secrets", "{namespace}")]
    [InlineData("get,update", "secrets/{release}-webhook-generated-cert", "{namespace}")]
    public async Task Service_account_may_make_the_operators_calls(string verbs, string resources, string ns)
    {
        foreach (var verb in verbs.Split(','))
        {
            foreach (var resource in resources.Replace("{release}", _release, StringComparison.Ordinal).Split(','))
            {
                (await CanAsync(verb, resource, ns.Replace("{namespace}", _namespace, StringComparison.Ordinal)))
                    .Should().BeTrue($"the operator needs to {verb} {resource}");
            }
        }
    }

    [Theory]
    [InlineData("delete", "customimages.imageoperator.io", "")]
    [InlineData("create", "computeshapes.imageoperator.io", "")]
    [InlineData("delete", "computeshapes.imageoperator.io", "")]
    [InlineData("list", "secrets", "")]
    [InlineData("watch", "secrets", "")]
    [InlineData("delete", "secrets", "")]
    [InlineData("list", "secrets", "{namespace}")]
    [InlineData("delete", "secrets/{release}-webhook-generated-cert", "{namespace}")]
    [InlineData("patch", "secrets/{release}-webhook-generated-cert", "{namespace}")]
    [InlineData("delete", "namespaces", "")]
    [InlineData("create", "pods", "")]
    [InlineData("create", "clusterrolebindings.rbac.authorization.k8s.io", "")]
    [InlineData("update", "customresourcedefinitions.apiextensions.k8s.io", "")]
    [InlineData("create", "validatingwebhookconfigurations", "")]
    [InlineData("update", "validatingwebhookconfigurations/someone-elses-webhook", "")]
    [InlineData("update", "leases.coordination.k8s.io", "kube-system")]
    [InlineData("get", "configmaps", "")]
    public async Task Service_account_may_not_do_anything_else(string verb, string resource, string ns) =>
        (await CanAsync(verb, resource.Replace("{release}", _release, StringComparison.Ordinal), ns.Replace("{namespace}", _namespace, StringComparison.Ordinal)))
            .Should().BeFalse($"the operator never needs to {verb} {resource}");

    [Fact]
    public async Task Operator_imports_with_a_token_of_the_charts_service_account()
    {
        var kubeconfig = await ServiceAccountKubeconfigAsync(_release);
        using var images = await TestImages.CreateAsync();
        await using var harness = await OperatorHarness.StartAsync(controlPlane, s3, "rbac-import",
            "--kubeconfig", kubeconfig,
            "--ImageOperator:LeaderElection:Enabled=true",
            $"--ImageOperator:LeaderElection:Namespace={_namespace}",
            $"--ImageOperator:LeaderElection:LeaseName={_release}-leader",
            "--ImageOperator:Webhooks:Enabled=true",
            "--ImageOperator:Webhooks:Port=0",
            "--ImageOperator:Webhooks:BindAddress=127.0.0.1",
            $"--ImageOperator:Webhooks:CertificateDirectory={images.Directory}",
            $"--ImageOperator:Webhooks:ServiceNamespace={_namespace}",
            $"--ImageOperator:Webhooks:CertificateSecretName={CertificateSecret}",
            $"--ImageOperator:Webhooks:ValidatingConfigurationName={_release}-validating-webhook",
            $"--ImageOperator:Webhooks:MutatingConfigurationName={_release}-mutating-webhook");
        var bucket = S3ServerFixture.NewBucketName("rbac");
        await harness.UploadAsync(bucket, "disk.qcow2", await images.InFormatAsync("qcow2"));

        await harness.ApplyAsync(Manifests.Import("rbac-import", "rbac-image", $"objectStore: {{bucket: {bucket}, object: disk.qcow2}}"));

        var import = await harness.WaitForAsync(harness.Imports, "rbac-import", i => i.Status.Phase is ImportPhase.Succeeded or ImportPhase.Failed);
        import.Status.Phase.Should().Be(ImportPhase.Succeeded, KubernetesJson.Serialize(import.Status));
        (await harness.Images.GetAsync("rbac-image", harness.Namespace))!.Status.LifecycleState.Should().Be(ImageLifecycleState.Available);
        var lease = await controlPlane.Client.CoordinationV1.ReadNamespacedLeaseAsync($"{_release}-leader", _namespace);
        lease.Spec.HolderIdentity.Should().NotBeNullOrEmpty();
        var secret = await controlPlane.KubectlAsync("get", "secret", CertificateSecret, "-n", _namespace, "-o", "jsonpath={.data.ca\\.crt}");
        var sharedCa = secret.EnsureSuccess().StandardOutput;
        sharedCa.Should().NotBeNullOrWhiteSpace("the operator shares its generated certificate through the chart's Secret");
        foreach (var kind in new[] { "validatingwebhookconfiguration", "mutatingwebhookconfiguration" })
        {
            var name = kind.StartsWith('v') ? $"{_release}-validating-webhook" : $"{_release}-mutating-webhook";
            var bundle = await controlPlane.KubectlAsync("get", kind, name, "-o", "jsonpath={.webhooks[0].clientConfig.caBundle}");
            bundle.EnsureSuccess().StandardOutput.Should().Be(sharedCa, $"the operator writes the shared CA into {name}");
        }
    }

    private async Task<bool> CanAsync(string verb, string resource, string ns)
    {
        var result = await controlPlane.KubectlAsync([
            "auth", "can-i", verb, resource, $"--as={ServiceAccount}", .. (ns.Length > 0 ? new[] { "-n", ns } : ["--all-namespaces"])]);
        return result.StandardOutput.Trim() switch
        {
            "yes" => true,
            "no" => false,
            _ => throw new InvalidOperationException(result.ToString()),
        };
    }

    [Fact]
    public async Task Webhook_certificate_role_alone_lets_a_replica_create_and_rotate_the_shared_certificate()
    {
        // A ServiceAccount bound to nothing but the chart's webhook-certificate Role, so that the ClusterRole's broader
        // Secret rule cannot hide a rule missing from the Role.
        var account = $"{_release}-certificate-only";
        (await controlPlane.KubectlAsync("create", "serviceaccount", account, "-n", _namespace)).EnsureSuccess();
        (await controlPlane.KubectlAsync("create", "rolebinding", account, "-n", _namespace,
            $"--role={_release}-webhook-certificate", $"--serviceaccount={_namespace}:{account}")).EnsureSuccess();
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(await ServiceAccountKubeconfigAsync(account)));
        var options = new WebhookCertificateOptions { CertificateDirectory = null, SecretName = CertificateSecret, SecretNamespace = _namespace };
        options.DnsNames.Add($"{_release}-webhook.{_namespace}.svc");
        using var provider = WebhookCertificateProvider.Create(options, NullLogger.Instance);
        var sharing = new SharedWebhookCertificate(client, options, provider, NullLogger<SharedWebhookCertificate>.Instance);

        var created = await sharing.EnsureAsync(CancellationToken.None);
        var secret = await controlPlane.Client.CoreV1.ReadNamespacedSecretAsync(CertificateSecret, _namespace);
        secret.Data = WebhookCertificateMaterial.Generate(options, DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1)).ToSecretData();
        await controlPlane.Client.CoreV1.ReplaceNamespacedSecretAsync(secret, CertificateSecret, _namespace);
        var rotated = await sharing.EnsureAsync(CancellationToken.None);

        rotated.Should().NotBe(created, "the expired certificate is replaced");
        WebhookCertificateMaterial.FromSecretData((await controlPlane.Client.CoreV1.ReadNamespacedSecretAsync(CertificateSecret, _namespace)).Data)
            .Should().Be(rotated);
    }

    /// <summary>A kubeconfig like the admin's, authenticated with a TokenRequest token of <paramref name="account"/>.</summary>
    private async Task<string> ServiceAccountKubeconfigAsync(string account)
    {
        var token = (await controlPlane.KubectlAsync("create", "token", account, "-n", _namespace, "--duration=1h")).EnsureSuccess().StandardOutput.Trim();
        var config = JsonNode.Parse((await controlPlane.KubectlAsync("config", "view", "--raw", "--minify", "--flatten", "-o", "json")).EnsureSuccess().StandardOutput)!;
        config["users"]![0]!["user"] = new JsonObject { ["token"] = token };
        var path = Path.Combine(Path.GetTempPath(), $"{account}.kubeconfig");
        await File.WriteAllTextAsync(path, config.ToJsonString());
        return path;
    }
}
