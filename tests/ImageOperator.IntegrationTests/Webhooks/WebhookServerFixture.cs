using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ImageOperator.Runtime.Webhooks;
using ImageOperator.Testing;
using ImageOperator.Webhooks;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ImageOperator.IntegrationTests.Webhooks;

/// <summary>Tests that run the webhook server in-process against the real API server.</summary>
[CollectionDefinition(Name)]
public sealed class WebhookCollection : ICollectionFixture<WebhookServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "webhooks";
}

/// <summary>
/// The operator's webhook registration (<see cref="WebhookRegistration.AddImageOperatorWebhooks"/>) served by Kestrel
/// on a free 127.0.0.1 port with its generated certificate (shared through a Secret in <see cref="Namespace"/>), and webhook configurations that send it the API
/// server's admission requests by <c>clientConfig.url</c>. The configurations start without a caBundle: the
/// server's start-up injection writes it, as in a cluster. They match only objects labelled with
/// <see cref="Label"/>=<see cref="RunId"/>, so that tests of other collections sharing the API server never reach
/// this server.
/// </summary>
public sealed class WebhookServerFixture : IAsyncLifetime
{
    /// <summary>The label that routes an object to this server.</summary>
    public const string Label = "imageoperator.io/webhook-test";

    private readonly ControlPlaneFixture controlPlane = new();
    private readonly string certificateDirectory = Directory.CreateTempSubdirectory("webhook-test-certs-").FullName;
    private WebApplication? app;

    /// <summary>Identifies this run's webhook configurations and objects.</summary>
    public string RunId { get; } = "run-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>The HTTPS port of the webhook server.</summary>
    public int Port { get; } = FreePort.Next();

    /// <summary>The API server.</summary>
    public ControlPlaneFixture ControlPlane => controlPlane;

    /// <summary>A namespace for the tests' objects; the operator's keys serve it in every bucket.</summary>
    public string Namespace { get; private set; } = "";

    /// <summary>A second namespace, which the operator's keys serve only under <c>&lt;namespace&gt;/</c> of buckets <c>images</c> and <c>image-exports</c>.</summary>
    public string TenantNamespace { get; private set; } = "";

    /// <summary>The operator's library bucket.</summary>
    public const string LibraryBucket = "image-library";

    private string ValidatingName => $"{RunId}-validating";

