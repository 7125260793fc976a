namespace ImageOperator.Testing;

/// <summary>
/// Runs the scripts in <c>tests/stack/</c>: provisioning (once per process) and the up/down scripts of the real
/// servers. The scripts are the single definition of how the components are installed and started, for the
/// tests, <c>make run</c> and CI alike.
/// </summary>
public static class Stack
{
    private static readonly TimeSpan ProvisionTimeout = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private static readonly Lazy<Task> Provisioned = new(() => RunScriptAsync("provision.sh", [], ProvisionTimeout));

    /// <summary>
    /// Installs whatever component is missing (qemu-utils, etcd, Ceph, kubectl, kube-apiserver) by running
    /// <c>tests/stack/provision.sh</c>; later calls in the same process return at once.
    /// </summary>
    public static Task EnsureProvisionedAsync() => Provisioned.Value;

    /// <summary>
    /// Runs an up script (<c>apiserver-up.sh</c>, <c>s3-up.sh</c>) on a new state folder and returns the variables it
    /// exports. The scripts watch this process and stop their servers should it end without calling
    /// <see cref="DownAsync"/>.
    /// </summary>
    /// <param name="script">The script's file name.</param>
    /// <param name="stateDirectory">The folder for its state and logs (created).</param>
    /// <param name="environment">Extra variables for the script.</param>
    public static async Task<IReadOnlyDictionary<string, string>> UpAsync(
        string script, string stateDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        await EnsureProvisionedAsync();
        var variables = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>())
        {
            ["IMAGE_OPERATOR_OWNER_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var result = await RunScriptAsync(script, [stateDirectory], StartTimeout, variables);
        return ParseExports(result.StandardOutput);
    }

    /// <summary>Runs a down script (<c>apiserver-down.sh</c>, <c>s3-down.sh</c>) on a state folder.</summary>
    /// <param name="script">The script's file name.</param>
    /// <param name="stateDirectory">The folder given to the up script.</param>
    /// <param name="options">Further arguments, e.g. <c>--gateway-only</c> for <c>s3-down.sh</c>.</param>
    public static Task DownAsync(string script, string stateDirectory, params string[] options) =>
        Directory.Exists(stateDirectory) ? RunScriptAsync(script, [stateDirectory, .. options], TimeSpan.FromMinutes(1)) : Task.CompletedTask;

    /// <summary>
    /// A new, unique state folder under the system's temporary folder. Kept short: Ceph's admin sockets live in it,
    /// and a Unix socket path has at most 107 bytes.
    /// </summary>
    /// <param name="component">A short name for the folder, e.g. <c>apiserver</c>.</param>
    public static string NewStateDirectory(string component) =>
        Path.Combine(Path.GetTempPath(), $"image-operator-{component}-{Guid.NewGuid().ToString("N")[..12]}");

    /// <summary>Parses the <c>export NAME=value</c> lines the up scripts print.</summary>
    public static IReadOnlyDictionary<string, string> ParseExports(string output)
    {
        const string Prefix = "export ";
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith(Prefix, StringComparison.Ordinal) && line.Contains('=', StringComparison.Ordinal))
            .Select(line => line[Prefix.Length..].Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
    }

    private static async Task<ProcessResult> RunScriptAsync(
        string script, string[] arguments, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var path = Path.Combine(RepositoryPaths.StackScripts, script);
        var result = await ProcessRunner.RunAsync("bash", [path, .. arguments], environment: environment, timeout: timeout);
        return result.EnsureSuccess();
    }
}
