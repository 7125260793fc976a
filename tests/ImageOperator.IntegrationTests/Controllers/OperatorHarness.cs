using System.Security.Cryptography;
using System.Text;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Runtime.Entities;
using ImageOperator.Testing;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Minio;
using Minio.DataModel.Args;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>
/// The operator running in-process against the real API server and the real S3 server, watching one namespace of
/// its own (so test classes never see each other's objects), with a fresh library bucket and its S3 keys in a
/// Secret of that namespace. By default every namespace may use every bucket but the library with the operator's
/// keys; <see cref="StartTenantsAsync"/> instead watches tenant namespaces too and grants each of them only its own
/// prefix of one bucket. Also the tests' hands on both servers: kubectl, S3 uploads and downloads.
/// </summary>
public sealed class OperatorHarness : IAsyncDisposable
{
    /// <summary>Name of the second object store ("region").</summary>
    public const string SecondRegion = "region2";

    /// <summary>Name of a store configured with a wrong secret key.</summary>
    public const string WrongKeysStore = "wrong-keys";

    /// <summary>Name of the Secret holding a wrong secret key.</summary>
    public const string WrongKeysSecret = "s3-wrong-keys";

    /// <summary>Stands for <see cref="Namespace"/> in extra arguments, which are written before it exists.</summary>
    public const string HarnessNamespace = "{harness-namespace}";

    /// <summary>Name of the Secret holding the S3 keys.</summary>
    public const string CredentialsSecret = "s3-credentials";

    private static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(3);

    private readonly ControlPlaneFixture _controlPlane;
    private readonly S3ServerFixture _s3;
    private const int StoreCount = 3;

    private readonly string[] _extraArguments;
    private WebApplication? _app;

    private OperatorHarness(ControlPlaneFixture controlPlane, S3ServerFixture s3, string ns, IReadOnlyList<string> tenants, string? tenantBucket, string[] extraArguments)
    {
        _controlPlane = controlPlane;
        _s3 = s3;
        Namespace = ns;
        Tenants = tenants;
        TenantBucket = tenantBucket;
        _extraArguments = extraArguments;
        S3 = new MinioClient().WithEndpoint(s3.HostAndPort).WithSSL(s3.UseTls).WithCredentials(s3.AccessKey, s3.SecretKey).Build();
        Images = new EntityClient<CustomImage>(controlPlane.Client);
        Imports = new EntityClient<ImageImport>(controlPlane.Client);
        Exports = new EntityClient<ImageExport>(controlPlane.Client);
    }

    /// <summary>The namespace the operator watches and the tests create objects in.</summary>
    public string Namespace { get; }

    /// <summary>Tenant namespaces the operator watches besides <see cref="Namespace"/> (empty unless started by <see cref="StartTenantsAsync"/>).</summary>
    public IReadOnlyList<string> Tenants { get; }

    /// <summary>The one bucket tenants may use with the operator's keys, each under its own <c>&lt;namespace&gt;/</c> prefix; null when every bucket is granted.</summary>
    public string? TenantBucket { get; }

    /// <summary>The library bucket of this operator.</summary>
    public string LibraryBucket { get; } = S3ServerFixture.NewBucketName("library");

    /// <summary>An S3 client with the test user's keys.</summary>
    public IMinioClient S3 { get; }

    /// <summary>The S3 endpoint.</summary>
    public Uri S3Endpoint => _s3.Endpoint;

    /// <summary>Client of the CustomImages.</summary>
    public EntityClient<CustomImage> Images { get; }

    /// <summary>Client of the ImageImports.</summary>
    public EntityClient<ImageImport> Imports { get; }

    /// <summary>Client of the ImageExports.</summary>
    public EntityClient<ImageExport> Exports { get; }

    /// <summary>The Kubernetes client.</summary>
    public Kubernetes Kubernetes => _controlPlane.Client;

    /// <summary>Base URL of the running operator's metrics and health endpoints.</summary>
    public Uri MetricsUrl => new(_app!.Urls.First());

