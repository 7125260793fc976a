using k8s;
using Xunit;

namespace ImageOperator.Testing;

/// <summary>
/// A real Kubernetes API server for tests: etcd + kube-apiserver started once per test process by
/// <c>tests/stack/apiserver-up.sh</c> (installed by <c>provision.sh</c> if missing), or an existing cluster when
/// <c>IMAGE_OPERATOR_TEST_KUBECONFIG</c> names its kubeconfig (e.g. a kind cluster).
/// </summary>
/// <remarks>
/// The local server runs no controller manager: namespaces are not finalised after deletion and owner references
/// are not garbage-collected. Tests use their own namespaces (<see cref="CreateNamespaceAsync"/>) and check what
/// the API server itself does.
/// </remarks>
public sealed class ControlPlaneFixture : IAsyncLifetime
{
    /// <summary>Environment variable naming the kubeconfig of an existing cluster to test against instead.</summary>
    public const string KubeconfigVariable = "IMAGE_OPERATOR_TEST_KUBECONFIG";

    private static readonly SharedServer<ControlPlane> Shared = new(ControlPlane.StartAsync);
    private ControlPlane? controlPlane;

    /// <summary>The kubeconfig file that reaches the API server (admin rights).</summary>
    public string KubeconfigPath => Started.KubeconfigPath;

    /// <summary>Whether the tests run against an existing cluster rather than the local API server.</summary>
    public bool IsExternalCluster => Started.StateDirectory is null;

    /// <summary>A client configuration for the API server, for components under test that build their own client.</summary>
    public KubernetesClientConfiguration ClientConfiguration => KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath);

    /// <summary>A KubernetesClient client with admin rights.</summary>
    public Kubernetes Client => Started.Client;

    private ControlPlane Started => controlPlane ?? throw new InvalidOperationException("The control plane fixture is not initialised.");

    /// <inheritdoc />
    public async Task InitializeAsync() => controlPlane = await Shared.AcquireAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => controlPlane is null ? Task.CompletedTask : Shared.ReleaseAsync();

    /// <summary>Runs <c>kubectl</c> against the API server and captures its output and exit code.</summary>
    /// <param name="arguments">kubectl's arguments, e.g. <c>"get", "crd"</c>.</param>
    public Task<ProcessResult> KubectlAsync(params string[] arguments) => KubectlWithInputAsync(null, arguments);

    /// <summary>Runs <c>kubectl</c> with <paramref name="standardInput"/> on its stdin (for <c>apply -f -</c>).</summary>
    /// <param name="standardInput">The text to feed, e.g. a manifest.</param>
    /// <param name="arguments">kubectl's arguments.</param>
    public Task<ProcessResult> KubectlWithInputAsync(string? standardInput, params string[] arguments) =>
        ProcessRunner.RunAsync("kubectl", ["--kubeconfig", KubeconfigPath, .. arguments], standardInput);

    /// <summary>
    /// Installs (applies) the CRDs in <c>crds/</c> and waits until the API server serves them; once per API server,
    /// later calls return the same task. Returns the CRDs' names.
    /// </summary>
    public Task<IReadOnlyList<string>> InstallCrdsAsync() => Started.InstallCrdsAsync(this);

    /// <summary>Creates a namespace with a unique name starting with <paramref name="prefix"/> and returns its name.</summary>
    /// <param name="prefix">A DNS-label prefix that says which test owns the namespace.</param>
    public async Task<string> CreateNamespaceAsync(string prefix)
    {
        var name = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        await Client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new() { Name = name } });
        return name;
    }

    /// <summary>A running API server and the means to reach it.</summary>
    private sealed class ControlPlane(string kubeconfigPath, string? stateDirectory) : IAsyncDisposable
    {
        public string KubeconfigPath { get; } = kubeconfigPath;

        public string? StateDirectory { get; } = stateDirectory;

        public Kubernetes Client { get; } = new(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath));

        private readonly Lock crdsGate = new();
        private Task<IReadOnlyList<string>>? crdsInstalled;

        public Task<IReadOnlyList<string>> InstallCrdsAsync(ControlPlaneFixture kubectl)
        {
            lock (crdsGate)
            {
                return crdsInstalled ??= ApplyCrdsAsync(kubectl);
            }
        }

        private static async Task<IReadOnlyList<string>> ApplyCrdsAsync(ControlPlaneFixture kubectl)
        {
            var applied = (await kubectl.KubectlAsync("apply", "-f", RepositoryPaths.Crds, "-o", "name")).EnsureSuccess();
            var names = applied.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0)
            {
                throw new InvalidOperationException($"{RepositoryPaths.Crds} holds no CRD; run `make manifests`.");
            }

            (await kubectl.KubectlAsync(["wait", "--for=condition=Established", "--timeout=60s", .. names])).EnsureSuccess();
            return [.. names.Select(name => name[(name.IndexOf('/', StringComparison.Ordinal) + 1)..])];
        }

        public static async Task<ControlPlane> StartAsync()
        {
            var external = Environment.GetEnvironmentVariable(KubeconfigVariable);
            if (!string.IsNullOrEmpty(external))
            {
                if (!File.Exists(external))
                {
                    throw new InvalidOperationException($"{KubeconfigVariable}={external} names no file.");
                }

                await EnsureKubectlAsync();
                return new ControlPlane(external, null);
            }

            var state = Stack.NewStateDirectory("apiserver");
            var exports = await Stack.UpAsync("apiserver-up.sh", state);
            return new ControlPlane(exports["KUBECONFIG"], state);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (StateDirectory is not null)
            {
                await Stack.DownAsync("apiserver-down.sh", StateDirectory);
            }
        }

        private static async Task EnsureKubectlAsync()
        {
            try
            {
                await ProcessRunner.RunAsync("kubectl", ["version", "--client"]);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                await Stack.EnsureProvisionedAsync();
            }
        }
    }
}
