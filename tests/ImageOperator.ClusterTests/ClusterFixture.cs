using System.Globalization;
using ImageOperator.Testing;
using Minio;
using Xunit;

namespace ImageOperator.ClusterTests;

/// <summary>
/// A real one-node Kubernetes cluster (tests/cluster/cluster-up.sh: kubelet and docker inside a network namespace
/// with no route out) with the operator's image built into its docker, started once for the test process. The tests
/// reach the API server and the S3 server only through the bridges on 127.0.0.1 the scripts print.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>The operator's image, built by <c>make docker-build</c> into the node's docker (never pushed).</summary>
    public const string ImageRepository = "image-operator.local/image-operator";

    /// <summary>The tag of <see cref="ImageRepository"/> the tests install.</summary>
    public const string ImageTag = "e2e";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(30);
    private readonly string _state = Stack.NewStateDirectory("cluster");
    private IReadOnlyDictionary<string, string>? exports;

    /// <summary>The admin kubeconfig, whose server is the API server's bridge on 127.0.0.1.</summary>
    public string KubeconfigPath => Export("KUBECONFIG");

    /// <summary>The S3 server as the pods reach it, inside the cluster's network namespace.</summary>
    public string ClusterS3Endpoint => Export("CLUSTER_S3_ENDPOINT");

    /// <summary>The S3 user's access key.</summary>
    public string S3AccessKey => Export("S3_ACCESS_KEY");

    /// <summary>The S3 user's secret key.</summary>
    public string S3SecretKey => Export("S3_SECRET_KEY");

    /// <summary>A client of the S3 server through its bridge on 127.0.0.1.</summary>
    public IMinioClient S3 { get; private set; } = null!;

    /// <summary>The folder holding the cluster's state and logs.</summary>
    public string StateDirectory => _state;

    /// <summary>How long the last start took, from the first script line to the node being Ready.</summary>
    public TimeSpan LastStartDuration { get; private set; }

    public async Task InitializeAsync()
    {
        await Stack.EnsureProvisionedAsync();
        await StartAsync();
        await RunScriptAsync("build-operator-image.sh", [_state, $"{ImageRepository}:{ImageTag}"], TimeSpan.FromMinutes(15));
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_state, recursive: true);
    }

    /// <summary>Starts the cluster (again): the images built before are kept in the node's docker.</summary>
    public async Task StartAsync()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var environment = new Dictionary<string, string?>
        {
            ["IMAGE_OPERATOR_OWNER_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        };
        var result = await RunScriptAsync("cluster-up.sh", [_state], StartTimeout, environment);
        LastStartDuration = started.Elapsed;
        exports = Stack.ParseExports(result.StandardOutput);
        var s3 = new Uri(Export("S3_ENDPOINT"));
        S3 = new MinioClient().WithEndpoint(s3.Authority).WithCredentials(S3AccessKey, S3SecretKey).Build();
    }

    /// <summary>Stops the cluster with <c>cluster-down.sh</c>, which fails if anything is left behind.</summary>
    public Task<ProcessResult> StopAsync() => RunScriptAsync("cluster-down.sh", [_state], TimeSpan.FromMinutes(3));

    /// <summary>Runs the real kubectl (1.35, from the provisioned tools) against the cluster.</summary>
    public Task<ProcessResult> KubectlAsync(params string[] arguments) => KubectlWithInputAsync(null, arguments);

    /// <summary>Runs kubectl with <paramref name="standardInput"/> on its stdin (e.g. <c>apply -f -</c>).</summary>
    public Task<ProcessResult> KubectlWithInputAsync(string? standardInput, params string[] arguments) =>
        ProcessRunner.RunAsync("kubectl", ["--kubeconfig", KubeconfigPath, .. arguments], standardInput);

    /// <summary>Runs the real helm (4.1, from the provisioned tools) against the cluster.</summary>
    public Task<ProcessResult> HelmAsync(TimeSpan timeout, params string[] arguments) =>
        ProcessRunner.RunAsync("helm", ["--kubeconfig", KubeconfigPath, .. arguments], timeout: timeout);

    /// <summary>A shell script of <c>tests/cluster</c>, which must succeed.</summary>
    public static async Task<ProcessResult> RunScriptAsync(
        string script, string[] arguments, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var path = Path.Combine(RepositoryPaths.ClusterScripts, script);
        var result = await ProcessRunner.RunAsync("bash", [path, .. arguments], environment: environment, timeout: timeout);
        return result.EnsureSuccess();
    }

    private string Export(string name) =>
        (exports ?? throw new InvalidOperationException("The cluster is not started."))[name];
}

/// <summary>Tests that use the one-node cluster: they run one after another, each installing what it needs.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