    /// <summary>Installs the CRDs, makes a namespace with the credentials Secret and starts the operator.</summary>
    public static async Task<OperatorHarness> StartAsync(ControlPlaneFixture controlPlane, S3ServerFixture s3, string prefix, params string[] extraArguments)
    {
        await controlPlane.InstallCrdsAsync();
        var ns = await controlPlane.CreateNamespaceAsync(prefix);
        return await StartAsync(new OperatorHarness(controlPlane, s3, ns, [], null, extraArguments));
    }

    /// <summary>
    /// Like <see cref="StartAsync(ControlPlaneFixture, S3ServerFixture, string, string[])"/>, and also makes one namespace per
    /// entry of <paramref name="tenantPrefixes"/>, which the operator watches too; the operator's keys serve each
    /// namespace only under its own prefix of <see cref="TenantBucket"/> (created empty).
    /// </summary>
    public static async Task<OperatorHarness> StartTenantsAsync(ControlPlaneFixture controlPlane, S3ServerFixture s3, string prefix, params string[] tenantPrefixes)
    {
        await controlPlane.InstallCrdsAsync();
        var ns = await controlPlane.CreateNamespaceAsync(prefix);
        var tenants = new List<string>();
        foreach (var tenant in tenantPrefixes)
        {
            tenants.Add(await controlPlane.CreateNamespaceAsync(tenant));
        }

        var harness = new OperatorHarness(controlPlane, s3, ns, tenants, S3ServerFixture.NewBucketName("tenants"), []);
        await harness.EnsureBucketAsync(harness.TenantBucket!);
        return await StartAsync(harness);
    }

    private static async Task<OperatorHarness> StartAsync(OperatorHarness harness)
    {
        var s3 = harness._s3;
        await harness.PutSecretAsync(CredentialsSecret, new() { ["accessKey"] = s3.AccessKey, ["secretKey"] = s3.SecretKey });
        await harness.PutSecretAsync(WrongKeysSecret, new() { ["accessKey"] = s3.AccessKey, ["secretKey"] = "not-the-secret-key" });
        await harness.StartOperatorAsync();
        return harness;
    }

    /// <summary>The operator's command line (without the in-process host's defaults).</summary>
    public string[] Arguments() =>
    [
        "--kubeconfig", _controlPlane.KubeconfigPath,
        $"--ImageOperator:WatchNamespace={string.Join(',', [Namespace, .. Tenants])}",
        "--ImageOperator:ObjectStores:0:Name=default",
        $"--ImageOperator:ObjectStores:0:Endpoint={_s3.Endpoint}",
        $"--ImageOperator:ObjectStores:0:CredentialsSecret:Namespace={Namespace}",
        $"--ImageOperator:ObjectStores:0:CredentialsSecret:Name={CredentialsSecret}",
        // A second named store on the same server plays another region.
        $"--ImageOperator:ObjectStores:1:Name={SecondRegion}",
        $"--ImageOperator:ObjectStores:1:Endpoint={_s3.Endpoint}",
        $"--ImageOperator:ObjectStores:1:CredentialsSecret:Namespace={Namespace}",
        $"--ImageOperator:ObjectStores:1:CredentialsSecret:Name={CredentialsSecret}",
        // A store whose Secret holds a wrong secret key.
        $"--ImageOperator:ObjectStores:2:Name={WrongKeysStore}",
        $"--ImageOperator:ObjectStores:2:Endpoint={_s3.Endpoint}",
        $"--ImageOperator:ObjectStores:2:CredentialsSecret:Namespace={Namespace}",
        $"--ImageOperator:ObjectStores:2:CredentialsSecret:Name={WrongKeysSecret}",
        $"--ImageOperator:Library:Bucket={LibraryBucket}",
        "--ImageOperator:LeaderElection:Enabled=false",
        "--ImageOperator:MetricsPort=0",
        "--ImageOperator:MetricsBindAddress=127.0.0.1",
        "--ImageOperator:ProgressInterval=00:00:01",
        "--ImageOperator:Webhooks:Enabled=false",
        .. GrantArguments(),
        .. _extraArguments.Select(argument => argument.Replace(HarnessNamespace, Namespace, StringComparison.Ordinal)),
    ];

