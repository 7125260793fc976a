using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>
/// Serves the webhook's TLS certificate to Kestrel (<see cref="Current"/>, for <c>ServerCertificateSelector</c>) and
/// the CA bundle the API server must trust (<see cref="CaBundle"/>). A mounted certificate is reloaded when its files
/// change (Secret rotation by cert-manager) without a restart; with none mounted a self-signed CA and serving
/// certificate are generated in memory.
/// </summary>
public sealed class WebhookCertificateProvider : IDisposable
{
    private const string CertificateFile = "tls.crt";
    private const string KeyFile = "tls.key";
    private const string CaFile = "ca.crt";

    /// <summary>Several file events arrive per Secret update (the kubelet swaps a symlink); reload once they settle.</summary>
    private static readonly TimeSpan ReloadDelay = TimeSpan.FromMilliseconds(300);

    private readonly ILogger logger;
    private readonly string? directory;
    private readonly FileSystemWatcher? watcher;
    private readonly Timer? reloadTimer;
    private volatile Loaded loaded;

    private WebhookCertificateProvider(Loaded initial, string? directory, ILogger logger)
    {
        loaded = initial;
        this.directory = directory;
        this.logger = logger;
        if (directory is null)
        {
            return;
        }

        reloadTimer = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.DirectoryName };
        FileSystemEventHandler schedule = (_, _) => reloadTimer.Change(ReloadDelay, Timeout.InfiniteTimeSpan);
        watcher.Changed += schedule;
        watcher.Created += schedule;
        watcher.Deleted += schedule;
        watcher.Renamed += (_, _) => reloadTimer.Change(ReloadDelay, Timeout.InfiniteTimeSpan);
        watcher.EnableRaisingEvents = true;
    }

    /// <summary>Raised after a mounted certificate was reloaded.</summary>
    public event EventHandler? Reloaded;

    /// <summary>The serving certificate, with its private key.</summary>
    public X509Certificate2 Current => loaded.Certificate;

    /// <summary>PEM of the CA(s) that sign <see cref="Current"/>: the value of a webhook configuration's <c>caBundle</c>.</summary>
    public byte[] CaBundle => loaded.CaBundle;

    /// <summary>True when the certificate was generated at start-up rather than mounted.</summary>
    public bool IsGenerated => directory is null;

    /// <summary>Loads the mounted certificate, or generates one when the folder holds none.</summary>
    public static WebhookCertificateProvider Create(WebhookCertificateOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var folder = options.CertificateDirectory;
        if (folder is not null && File.Exists(Path.Combine(folder, CertificateFile)) && File.Exists(Path.Combine(folder, KeyFile)))
        {
            logger.LogInformation("Serving webhooks with the certificate mounted in {Directory}", folder);
            return new WebhookCertificateProvider(Load(folder), folder, logger);
        }

        logger.LogInformation("No webhook certificate mounted; generating a self-signed CA and serving certificate for {DnsNames}",
            string.Join(", ", options.DnsNames));
        return new WebhookCertificateProvider(Generate(options), null, logger);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        watcher?.Dispose();
        reloadTimer?.Dispose();
    }

    private void Reload()
    {
        try
        {
            loaded = Load(directory!);
            logger.LogInformation("Reloaded the webhook certificate from {Directory} (expires {NotAfter:u})", directory, loaded.Certificate.NotAfter);
            Reloaded?.Invoke(this, EventArgs.Empty);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            // A half-written update: keep serving the previous certificate, the next file event retries.
            logger.LogWarning("Could not reload the webhook certificate from {Directory}: {Reason}; keeping the previous one", directory, e.GetType().Name);
        }
    }

    private static Loaded Load(string folder)
    {
        var certificatePath = Path.Combine(folder, CertificateFile);
        using var pem = X509Certificate2.CreateFromPemFile(certificatePath, Path.Combine(folder, KeyFile));
        var certificate = ForTls(pem);
        var caPath = Path.Combine(folder, CaFile);
        var bundle = File.ReadAllBytes(File.Exists(caPath) ? caPath : certificatePath);
        return new Loaded(certificate, bundle);
    }

    private static Loaded Generate(WebhookCertificateOptions options)
    {
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        var notAfter = notBefore.Add(options.GeneratedValidity);

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=image-operator-webhook-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = options.DnsNames.Count > 0 ? options.DnsNames[0] : "image-operator-webhook";
        var request = new CertificateRequest($"CN={subject}", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in options.DnsNames)
        {
            names.AddDnsName(dns);
        }

        foreach (var ip in options.IpAddresses)
        {
            names.AddIpAddress(ip);
        }

        request.CertificateExtensions.Add(names.Build(true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // a positive serial number
        using var signed = request.Create(ca, notBefore, notAfter, serial);
        using var withKey = signed.CopyWithPrivateKey(serverKey);

        var bundle = Encoding.ASCII.GetBytes(ca.ExportCertificatePem() + "\n");
        return new Loaded(ForTls(withKey), bundle);
    }

    /// <summary>Round-trips through PKCS#12 so the key is usable by SslStream on every platform (not an ephemeral key).</summary>
    private static X509Certificate2 ForTls(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    private sealed record Loaded(X509Certificate2 Certificate, byte[] CaBundle);
}
