using FluentAssertions;
using ImageOperator.Testing;
using Xunit;
using Xunit.Abstractions;

namespace ImageOperator.ClusterTests;

/// <summary>The test bed itself: sealed from the network, and nothing left on the host once it is stopped.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterLifecycleTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private const string Netns = "image-operator-cluster";

    [Fact]
    public async Task The_cluster_namespace_has_no_route_out_and_the_host_side_listens_only_on_127_0_0_1()
    {
        await ClusterFixture.RunScriptAsync("check-netns.sh", [], TimeSpan.FromSeconds(30));
        var routes = (await ProcessRunner.RunAsync("ip", ["-n", Netns, "route", "show"])).EnsureSuccess().StandardOutput;
        routes.Should().NotContain("default");

        var listeners = (await ProcessRunner.RunAsync("ss", ["-H", "-l", "-t", "-n", "-p"])).EnsureSuccess().StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var ours = listeners.Where(line => ProcessIds(line).Any(OwnedByCluster)).ToList();
        output.WriteLine(string.Join('\n', ours));
        ours.Should().NotBeEmpty("the API server and S3 bridges listen on the host");
        ours.Should().OnlyContain(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3].StartsWith("127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cluster_down_leaves_no_process_mount_namespace_route_or_iptables_rule_and_the_cluster_starts_again()
    {
        var stop = System.Diagnostics.Stopwatch.StartNew();
        await cluster.StopAsync();
        output.WriteLine($"stopped in {stop.Elapsed.TotalSeconds:F1} s");

        File.Exists($"/run/netns/{Netns}").Should().BeFalse();
        (await File.ReadAllLinesAsync("/proc/mounts")).Should().NotContain(line => line.Contains(cluster.StateDirectory + "/", StringComparison.Ordinal));
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!, System.Globalization.CultureInfo.InvariantCulture))
            .Where(OwnedByCluster).Should().BeEmpty("no process of the cluster may outlive it");
        (await ProcessRunner.RunAsync("ip", ["route", "show"])).EnsureSuccess().StandardOutput
            .Should().NotContain("10.77.0.0/24").And.NotContain("10.88.0.0/16").And.NotContain("10.96.0.0/16");
        (await ProcessRunner.RunAsync("iptables-save", [])).EnsureSuccess().StandardOutput.Should().NotContain("KUBE-");

        await cluster.StartAsync();
        output.WriteLine($"started again, node Ready after {cluster.LastStartDuration.TotalSeconds:F1} s");
        (await cluster.KubectlAsync("get", "node", "image-operator-node", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"))
            .EnsureSuccess().StandardOutput.Should().Be("True");
    }

    private bool OwnedByCluster(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains(cluster.StateDirectory + "/", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static IEnumerable<int> ProcessIds(string ssLine) =>
        System.Text.RegularExpressions.Regex.Matches(ssLine, @"pid=(\d+)")
            .Select(match => int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
}