    // Open: any namespace, any bucket, on every store. Tenants: store 0 only, each namespace under its own prefix of one bucket.
    private IEnumerable<string> GrantArguments()
    {
        for (var store = 0; store < StoreCount; store++)
        {
            if (TenantBucket is not null && store > 0)
            {
                continue;
            }

            var grant = $"--ImageOperator:ObjectStores:{store}:Grants:0";
            yield return $"{grant}:Namespaces:0=*";
            yield return $"{grant}:Buckets:0={TenantBucket ?? "*"}";
            yield return $"{grant}:Access=ReadWrite";
            if (TenantBucket is not null)
            {
                yield return $"{grant}:Prefix={{namespace}}/";
            }
        }
    }

    /// <summary>
    /// Arguments that add store number <paramref name="index"/> (after the harness's own) at <paramref name="endpoint"/>,
    /// with the keys of Secret <paramref name="secret"/> of the harness namespace (the harness's own by default) and an open grant.
    /// </summary>
    public static string[] ExtraStoreArguments(int index, string name, string endpoint, string secret = CredentialsSecret) =>
    [
        $"--ImageOperator:ObjectStores:{index}:Name={name}",
        $"--ImageOperator:ObjectStores:{index}:Endpoint={endpoint}",
        $"--ImageOperator:ObjectStores:{index}:CredentialsSecret:Name={secret}",
        $"--ImageOperator:ObjectStores:{index}:CredentialsSecret:Namespace={HarnessNamespace}",
        $"--ImageOperator:ObjectStores:{index}:Grants:0:Namespaces:0=*",
        $"--ImageOperator:ObjectStores:{index}:Grants:0:Buckets:0=*",
        $"--ImageOperator:ObjectStores:{index}:Grants:0:Access=ReadWrite",
    ];

    /// <summary>Starts the operator (again, after <see cref="StopOperatorAsync"/>).</summary>
    public async Task StartOperatorAsync()
    {
        _app = Program.CreateApp(Arguments());
        await _app.StartAsync();
    }

    /// <summary>Stops the operator gracefully (in-flight work is cancelled after the drain timeout).</summary>
    public async Task StopOperatorAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Applies a manifest with kubectl in <paramref name="ns"/> (the test namespace by default).</summary>
    public async Task ApplyAsync(string yaml, string? ns = null) =>
        (await _controlPlane.KubectlWithInputAsync(yaml, "apply", "-n", ns ?? Namespace, "-f", "-")).EnsureSuccess();

    /// <summary>Runs kubectl in the test namespace.</summary>
    public Task<ProcessResult> KubectlAsync(params string[] arguments) => _controlPlane.KubectlAsync(["-n", Namespace, .. arguments]);

