using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FluentAssertions;
using ImageOperator.IntegrationTests.Runtime;
using ImageOperator.Runtime.Webhooks;
using ImageOperator.Testing;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ImageOperator.IntegrationTests.Webhooks;

/// <summary>
/// Webhook replicas without a mounted certificate share one generated CA and serving certificate through a Secret
/// of the real API server: replicas started together agree on it, the webhook configurations trust exactly it, and
/// an expired or rotated Secret is replaced and picked up by running replicas.
/// </summary>
[Collection(TestCollections.ControlPlane)]
public sealed class SharedCertificateTests(ControlPlaneFixture controlPlane) : IAsyncLifetime
{
    private const string Service = "image-operator-webhook";

    private readonly string run = "cert-" + Guid.NewGuid().ToString("N")[..8];
    private string ns = null!;

    private Kubernetes Client => controlPlane.Client;

    private string SecretName => $"{run}-webhook-generated-cert";

    private string ValidatingName => $"{run}-validating";

    private string MutatingName => $"{run}-mutating";

    public async Task InitializeAsync()
    {
        ns = await controlPlane.CreateNamespaceAsync("webhook-cert");
        await CreateWebhookConfigurationsAsync();
    }

    public async Task DisposeAsync()
    {
        var api = Client.AdmissionregistrationV1;
        await api.DeleteValidatingWebhookConfigurationAsync(ValidatingName);
        await api.DeleteMutatingWebhookConfigurationAsync(MutatingName);
        await Client.CoreV1.DeleteNamespaceAsync(ns);
    }

    [Fact]
    public async Task Replicas_started_together_serve_one_CA_that_the_webhook_configurations_trust()
    {
        await using var first = new Replica(this);
        await using var second = new Replica(this);

        await Task.WhenAll(first.StartAsync(), second.StartAsync());

        var shared = await ReadSecretAsync();
        shared.Problem(Options(), DateTimeOffset.UtcNow).Should().BeNull();
        var bundle = Encoding.ASCII.GetBytes(shared.CaBundlePem);
        first.Certificates.CaBundle.Should().Equal(bundle);
        second.Certificates.CaBundle.Should().Equal(bundle);
        (await CaBundlesAsync()).Should().AllSatisfy(caBundle => caBundle.Should().Equal(bundle), "every webhook trusts the shared CA");
        var servedByFirst = await HandshakeAsync(first.Port, shared.CaBundlePem);
        var servedBySecond = await HandshakeAsync(second.Port, shared.CaBundlePem);
        servedByFirst.Should().Be(servedBySecond, "both replicas serve the one shared certificate");
    }

