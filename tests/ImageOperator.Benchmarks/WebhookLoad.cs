using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Text;
using ImageOperator.Runtime.Webhooks;
using ImageOperator.Webhooks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ImageOperator.Benchmarks;

/// <summary>
/// Sends AdmissionReviews at a fixed rate (open loop: a slow answer does not slow the sender) to the webhook
/// endpoints served in-process by Kestrel over TLS with a generated certificate, and reports client-side latency,
/// the server-side time of each answer (its <c>Server-Timing</c> header) and errors.
/// </summary>
internal static class WebhookLoad
{
    /// <summary>The requests, sent in turn: validation with shape lookups, a Windows import with warnings, a mutation.</summary>
    private static readonly (string Path, string Body, bool Allowed)[] Reviews =
    [
        (WebhookRegistration.ValidateCustomImagePath, Review("CustomImage", """
            {"apiVersion":"imageoperator.io/v1alpha1","kind":"CustomImage","metadata":{"name":"ol8","namespace":"bench"},
             "spec":{"displayName":"Oracle Linux 8 web server","operatingSystem":"Oracle Linux","operatingSystemVersion":"8.9","launchMode":"PARAVIRTUALIZED",
                     "builtOnHardwareGeneration":"X5","shapeCompatibilities":[{"shape":"vm.standard2.1"},{"shape":"vm.standard2.4"},
                     {"shape":"vm.standard.e4.flex","ocpuConstraints":{"min":1,"max":8},"memoryConstraints":{"minInGBs":4,"maxInGBs":128}}]}}
            """), true),
        (WebhookRegistration.ValidateImageImportPath, Review("ImageImport", """
            {"apiVersion":"imageoperator.io/v1alpha1","kind":"ImageImport","metadata":{"name":"win","namespace":"bench"},
             "spec":{"source":{"url":{"url":"https://objectstorage.example.com/n/tenancy/b/images/o/win2019.vmdk"}},"sourceImageType":"VMDK",
                     "imageName":"win2019","operatingSystem":"Windows","operatingSystemVersion":"Server 2019 Standard","launchMode":"PARAVIRTUALIZED",
                     "licenseAttestation":{"windowsLicenseCompliant":true},"shapeCompatibilities":[{"shape":"vm.standard2.4"}]}}
            """), true),
        (WebhookRegistration.MutateImageImportPath, Review("ImageImport", """
            {"apiVersion":"imageoperator.io/v1alpha1","kind":"ImageImport","metadata":{"name":"oci","namespace":"bench"},
             "spec":{"source":{"objectStore":{"bucket":"images","object":"ol8.oci"}},"sourceImageType":"OCI","imageName":"ol8","launchMode":"EMULATED"}}
            """), true),
    ];

    public static async Task<int> RunAsync(int rate, TimeSpan duration, string shapesYaml)
    {
        await using var app = await StartServerAsync(shapesYaml);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var client = new HttpClient(new SocketsHttpHandler
        {
            // The certificate is this process's own: the bench measures the webhook, not PKI.
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            MaxConnectionsPerServer = 64,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(5) };

        // Warm-up: JIT, TLS sessions, connection pool.
        for (var i = 0; i < 200; i++)
        {
            await SendAsync(client, Reviews[i % Reviews.Length]);
        }

        // Figures taken on a busy machine mean little: print its load with them.
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
        var total = (int)(rate * duration.TotalSeconds);
        var clientMs = new ConcurrentBag<double>();
        var serverMs = new ConcurrentBag<double>();
        var errors = 0;
        var pending = new List<Task>(total);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            var wait = due - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var review = Reviews[i % Reviews.Length];
            pending.Add(RecordAsync(review));
        }

        await Task.WhenAll(pending);

        async Task RecordAsync((string Path, string Body, bool Allowed) review)
        {
            var (ok, clientTime, serverTime) = await SendAsync(client, review);
            if (!ok)
            {
                Interlocked.Increment(ref errors);
                return;
            }

            clientMs.Add(clientTime);
            serverMs.Add(serverTime);
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        var serverP99 = Percentile(serverMs, 0.99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            webhook load: load average before {load}; {total} AdmissionReviews in {elapsed.TotalSeconds:0.0} s ({total / elapsed.TotalSeconds:0.0}/s target {rate}/s), errors {errors}
              server (Server-Timing)  p50 {Percentile(serverMs, 0.50):0.000} ms  p90 {Percentile(serverMs, 0.90):0.000} ms  p99 {serverP99:0.000} ms  max {serverMs.DefaultIfEmpty().Max():0.000} ms
              client (HTTPS round trip) p50 {Percentile(clientMs, 0.50):0.000} ms  p90 {Percentile(clientMs, 0.90):0.000} ms  p99 {Percentile(clientMs, 0.99):0.000} ms  max {clientMs.DefaultIfEmpty().Max():0.000} ms
              goal server p99 < 10 ms and no errors: {(serverP99 < 10 && errors == 0 ? "met" : "NOT met")}
            """));
        return errors == 0 ? 0 : 1;
    }

    private static async Task<WebApplication> StartServerAsync(string shapesYaml)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IAdmissionLookup>(CatalogueLookup.Load(shapesYaml));
        builder.Services.AddAdmissionWebhooks();
        builder.Services.AddWebhookCertificate(options => options.CertificateDirectory = null);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0,
            listen => listen.UseWebhookCertificate(kestrel.ApplicationServices.GetRequiredService<WebhookCertificateProvider>())));
        var app = builder.Build();
        app.MapAdmissionWebhooks();
        await app.StartAsync();
        return app;
    }

    private static async Task<(bool Ok, double ClientMs, double ServerMs)> SendAsync(HttpClient client, (string Path, string Body, bool Allowed) review)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.PostAsync(review.Path, new StringContent(review.Body, Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadAsStringAsync();
            var clientMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var answered = response.StatusCode == HttpStatusCode.OK && body.Contains($"\"allowed\":{(review.Allowed ? "true" : "false")}", StringComparison.Ordinal);
            var timing = response.Headers.TryGetValues("Server-Timing", out var values) ? values.Single() : "";
            var serverMs = double.Parse(timing.AsSpan(timing.IndexOf('=') + 1), CultureInfo.InvariantCulture);
            return (answered, clientMs, serverMs);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException)
        {
            return (false, 0, 0);
        }
    }

    private static double Percentile(IEnumerable<double> values, double quantile)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];
    }

    private static string Review(string kind, string entity) =>
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"bench\",\"kind\":{\"group\":\"imageoperator.io\",\"version\":\"v1alpha1\",\"kind\":\""
        + kind + "\"},\"operation\":\"CREATE\",\"namespace\":\"bench\",\"userInfo\":{\"username\":\"bench\"},\"object\":" + entity + "}}";
}