    private string MutatingName => $"{RunId}-mutating";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await controlPlane.InitializeAsync();
        await controlPlane.InstallCrdsAsync();
        (await controlPlane.KubectlAsync("apply", "-f", Path.Combine(RepositoryPaths.Samples, "shapes.yaml"))).EnsureSuccess();
        Namespace = await controlPlane.CreateNamespaceAsync("webhooks");
        TenantNamespace = await controlPlane.CreateNamespaceAsync("tenant");
        await RegisterConfigurationsAsync();

        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ImageOperator:Webhooks:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ImageOperator:Webhooks:BindAddress"] = "127.0.0.1",
            ["ImageOperator:Webhooks:CertificateDirectory"] = certificateDirectory,
            ["ImageOperator:Webhooks:ServiceNamespace"] = Namespace,
            ["ImageOperator:Webhooks:CertificateSecretName"] = $"{RunId}-webhook-cert",
            ["ImageOperator:Webhooks:ValidatingConfigurationName"] = ValidatingName,
            ["ImageOperator:Webhooks:MutatingConfigurationName"] = MutatingName,
            // Admission talks to no object store; the stores and grants feed the tenancy rules only.
            ["ImageOperator:Library:Bucket"] = LibraryBucket,
            ["ImageOperator:ObjectStores:0:Name"] = "default",
            ["ImageOperator:ObjectStores:0:Endpoint"] = "http://127.0.0.1:9",
            ["ImageOperator:ObjectStores:0:Grants:0:Namespaces:0"] = Namespace,
            ["ImageOperator:ObjectStores:0:Grants:0:Buckets:0"] = "*",
            ["ImageOperator:ObjectStores:0:Grants:0:Access"] = "ReadWrite",
            ["ImageOperator:ObjectStores:0:Grants:1:Namespaces:0"] = "*",
            ["ImageOperator:ObjectStores:0:Grants:1:Buckets:0"] = "images",
            ["ImageOperator:ObjectStores:0:Grants:1:Buckets:1"] = "image-exports",
            ["ImageOperator:ObjectStores:0:Grants:1:Prefix"] = "{namespace}/",
            ["ImageOperator:ObjectStores:0:Grants:1:Access"] = "ReadWrite",
            ["ImageOperator:ObjectStores:1:Name"] = "backup",
            ["ImageOperator:ObjectStores:1:Endpoint"] = "http://127.0.0.2:9",
            ["ImageOperator:ObjectStores:1:Grants:0:Namespaces:0"] = Namespace,
            ["ImageOperator:ObjectStores:1:Grants:0:Buckets:0"] = "*",
            ["ImageOperator:ObjectStores:1:Grants:0:Access"] = "ReadWrite",
        });
        builder.Services.AddSingleton<IKubernetes>(controlPlane.Client);
        builder.AddImageOperatorWebhooks();
        app = builder.Build();
        app.MapImageOperatorWebhooks();
        await app.StartAsync();
        await WaitUntilServedAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        var api = controlPlane.Client.AdmissionregistrationV1;
        await IgnoreNotFound(() => api.DeleteValidatingWebhookConfigurationAsync(ValidatingName));
        await IgnoreNotFound(() => api.DeleteMutatingWebhookConfigurationAsync(MutatingName));
        if (Namespace.Length > 0)
        {
            await IgnoreNotFound(() => controlPlane.Client.CoreV1.DeleteNamespaceAsync(Namespace));
            await IgnoreNotFound(() => controlPlane.Client.CoreV1.DeleteNamespaceAsync(TenantNamespace));
        }

        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Directory.Delete(certificateDirectory, recursive: true);
        await controlPlane.DisposeAsync();
    }

    /// <summary>The serving certificate's provider (for the CA bundle).</summary>
    public WebhookCertificateProvider Certificates => app!.Services.GetRequiredService<WebhookCertificateProvider>();

    /// <summary>An HTTPS client that trusts exactly the webhook server's CA.</summary>
    public HttpClient CreateHttpClient()
    {
        var ca = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Certificates.CaBundle));
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    return certificate is X509Certificate2 served && chain.Build(served);
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{Port}") };
    }

    /// <summary>
    /// Labels the objects of <paramref name="manifest"/> for this run and applies them to <paramref name="ns"/>
    /// (<see cref="Namespace"/> by default); returns kubectl's result (a denial is a non-zero exit with the webhook's message on stderr).
    /// </summary>
    public async Task<ProcessResult> ApplyAsync(string manifest, string? ns = null)
    {
        // One document at a time: kubectl label --local prints several objects without "---" between them.
        var labelled = new List<string>();
        foreach (var document in manifest.Split("\n---", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var result = await controlPlane.KubectlWithInputAsync(document, "label", "--local", "-f", "-", "-o", "yaml", $"{Label}={RunId}");
            labelled.Add(result.EnsureSuccess().StandardOutput);
        }

        return await controlPlane.KubectlWithInputAsync(string.Join("---\n", labelled), "apply", "-n", ns ?? Namespace, "-f", "-");
    }

    private async Task RegisterConfigurationsAsync()
    {
        var selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [Label] = RunId } };
        V1ValidatingWebhook Validating(string kind, string plural, string scope, params string[] operations) => new()
        {
            Name = $"v{kind}.{RunId}.imageoperator.io",
            ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = $"https://127.0.0.1:{Port}/validate-imageoperator-io-v1alpha1-{kind}" },
            Rules = [new V1RuleWithOperations { ApiGroups = ["imageoperator.io"], ApiVersions = ["v1alpha1"], Operations = operations, Resources = [plural], Scope = scope }],
            ObjectSelector = selector,
            FailurePolicy = "Fail",
            SideEffects = "None",
            TimeoutSeconds = 5,
            AdmissionReviewVersions = ["v1"],
        };
        V1MutatingWebhook Mutating(string kind, string plural) => new()
        {
            Name = $"m{kind}.{RunId}.imageoperator.io",
            ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = $"https://127.0.0.1:{Port}/mutate-imageoperator-io-v1alpha1-{kind}" },
            Rules = [new V1RuleWithOperations { ApiGroups = ["imageoperator.io"], ApiVersions = ["v1alpha1"], Operations = ["CREATE"], Resources = [plural], Scope = "Namespaced" }],
            ObjectSelector = selector,
            FailurePolicy = "Fail",
            SideEffects = "None",
            TimeoutSeconds = 5,
            AdmissionReviewVersions = ["v1"],
        };

        var api = controlPlane.Client.AdmissionregistrationV1;
        await api.CreateValidatingWebhookConfigurationAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = ValidatingName },
            Webhooks =
            [
                Validating("customimage", "customimages", "Namespaced", "CREATE", "UPDATE", "DELETE"),
                Validating("imageimport", "imageimports", "Namespaced", "CREATE", "UPDATE"),
                Validating("imageexport", "imageexports", "Namespaced", "CREATE", "UPDATE"),
                Validating("computeshape", "computeshapes", "Cluster", "CREATE", "UPDATE"),
            ],
        });
        await api.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = MutatingName },
            Webhooks = [Mutating("imageimport", "imageimports"), Mutating("imageexport", "imageexports")],
        });
    }

    /// <summary>The API server picks configuration changes up asynchronously: wait until it calls this server.</summary>
    private async Task WaitUntilServedAsync()
    {
        const string Probe = """
            apiVersion: imageoperator.io/v1alpha1
            kind: CustomImage
            metadata: {name: probe}
            spec: {operatingSystem: Ubuntu, operatingSystemVersion: "22.04", launchMode: PARAVIRTUALIZED, shapeCompatibilities: [{shape: no-such-shape}]}
            """;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var result = await ApplyAsync(Probe);
            if (result.StandardError.Contains("no ComputeShape named 'no-such-shape'", StringComparison.Ordinal))
            {
                return;
            }

            if (result.Succeeded)
            {
                await controlPlane.KubectlAsync("delete", "customimage", "probe", "-n", Namespace, "--ignore-not-found");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the API server did not call the webhook server within 30 s: {result}");
            }

            await Task.Delay(250);
        }
    }

    private static async Task IgnoreNotFound(Func<Task> delete)
    {
        try
        {
            await delete();
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
        }
    }
}