    /// <summary>Creates or replaces an Opaque Secret in <paramref name="ns"/> (the test namespace by default).</summary>
    public async Task PutSecretAsync(string name, Dictionary<string, string> data, string? ns = null)
    {
        ns ??= Namespace;
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Data = data.ToDictionary(p => p.Key, p => Encoding.UTF8.GetBytes(p.Value)),
        };
        try
        {
            await Kubernetes.CoreV1.CreateNamespacedSecretAsync(secret, ns);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            await Kubernetes.CoreV1.ReplaceNamespacedSecretAsync(secret, name, ns);
        }
    }

    /// <summary>Polls until <paramref name="until"/> holds for the entity in <paramref name="ns"/> (the test namespace by default), or fails with its last state.</summary>
    public async Task<T> WaitForAsync<T>(EntityClient<T> client, string name, Func<T, bool> until, TimeSpan? timeout = null, string? ns = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ns ??= Namespace;
        var deadline = DateTime.UtcNow + (timeout ?? DefaultWait);
        T? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await client.GetAsync(name, ns);
            if (last is not null && until(last))
            {
                return last;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{typeof(T).Name} {ns}/{name} did not reach the expected state; last seen:\n{(last is null ? "(absent)" : KubernetesJson.Serialize(last))}");
    }

    /// <summary>Waits until the entity is gone.</summary>
    public async Task WaitForGoneAsync<T>(EntityClient<T> client, string name, TimeSpan? timeout = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultWait);
        while (await client.GetAsync(name, Namespace) is { } last)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{typeof(T).Name} {Namespace}/{name} still exists:\n{KubernetesJson.Serialize(last)}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Creates <paramref name="bucket"/> when missing.</summary>
    public async Task EnsureBucketAsync(string bucket)
    {
        if (!await S3.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket)))
        {
            await S3.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket));
        }
    }

    /// <summary>Uploads a local file (creating the bucket if needed).</summary>
    public async Task UploadAsync(string bucket, string key, string path)
    {
        await EnsureBucketAsync(bucket);
        await S3.PutObjectAsync(new PutObjectArgs().WithBucket(bucket).WithObject(key).WithFileName(path).WithContentType("application/octet-stream"));
    }

    /// <summary>Downloads an object to a local file.</summary>
    public async Task DownloadAsync(string bucket, string key, string path)
    {
        await using var file = File.Create(path);
        await S3.GetObjectAsync(new GetObjectArgs().WithBucket(bucket).WithObject(key).WithCallbackStream((stream, ct) => stream.CopyToAsync(file, ct)));
    }

    /// <summary>Keys of the objects under <paramref name="prefix"/>.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string bucket, string prefix = "")
    {
        var keys = new List<string>();
        if (!await S3.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket)))
        {
            return keys;
        }

        await foreach (var item in S3.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(bucket).WithPrefix(prefix).WithRecursive(true)))
        {
            keys.Add(item.Key);
        }

        return keys;
    }

    /// <summary>Keys of the unfinished multipart uploads under <paramref name="prefix"/>.</summary>
    public async Task<IReadOnlyList<string>> IncompleteUploadsAsync(string bucket, string prefix = "")
    {
        var keys = new List<string>();
        if (!await S3.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket)))
        {
            return keys;
        }

        await foreach (var upload in S3.ListIncompleteUploadsEnumAsync(new ListIncompleteUploadsArgs().WithBucket(bucket).WithPrefix(prefix).WithRecursive(true)))
        {
            keys.Add(upload.Key);
        }

        return keys;
    }

    /// <summary>
    /// Uploads <paramref name="path"/>, imports it as CustomImage <paramref name="imageName"/> in <paramref name="ns"/>
    /// (the test namespace by default) and waits until it is Available. Sources sit under the namespace's own prefix.
    /// </summary>
    public async Task<CustomImage> ImportAsync(string imageName, string path, string bucket, string? ns = null)
    {
        ns ??= Namespace;
        var key = $"{ns}/sources/{imageName}";
        await UploadAsync(bucket, key, path);
        await ApplyAsync(Manifests.Import($"imp-{imageName}", imageName, $"objectStore: {{bucket: {bucket}, object: {key}}}"), ns);
        var image = await WaitForAsync(Images, imageName, i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed, ns: ns);
        return image.Status.LifecycleState == ImageLifecycleState.Available
            ? image
            : throw new InvalidOperationException($"the import of {ns}/{imageName} failed: {KubernetesJson.Serialize(image.Status)}");
    }

    /// <summary>Lowercase hex SHA-256 of a local file.</summary>
    public static async Task<string> Sha256Async(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopOperatorAsync();
        S3.Dispose();
        try
        {
            foreach (var ns in Tenants.Prepend(Namespace))
            {
                await Kubernetes.CoreV1.DeleteNamespaceAsync(ns);
            }
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            // Best effort: the API server is torn down with the test run anyway.
        }
    }
}
