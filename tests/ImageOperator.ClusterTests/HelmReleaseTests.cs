using FluentAssertions;
using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.ClusterTests;

/// <summary>The chart as users install it: real Helm, two replicas as Pods, the webhooks called through its Service.</summary>
[Collection(ClusterCollection.Name)]
public sealed class HelmReleaseTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Default_install_runs_two_Ready_replicas_one_leading_and_its_webhook_refuses_an_invalid_sample()
    {
        var release = new OperatorRelease(cluster, "io-install");
        await release.InstallAsync();
        var tenant = await release.CreateTenantAsync("install-tenant");
        try
        {
            await release.WaitForRolloutAsync(replicas: 2);
            var pods = await release.PodsAsync();
            pods.Should().HaveCount(2);
            pods.Should().OnlyContain(pod => pod["status"]!["containerStatuses"]![0]!["ready"]!.GetValue<bool>());
            var leader = await release.LeaderPodAsync();
            pods.Select(pod => pod["metadata"]!["name"]!.GetValue<string>()).Should().Contain(leader);

            var sample = Path.Combine(RepositoryPaths.Samples, "invalid", "imageimport-par-in-spec.yaml");
            var expected = File.ReadLines(sample).Single(line => line.StartsWith("# expect: ", StringComparison.Ordinal))["# expect: ".Length..];
            var refused = await cluster.KubectlAsync("--namespace", tenant, "apply", "-f", sample);

            refused.Succeeded.Should().BeFalse();
            refused.StandardError.Should().Contain("admission webhook \"vimageimport.imageoperator.io\" denied the request")
                .And.Contain(expected);
        }
        finally
        {
            await release.DeleteTenantAsync(tenant);
            await release.UninstallAsync();
        }
    }

    [Fact]
    public async Task Upgrade_rolls_the_pods_without_losing_an_import_rollback_restores_and_uninstall_leaves_the_stored_images()
    {
        var release = new OperatorRelease(cluster, "io-upgrade");
        await release.InstallAsync();
        var tenant = await release.CreateTenantAsync("upgrade-tenant");
        var operatorGone = false;
        try
        {
            await release.WaitForRolloutAsync();
            var firstPods = (await release.PodsAsync()).Select(pod => pod["metadata"]!["name"]!.GetValue<string>()).ToList();
            var disk = await TestDisks.CreateAsync(Path.Combine(cluster.StateDirectory, "disks"), "upgrade", 1024);
            await release.UploadAsync(OperatorRelease.ImagesBucket, $"{tenant}/upgrade.qcow2", disk);
            await release.StartImportAsync(tenant, "upgraded", $"{tenant}/upgrade.qcow2");

            await release.UpgradeAsync("logLevel: Debug");
            await release.WaitForRolloutAsync();
            var upgradedPods = (await release.PodsAsync()).Select(pod => pod["metadata"]!["name"]!.GetValue<string>()).ToList();
            upgradedPods.Should().NotIntersectWith(firstPods, "a changed value changes the ConfigMap, which rolls the pods");
            (await release.KubectlAsync(release.Namespace, "get", "configmap", $"{release.Name}-config", "-o", "jsonpath={.data.config\\.yaml}"))
                .StandardOutput.Should().Contain("Default: \"Debug\"");

            var image = await release.WaitForStatusAsync(tenant, "customimage", "upgraded", "lifecycleState", "Available", TimeSpan.FromMinutes(5));
            image["status"]!["storedDisk"]!["sha256"]!.GetValue<string>().Should().MatchRegex("^[0-9a-f]{64}$");

            await release.HelmAsync("rollback", release.Name, "1", "--wait", "--timeout", "300s");
            await release.WaitForRolloutAsync();
            (await release.KubectlAsync(release.Namespace, "get", "configmap", $"{release.Name}-config", "-o", "jsonpath={.data.config\\.yaml}"))
                .StandardOutput.Should().Contain("Default: \"Information\"");
            (await release.PodsAsync()).Select(pod => pod["metadata"]!["name"]!.GetValue<string>()).Should().NotIntersectWith(upgradedPods);

            var uninstall = System.Diagnostics.Stopwatch.StartNew();
            await release.HelmAsync("uninstall", release.Name, "--wait", "--timeout", "180s");
            operatorGone = true;
            uninstall.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(2), "uninstall must not wait on finalizers");
            await Eventually.HoldsAsync(async () => (await release.PodsAsync()).Count == 0, "no pods of the release", TimeSpan.FromMinutes(2));

            // Helm keeps CRDs and custom resources: the images and their stored disks stay, for a reinstall to manage.
            var kept = await release.GetAsync(tenant, "customimage", "upgraded");
            var storedObject = kept["status"]!["storedDisk"]!["object"]!.GetValue<string>();
            (await release.ListAsync(OperatorRelease.LibraryBucket, storedObject)).Should().Equal(storedObject);
        }
        finally
        {
            await release.DeleteTenantAsync(tenant, operatorGone);
            if (operatorGone)
            {
                await release.KubectlAsync("default", "delete", "namespace", release.Namespace, "--wait=true", "--timeout=180s");
            }
            else
            {
                await release.UninstallAsync();
            }
        }
    }
}