    [Fact]
    public async Task Concurrent_first_starts_create_one_Secret_and_agree_on_it()
    {
        var options = Options();
        using var provider = WebhookCertificateProvider.Create(options, NullLogger.Instance);
        var sharing = new SharedWebhookCertificate(Client, options, provider, NullLogger<SharedWebhookCertificate>.Instance);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => sharing.EnsureAsync(CancellationToken.None))));

        results.Distinct().Should().ContainSingle("the replicas that lost the creation race use the winner's certificate");
        (await ReadSecretAsync()).Should().Be(results[0]);
    }

    [Fact]
    public async Task An_expired_Secret_is_replaced_and_a_running_replica_picks_up_a_rotated_one()
    {
        var expired = WebhookCertificateMaterial.Generate(Options(), DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        await Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = SecretName }, Type = "kubernetes.io/tls", Data = expired.ToSecretData() }, ns);

        await using var replica = new Replica(this, refreshInterval: TimeSpan.FromMilliseconds(500));
        await replica.StartAsync();

        var renewed = await ReadSecretAsync();
        renewed.Should().NotBe(expired);
        renewed.Problem(Options(), DateTimeOffset.UtcNow).Should().BeNull();
        renewed.CaBundlePem.Should().NotContain(expired.FirstCa()!.ExportCertificatePem(), "an expired CA is not kept in the bundle");
        (await CaBundlesAsync()).Should().AllSatisfy(caBundle => Encoding.ASCII.GetString(caBundle).Should().Be(renewed.CaBundlePem));
        await HandshakeAsync(replica.Port, renewed.CaBundlePem);

        // Another replica rotates the certificate (here: the test, as one whose DNS names changed would).
        var secret = await Client.CoreV1.ReadNamespacedSecretAsync(SecretName, ns);
        var rotated = WebhookCertificateMaterial.Generate(Options(), renewed.FirstCa());
        secret.Data = rotated.ToSecretData();
        await Client.CoreV1.ReplaceNamespacedSecretAsync(secret, SecretName, ns);

        var rotatedThumbprint = X509Certificate2.CreateFromPem(rotated.CertificatePem).Thumbprint;
        await Eventually.HoldsAsync(() => replica.Certificates.Current.Thumbprint == rotatedThumbprint, "the running replica to load the rotated Secret", TimeSpan.FromSeconds(15));
        await Eventually.GetAsync(CaBundlesAsync, bundles => bundles.All(b => Encoding.ASCII.GetString(b) == rotated.CaBundlePem), "the webhook configurations to trust the rotated bundle");
        (await HandshakeAsync(replica.Port, rotated.CaBundlePem)).Should().Be(rotatedThumbprint);
        rotated.CaBundlePem.Should().Contain(renewed.FirstCa()!.ExportCertificatePem(), "replicas still serving the previous certificate stay trusted");
    }

    private WebhookCertificateOptions Options(TimeSpan? refreshInterval = null)
    {
        var options = new WebhookCertificateOptions
        {
            CertificateDirectory = null,
            SecretName = SecretName,
            SecretNamespace = ns,
            RefreshInterval = refreshInterval ?? TimeSpan.FromMinutes(1),
        };
        foreach (var name in WebhookCertificateOptions.ServiceDnsNames(Service, ns))
        {
            options.DnsNames.Add(name);
        }

        return options;
    }

    private async Task<WebhookCertificateMaterial> ReadSecretAsync() =>
        WebhookCertificateMaterial.FromSecretData((await Client.CoreV1.ReadNamespacedSecretAsync(SecretName, ns)).Data)
        ?? throw new InvalidOperationException($"Secret {SecretName} lacks a key");

    private async Task<IReadOnlyList<byte[]>> CaBundlesAsync()
    {
        var api = Client.AdmissionregistrationV1;
        var validating = await api.ReadValidatingWebhookConfigurationAsync(ValidatingName);
        var mutating = await api.ReadMutatingWebhookConfigurationAsync(MutatingName);
        return [.. validating.Webhooks.Select(w => w.ClientConfig.CaBundle ?? []), .. mutating.Webhooks.Select(w => w.ClientConfig.CaBundle ?? [])];
    }

    /// <summary>A TLS handshake as the API server makes it: the Service's DNS name, trusting only <paramref name="caBundlePem"/>.</summary>
    private async Task<string> HandshakeAsync(int port, string caBundlePem)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPem(caBundlePem);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, chain, errors) =>
        {
            if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None || certificate is not X509Certificate2 served)
            {
                return false;
            }

            using var trusted = new X509Chain();
            trusted.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            trusted.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            trusted.ChainPolicy.CustomTrustStore.AddRange(authorities);
            return trusted.Build(served);
        });
        await tls.AuthenticateAsClientAsync($"{Service}.{ns}.svc");
        return tls.RemoteCertificate!.GetCertHashString();
    }

    private async Task CreateWebhookConfigurationsAsync()
    {
        // Never called: no object carries the selector's label. The replicas only write their caBundle.
        var selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["imageoperator.io/certificate-test"] = run } };
        var clientConfig = new Admissionregistrationv1WebhookClientConfig { Url = "https://127.0.0.1:9/validate" };
        var rules = new List<V1RuleWithOperations>
        {
            new() { ApiGroups = ["imageoperator.io"], ApiVersions = ["v1alpha1"], Operations = ["CREATE"], Resources = ["customimages"], Scope = "Namespaced" },
        };
        await Client.AdmissionregistrationV1.CreateValidatingWebhookConfigurationAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = ValidatingName },
            Webhooks =
            [
                new V1ValidatingWebhook { Name = $"a.{run}.imageoperator.io", ClientConfig = clientConfig, Rules = rules, ObjectSelector = selector, FailurePolicy = "Ignore", SideEffects = "None", AdmissionReviewVersions = ["v1"] },
                new V1ValidatingWebhook { Name = $"b.{run}.imageoperator.io", ClientConfig = clientConfig, Rules = rules, ObjectSelector = selector, FailurePolicy = "Ignore", SideEffects = "None", AdmissionReviewVersions = ["v1"] },
            ],
        });
        await Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = MutatingName },
            Webhooks =
            [
                new V1MutatingWebhook { Name = $"m.{run}.imageoperator.io", ClientConfig = clientConfig, Rules = rules, ObjectSelector = selector, FailurePolicy = "Ignore", SideEffects = "None", AdmissionReviewVersions = ["v1"] },
            ],
        });
    }

    /// <summary>One webhook replica: the runtime's certificate sharing, CA injection and HTTPS listener on a free port.</summary>
    private sealed class Replica : IAsyncDisposable
    {
        private readonly WebApplication app;

        public Replica(SharedCertificateTests test, TimeSpan? refreshInterval = null)
        {
            var builder = WebApplication.CreateBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IKubernetes>(test.Client);
            var options = test.Options(refreshInterval);
            builder.Services.AddWebhookCertificate(certificate =>
            {
                certificate.CertificateDirectory = options.CertificateDirectory;
                certificate.SecretName = options.SecretName;
                certificate.SecretNamespace = options.SecretNamespace;
                certificate.RefreshInterval = options.RefreshInterval;
                foreach (var name in options.DnsNames)
                {
                    certificate.DnsNames.Add(name);
                }
            });
            builder.Services.AddWebhookCaBundleInjection([test.ValidatingName], [test.MutatingName]);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, Port,
                listen => listen.UseWebhookCertificate(kestrel.ApplicationServices.GetRequiredService<WebhookCertificateProvider>())));
            app = builder.Build();
        }

        public int Port { get; } = FreePort.Next();

        public WebhookCertificateProvider Certificates => app.Services.GetRequiredService<WebhookCertificateProvider>();

        public Task StartAsync() => app.StartAsync();

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
