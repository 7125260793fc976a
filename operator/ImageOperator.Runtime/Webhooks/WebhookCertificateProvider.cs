using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>
/// Serves the webhook's TLS certificate to Kestrel (<see cref="Current"/>, for <c>ServerCertificateSelector</c>) and
/// the CA bundle the API server must trust (<see cref="CaBundle"/>). A mounted certificate is reloaded when its files
/// change (Secret rotation by cert-manager) without a restart. With none mounted, a CA and serving certificate are
/// generated: shared by every replica through a Secret when <see cref="WebhookCertificateOptions.SecretName"/> is set
/// (loaded by <see cref="SharedWebhookCertificate"/> before the server listens), else in memory for this process.
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
    private volatile Loaded? loaded;

    private WebhookCertificateProvider(WebhookCertificateSource source, string? directory, ILogger logger)
    {
        Source = source;
        this.directory = directory;
        this.logger = logger;
        if (directory is null)
        {
            return;
        }

        loaded = Load(directory);
        reloadTimer = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.DirectoryName };
        FileSystemEventHandler schedule = (_, _) => reloadTimer.Change(ReloadDelay, Timeout.InfiniteTimeSpan);
        watcher.Changed += schedule;
        watcher.Created += schedule;
        watcher.Deleted += schedule;
        watcher.Renamed += (_, _) => reloadTimer.Change(ReloadDelay, Timeout.InfiniteTimeSpan);
        watcher.EnableRaisingEvents = true;
    }

    /// <summary>Raised after the certificate changed: mounted files were rewritten, or the shared Secret was rotated.</summary>
    public event EventHandler? Reloaded;

    /// <summary>The serving certificate, with its private key.</summary>
    /// <exception cref="InvalidOperationException">The shared certificate has not been loaded yet.</exception>
    public X509Certificate2 Current => Require().Certificate;

    /// <summary>PEM of the CA(s) that sign <see cref="Current"/>: the value of a webhook configuration's <c>caBundle</c>.</summary>
    /// <exception cref="InvalidOperationException">The shared certificate has not been loaded yet.</exception>
    public byte[] CaBundle => Require().CaBundle;

    /// <summary>True when the certificate was generated rather than mounted.</summary>
    public bool IsGenerated => Source != WebhookCertificateSource.Mounted;

    /// <summary>Where the certificate comes from.</summary>
    internal WebhookCertificateSource Source { get; }

    /// <summary>
    /// Loads the mounted certificate; with none mounted, waits for the shared Secret when
    /// <see cref="WebhookCertificateOptions.SecretName"/> is set, else generates a certificate in memory.
    /// </summary>
    public static WebhookCertificateProvider Create(WebhookCertificateOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var folder = options.CertificateDirectory;
        if (folder is not null && File.Exists(Path.Combine(folder, CertificateFile)) && File.Exists(Path.Combine(folder, KeyFile)))
        {
            logger.LogInformation("Serving webhooks with the certificate mounted in {Directory}", folder);
            return new WebhookCertificateProvider(WebhookCertificateSource.Mounted, folder, logger);
        }

        if (options.SharesThroughSecret)
        {
            logger.LogInformation("No webhook certificate mounted; sharing a generated one through Secret {Namespace}/{Name}",
                options.SecretNamespace, options.SecretName);
            return new WebhookCertificateProvider(WebhookCertificateSource.Secret, null, logger);
        }

        logger.LogInformation("No webhook certificate mounted; generating a CA and serving certificate for {DnsNames} (this process only)",
            string.Join(", ", options.DnsNames));
        var provider = new WebhookCertificateProvider(WebhookCertificateSource.Generated, null, logger);
        provider.loaded = Loaded.From(WebhookCertificateMaterial.Generate(options));
        return provider;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        watcher?.Dispose();
        reloadTimer?.Dispose();
    }

    /// <summary>Serves <paramref name="material"/> from now on; raises <see cref="Reloaded"/> when it replaces other material.</summary>
    internal void Use(WebhookCertificateMaterial material)
    {
        var previous = loaded;
        if (previous?.Material == material)
        {
            return;
        }

        loaded = Loaded.From(material);
        if (previous is not null)
        {
            logger.LogInformation("Serving the rotated webhook certificate (expires {NotAfter:u})", loaded.Certificate.NotAfter.ToUniversalTime());
            Reloaded?.Invoke(this, EventArgs.Empty);
        }
    }

    /// <summary>Round-trips through PKCS#12 so the key is usable by SslStream on every platform (not an ephemeral key).</summary>
    internal static X509Certificate2 ForTls(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    private Loaded Require() =>
        loaded ?? throw new InvalidOperationException("the webhook certificate has not been loaded from its Secret yet");

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
        var caPath = Path.Combine(folder, CaFile);
        var bundle = File.ReadAllBytes(File.Exists(caPath) ? caPath : certificatePath);
        return new Loaded(ForTls(pem), bundle, null);
    }

    private sealed record Loaded(X509Certificate2 Certificate, byte[] CaBundle, WebhookCertificateMaterial? Material)
    {
        public static Loaded From(WebhookCertificateMaterial material) =>
            new(material.ToServingCertificate(), Encoding.ASCII.GetBytes(material.CaBundlePem), material);
    }
}

/// <summary>Where a <see cref="WebhookCertificateProvider"/>'s certificate comes from.</summary>
internal enum WebhookCertificateSource
{
    /// <summary>Files mounted in <see cref="WebhookCertificateOptions.CertificateDirectory"/>.</summary>
    Mounted,

    /// <summary>Generated in memory for this process.</summary>
    Generated,

    /// <summary>Generated once and shared by every replica through <see cref="WebhookCertificateOptions.SecretName"/>.</summary>
    Secret,
}
