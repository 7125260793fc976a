using System.Security.Cryptography.X509Certificates;
using FluentAssertions;
using ImageOperator.Runtime.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

/// <summary>When a shared generated certificate may be served, and when a replica must replace it.</summary>
public sealed class WebhookCertificateMaterialTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void A_fresh_certificate_for_the_service_names_is_served()
    {
        var material = WebhookCertificateMaterial.Generate(Options("webhook.operators.svc"));

        material.Problem(Options("webhook.operators.svc"), Now).Should().BeNull();
        WebhookCertificateMaterial.FromSecretData(material.ToSecretData()).Should().Be(material);
    }

    [Fact]
    public void An_expired_certificate_is_replaced() =>
        WebhookCertificateMaterial.Generate(Options("webhook.operators.svc"), Now.AddDays(-10), Now.AddDays(-1))
            .Problem(Options("webhook.operators.svc"), Now).Should().Contain("expires at");

    [Fact]
    public void A_certificate_expiring_within_the_renewal_window_is_replaced()
    {
        var options = Options("webhook.operators.svc");
        var material = WebhookCertificateMaterial.Generate(options, Now.AddDays(-1), Now + options.RenewBefore - TimeSpan.FromHours(1));

        material.Problem(options, Now).Should().Contain("expires at");
        material.Problem(options, Now - TimeSpan.FromHours(2)).Should().BeNull("it was fine before the window opened");
    }

    [Fact]
    public void A_certificate_missing_a_service_name_is_replaced() =>
        WebhookCertificateMaterial.Generate(Options("webhook.operators.svc"))
            .Problem(Options("webhook.operators.svc", "webhook.elsewhere.svc"), Now).Should().Be("its certificate does not cover webhook.elsewhere.svc");

    [Fact]
    public void A_key_of_another_certificate_or_a_foreign_CA_is_replaced()
    {
        var options = Options("webhook.operators.svc");
        var one = WebhookCertificateMaterial.Generate(options);
        var other = WebhookCertificateMaterial.Generate(options);

        (one with { PrivateKeyPem = other.PrivateKeyPem }).Problem(options, Now).Should().Contain("cannot be read");
        (one with { CaBundlePem = other.CaBundlePem }).Problem(options, Now).Should().Contain("not signed by a CA");
        WebhookCertificateMaterial.FromSecretData(new Dictionary<string, byte[]> { ["tls.crt"] = [] }).Should().BeNull();
    }

    [Fact]
    public void A_still_valid_previous_CA_stays_in_the_bundle_and_an_expired_one_does_not()
    {
        var options = Options("webhook.operators.svc");
        using var valid = WebhookCertificateMaterial.Generate(options).FirstCa()!;
        using var expired = WebhookCertificateMaterial.Generate(options, Now.AddDays(-10), Now.AddDays(-1)).FirstCa()!;

        var carried = WebhookCertificateMaterial.Generate(options, valid);
        var dropped = WebhookCertificateMaterial.Generate(options, expired);

        Authorities(carried).Should().HaveCount(2).And.Contain(ca => ca.Thumbprint == valid.Thumbprint);
        Authorities(dropped).Should().ContainSingle();
        carried.Problem(options, Now).Should().BeNull("the new CA, first in the bundle, signs the certificate");
    }

    private static X509Certificate2Collection Authorities(WebhookCertificateMaterial material)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPem(material.CaBundlePem);
        return authorities;
    }

    private static WebhookCertificateOptions Options(params string[] dnsNames)
    {
        var options = new WebhookCertificateOptions();
        foreach (var name in dnsNames)
        {
            options.DnsNames.Add(name);
        }

        return options;
    }
}
