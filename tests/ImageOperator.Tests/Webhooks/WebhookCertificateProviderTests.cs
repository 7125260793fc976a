using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FluentAssertions;
using ImageOperator.Runtime.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class WebhookCertificateProviderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("webhook-certs-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Without_a_mounted_certificate_a_CA_and_a_serving_certificate_are_generated()
    {
        var options = new WebhookCertificateOptions { CertificateDirectory = directory };
        foreach (var name in WebhookCertificateOptions.ServiceDnsNames("image-operator-webhook", "image-operator-system"))
        {
            options.DnsNames.Add(name);
        }

        using var provider = WebhookCertificateProvider.Create(options, NullLogger.Instance);

        provider.IsGenerated.Should().BeTrue();
        provider.Current.HasPrivateKey.Should().BeTrue();
        var names = provider.Current.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        names.EnumerateDnsNames().Should().Contain("image-operator-webhook.image-operator-system.svc");
        names.EnumerateIPAddresses().Should().Contain(IPAddress.Loopback);
        ChainsTo(provider.Current, provider.CaBundle).Should().BeTrue();
    }

    [Fact]
    public void With_a_Secret_to_share_nothing_is_served_until_it_is_loaded()
    {
        var options = new WebhookCertificateOptions { CertificateDirectory = directory, SecretName = "webhook-cert", SecretNamespace = "operators" };

        using var provider = WebhookCertificateProvider.Create(options, NullLogger.Instance);

        provider.IsGenerated.Should().BeTrue();
        provider.Invoking(p => p.Current).Should().Throw<InvalidOperationException>().WithMessage("*not been loaded*");
    }

    [Fact]
    public async Task A_mounted_certificate_is_served_and_reloaded_when_its_files_change()
    {
        using var first = Generate("first.example");
        using var second = Generate("second.example");
        WriteMounted(first);
        using var provider = WebhookCertificateProvider.Create(new WebhookCertificateOptions { CertificateDirectory = directory }, NullLogger.Instance);
        var reloaded = new TaskCompletionSource();
        provider.Reloaded += (_, _) => reloaded.TrySetResult();

        provider.IsGenerated.Should().BeFalse();
        provider.Current.Thumbprint.Should().Be(first.Current.Thumbprint);

        WriteMounted(second);
        await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(10));

        provider.Current.Thumbprint.Should().Be(second.Current.Thumbprint);
        provider.CaBundle.Should().Equal(second.CaBundle, "ca.crt is the bundle when it is mounted");
    }

    [Fact]
    public async Task A_half_written_update_keeps_the_previous_certificate()
    {
        using var first = Generate("first.example");
        WriteMounted(first);
        using var provider = WebhookCertificateProvider.Create(new WebhookCertificateOptions { CertificateDirectory = directory }, NullLogger.Instance);

        await File.WriteAllTextAsync(Path.Combine(directory, "tls.key"), "-----BEGIN PRIVATE KEY-----\ntruncated");
        await Task.Delay(TimeSpan.FromSeconds(1));

        provider.Current.Thumbprint.Should().Be(first.Current.Thumbprint);
    }

    private static WebhookCertificateProvider Generate(string dnsName)
    {
        var options = new WebhookCertificateOptions { CertificateDirectory = null };
        options.DnsNames.Add(dnsName);
        return WebhookCertificateProvider.Create(options, NullLogger.Instance);
    }

    /// <summary>Writes the files cert-manager puts in a mounted Secret.</summary>
    private void WriteMounted(WebhookCertificateProvider source)
    {
        var key = source.Current.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();
        File.WriteAllText(Path.Combine(directory, "tls.key"), key);
        File.WriteAllText(Path.Combine(directory, "tls.crt"), source.Current.ExportCertificatePem());
        File.WriteAllBytes(Path.Combine(directory, "ca.crt"), source.CaBundle);
    }

    private static bool ChainsTo(X509Certificate2 certificate, byte[] caBundle)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(caBundle)));
        return chain.Build(certificate);
    }
}
