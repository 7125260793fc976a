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
/// Secret of that namespace. Also the tests' hands on both servers: kubectl, S3 uploads and downloads.
/// </summary>
public sealed class OperatorHarness : IAsyncDisposable
{
    /// <summary>Name of the second object store ("region").</summary>
    public const string SecondRegion = "region2";

    /// <summary>Name of a store configured with a wrong secret key.</summary>
    public const string WrongKeysStore = "wrong-keys";

    /// <summary>Name of the Secret holding a wrong secret key.</summary>
    public const string WrongKeysSecret = "s3-wrong-keys";

    /// <summary>Name of the Secret holding the S3 keys.</summary>
    public const string CredentialsSecret = "s3-credentials";

    private static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(3);

    private readonly ControlPlaneFixture _controlPlane;
    private readonly S3ServerFixture _s3;
    private readonly string[] _extraArguments;
    private WebApplication? _app;

    private OperatorHarness(ControlPlaneFixture controlPlane, S3ServerFixture s3, string ns, string[] extraArguments)
    {
        _controlPlane = controlPlane;
        _s3 = s3;
        Namespace = ns;
        _extraArguments = extraArguments;
        S3 = new MinioClient().WithEndpoint(s3.HostAndPort).WithSSL(s3.UseTls).WithCredentials(s3.AccessKey, s3.SecretKey).Build();
        Images = new EntityClient<CustomImage>(controlPlane.Client);
        Imports = new EntityClient<ImageImport>(controlPlane.Client);
        Exports = new EntityClient<ImageExport>(controlPlane.Client);
    }

    /// <summary>The namespace the operator watches and the tests create objects in.</summary>
    public string Namespace { get; }

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
        var harness = new OperatorHarness(controlPlane, s3, ns, extraArguments);
        await harness.PutSecretAsync(CredentialsSecret, new() { ["accessKey"] = s3.AccessKey, ["secretKey"] = s3.SecretKey });
        await harness.PutSecretAsync(WrongKeysSecret, new() { ["accessKey"] = s3.AccessKey, ["secretKey"] = "not-the-secret-key" });
        await harness.StartOperatorAsync();
        return harness;
    }

    /// <summary>The operator's command line (without the in-process host's defaults).</summary>
    public string[] Arguments() =>
    [
        "--kubeconfig", _controlPlane.KubeconfigPath,
        $"--ImageOperator:WatchNamespace={Namespace}",
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
        .. _extraArguments,
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

    /// <summary>Applies a manifest in the test namespace with kubectl.</summary>
    public async Task ApplyAsync(string yaml) =>
        (await _controlPlane.KubectlWithInputAsync(yaml, "apply", "-n", Namespace, "-f", "-")).EnsureSuccess();

    /// <summary>Runs kubectl in the test namespace.</summary>
    public Task<ProcessResult> KubectlAsync(params string[] arguments) => _controlPlane.KubectlAsync(["-n", Namespace, .. arguments]);

    /// <summary>Creates or replaces an Opaque Secret in the test namespace.</summary>
    public async Task PutSecretAsync(string name, Dictionary<string, string> data)
    {
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
            Data = data.ToDictionary(p => p.Key, p => Encoding.UTF8.GetBytes(p.Value)),
        };
        try
        {
            await Kubernetes.CoreV1.CreateNamespacedSecretAsync(secret, Namespace);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            await Kubernetes.CoreV1.ReplaceNamespacedSecretAsync(secret, name, Namespace);
        }
    }

    /// <summary>Polls until <paramref name="until"/> holds for the entity, or fails with its last state.</summary>
    public async Task<T> WaitForAsync<T>(EntityClient<T> client, string name, Func<T, bool> until, TimeSpan? timeout = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultWait);
        T? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await client.GetAsync(name, Namespace);
            if (last is not null && until(last))
            {
                return last;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{typeof(T).Name} {Namespace}/{name} did not reach the expected state; last seen:\n{(last is null ? "(absent)" : KubernetesJson.Serialize(last))}");
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

    /// <summary>Uploads <paramref name="path"/>, imports it as CustomImage <paramref name="imageName"/> and waits until it is Available.</summary>
    public async Task<CustomImage> ImportAsync(string imageName, string path, string bucket)
    {
        await UploadAsync(bucket, $"sources/{imageName}", path);
        await ApplyAsync(Manifests.Import($"imp-{imageName}", imageName, $"objectStore: {{bucket: {bucket}, object: sources/{imageName}}}"));
        var image = await WaitForAsync(Images, imageName, i => i.Status.LifecycleState is ImageLifecycleState.Available or ImageLifecycleState.Failed);
        return image.Status.LifecycleState == ImageLifecycleState.Available
            ? image
            : throw new InvalidOperationException($"the import of {imageName} failed: {KubernetesJson.Serialize(image.Status)}");
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
            await Kubernetes.CoreV1.DeleteNamespaceAsync(Namespace);
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            // Best effort: the API server is torn down with the test run anyway.
        }
    }
}
