using System.Security.Cryptography;
using Xunit;

namespace ImageOperator.Testing;

/// <summary>
/// A real S3 server for tests: a single-node Ceph RADOS Gateway started once per test process by
/// <c>tests/stack/s3-up.sh</c> (installed by <c>provision.sh</c> if missing), with an S3 user whose keys are random
/// per run. <c>IMAGE_OPERATOR_TEST_S3_ENDPOINT</c>, <c>IMAGE_OPERATOR_TEST_S3_ACCESS_KEY</c> and
/// <c>IMAGE_OPERATOR_TEST_S3_SECRET_KEY</c> select an existing server instead (e.g. MinIO in a kind cluster).
/// </summary>
public sealed class S3ServerFixture : IAsyncLifetime
{
    /// <summary>Environment variable with the endpoint URL of an existing S3 server to test against instead.</summary>
    public const string EndpointVariable = "IMAGE_OPERATOR_TEST_S3_ENDPOINT";

    /// <summary>Environment variable with the access key for <see cref="EndpointVariable"/>.</summary>
    public const string AccessKeyVariable = "IMAGE_OPERATOR_TEST_S3_ACCESS_KEY";

    /// <summary>Environment variable with the secret key for <see cref="EndpointVariable"/>.</summary>
    public const string SecretKeyVariable = "IMAGE_OPERATOR_TEST_S3_SECRET_KEY";

    private static readonly SharedServer<S3Server> Shared = new(S3Server.StartAsync);
    private readonly bool _dedicated;
    private S3Server? server;

    /// <summary>The fixture of the server shared by the test process (started by <see cref="InitializeAsync"/>).</summary>
    public S3ServerFixture()
    {
    }

    private S3ServerFixture(S3Server dedicatedServer)
    {
        server = dedicatedServer;
        _dedicated = true;
    }

    /// <summary>The server's base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Endpoint => Started.Endpoint;

    /// <summary>The endpoint as the Minio SDK takes it: <c>host:port</c>.</summary>
    public string HostAndPort => Endpoint.Authority;

    /// <summary>Whether the endpoint uses TLS.</summary>
    public bool UseTls => Endpoint.Scheme == Uri.UriSchemeHttps;

    /// <summary>The test user's access key.</summary>
    public string AccessKey => Started.AccessKey;

    /// <summary>The test user's secret key.</summary>
    public string SecretKey => Started.SecretKey;

    private S3Server Started => server ?? throw new InvalidOperationException("The S3 server fixture is not initialised.");

    /// <summary>
    /// Starts an S3 server of the caller's own, never shared nor taken from <see cref="EndpointVariable"/>, whose
    /// gateway <see cref="StopGatewayAsync"/> can take down: for fault tests that must not disturb other tests.
    /// <see cref="DisposeAsync"/> stops it.
    /// </summary>
    public static async Task<S3ServerFixture> StartDedicatedAsync() => new(await S3Server.StartLocalAsync());

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (!_dedicated)
        {
            server = await Shared.AcquireAsync();
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_dedicated)
        {
            await Started.DisposeAsync();
        }
        else if (server is not null)
        {
            await Shared.ReleaseAsync();
        }
    }

    /// <summary>
    /// Stops the gateway of a dedicated server as an outage would: connections are refused, while the cluster behind
    /// it keeps the buckets, objects and unfinished uploads.
    /// </summary>
    public Task StopGatewayAsync() => Stack.DownAsync("s3-down.sh", DedicatedState, "--gateway-only");

    /// <summary>Starts the gateway stopped by <see cref="StopGatewayAsync"/> again on the same endpoint; returns once it answers.</summary>
    public Task StartGatewayAsync() => Stack.UpAsync("s3-up.sh", DedicatedState);

    private string DedicatedState => _dedicated && Started.StateDirectory is { } state
        ? state
        : throw new InvalidOperationException("Only a dedicated S3 server (StartDedicatedAsync) can be stopped and restarted.");

    /// <summary>A bucket name no other test uses (S3 rules: 3-63 lowercase letters, digits and hyphens).</summary>
    /// <param name="prefix">Says which test owns the bucket.</param>
    public static string NewBucketName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}";

    private sealed class S3Server(Uri endpoint, string accessKey, string secretKey, string? stateDirectory) : IAsyncDisposable
    {
        public Uri Endpoint { get; } = endpoint;

        public string AccessKey { get; } = accessKey;

        public string SecretKey { get; } = secretKey;

        public string? StateDirectory { get; } = stateDirectory;

        public static async Task<S3Server> StartAsync()
        {
            var external = Environment.GetEnvironmentVariable(EndpointVariable);
            if (!string.IsNullOrEmpty(external))
            {
                return new S3Server(
                    new Uri(external),
                    Environment.GetEnvironmentVariable(AccessKeyVariable) ?? throw Missing(AccessKeyVariable),
                    Environment.GetEnvironmentVariable(SecretKeyVariable) ?? throw Missing(SecretKeyVariable),
                    null);
            }

            return await StartLocalAsync();
        }

        public static async Task<S3Server> StartLocalAsync()
        {
            var state = Stack.NewStateDirectory("s3");
            var accessKey = "test" + RandomNumberGenerator.GetHexString(16, lowercase: true);
            var secretKey = RandomNumberGenerator.GetHexString(40, lowercase: true);
            var exports = await Stack.UpAsync("s3-up.sh", state, new Dictionary<string, string?>
            {
                ["S3_ACCESS_KEY"] = accessKey,
                ["S3_SECRET_KEY"] = secretKey,
            });
            return new S3Server(new Uri(exports["S3_ENDPOINT"]), accessKey, secretKey, state);
        }

        public async ValueTask DisposeAsync()
        {
            if (StateDirectory is not null)
            {
                await Stack.DownAsync("s3-down.sh", StateDirectory);
            }
        }

        private static InvalidOperationException Missing(string variable) =>
            new($"{EndpointVariable} is set, so {variable} must be set too.");
    }
}
