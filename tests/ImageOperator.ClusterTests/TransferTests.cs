using System.Security.Cryptography;
using FluentAssertions;
using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.ClusterTests;

/// <summary>Imports and exports through the operator running as Pods, checked by qemu-img as the independent reader.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TransferTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_disk_imported_and_exported_as_VMDK_and_VHD_passes_qemu_img_check_and_compare_and_hashes_as_its_status_says()
    {
        var release = new OperatorRelease(cluster, "io-transfer");
        await release.InstallAsync();
        var tenant = await release.CreateTenantAsync("transfer-tenant");
        try
        {
            var folder = Path.Combine(cluster.StateDirectory, "disks", "transfer");
            var source = await TestDisks.CreateAsync(folder, "source", 256);
            await release.UploadAsync(OperatorRelease.ImagesBucket, $"{tenant}/source.qcow2", source);
            await release.WaitForRolloutAsync();

            await release.StartImportAsync(tenant, "transferred", $"{tenant}/source.qcow2");
            var image = await release.WaitForStatusAsync(tenant, "customimage", "transferred", "lifecycleState", "Available", TimeSpan.FromMinutes(3));
            var stored = image["status"]!["storedDisk"]!;
            var storedCopy = Path.Combine(folder, "stored");
            await release.DownloadAsync(stored["bucket"]!.GetValue<string>(), stored["object"]!.GetValue<string>(), storedCopy);
            (await Sha256Async(storedCopy)).Should().Be(stored["sha256"]!.GetValue<string>());
            (await QemuImg.CheckAsync(storedCopy, "qcow2")).ExitCode.Should().Be(0, "qemu-img check of the stored disk");

            foreach (var (format, qemuFormat) in new[] { ("VMDK", "vmdk"), ("VHD", "vpc") })
            {
                var name = $"transferred-{qemuFormat}";
                await release.StartExportAsync(tenant, name, "transferred", format, $"{tenant}/{name}.{format.ToLowerInvariant()}");
                var export = await release.WaitForStatusAsync(tenant, "imageexport", name, "phase", "Succeeded", TimeSpan.FromMinutes(3));
                var exported = Path.Combine(folder, name);
                await release.DownloadAsync(OperatorRelease.ExportsBucket, $"{tenant}/{name}.{format.ToLowerInvariant()}", exported);

                (await Sha256Async(exported)).Should().Be(export["status"]!["sha256"]!.GetValue<string>());
                // qemu's vpc driver has no check (exit 63): a VHD is judged by compare alone.
                if (qemuFormat != "vpc")
                {
                    (await QemuImg.CheckAsync(exported, qemuFormat)).ExitCode.Should().Be(0, $"qemu-img check of the {format} export");
                }

                var compare = await QemuImg.CompareAsync(source, exported, "qcow2", qemuFormat);
                compare.ExitCode.Should().Be(0, $"the {format} export holds the source's content: {compare.StandardOutput}");
            }
        }
        finally
        {
            await release.DeleteTenantAsync(tenant);
            await release.UninstallAsync();
        }
    }

    [Fact]
    public async Task When_the_leader_pod_is_deleted_during_an_import_the_other_replica_completes_it_without_duplicates_or_orphans()
    {
        var release = new OperatorRelease(cluster, "io-failover");
        await release.InstallAsync();
        var tenant = await release.CreateTenantAsync("failover-tenant");
        try
        {
            var folder = Path.Combine(cluster.StateDirectory, "disks", "failover");
            var source = await TestDisks.CreateAsync(folder, "source", 2048);
            await release.UploadAsync(OperatorRelease.ImagesBucket, $"{tenant}/source.qcow2", source);
            await release.WaitForRolloutAsync();
            var leader = await release.LeaderPodAsync();

            await release.StartImportAsync(tenant, "failover", $"{tenant}/source.qcow2");
            await release.WaitForStatusAsync(tenant, "imageimport", "failover", "phase", "Importing", TimeSpan.FromMinutes(1));
            await release.KubectlAsync(release.Namespace, "delete", "pod", leader, "--wait=false");

            var newLeader = await Eventually.GetAsync(release.LeaderPodAsync, pod => pod != leader, "another pod taking the lease", TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(1));
            newLeader.Should().NotBe(leader);
            var image = await release.WaitForStatusAsync(tenant, "customimage", "failover", "lifecycleState", "Available", TimeSpan.FromMinutes(5));

            var storedObject = image["status"]!["storedDisk"]!["object"]!.GetValue<string>();
            var imageFolder = storedObject[..(storedObject.LastIndexOf('/') + 1)];
            (await release.ListAsync(OperatorRelease.LibraryBucket, imageFolder)).Should().Equal([storedObject], "one stored disk, no copy left by the first attempt");
            (await release.IncompleteUploadsAsync(OperatorRelease.LibraryBucket, imageFolder)).Should().BeEmpty("the interrupted upload is aborted");
            (await release.KubectlAsync(tenant, "get", "customimages", "-o", "name")).StandardOutput.Trim().Should().Be("customimage.imageoperator.io/failover");
            var stored = Path.Combine(folder, "stored.qcow2");
            await release.DownloadAsync(OperatorRelease.LibraryBucket, storedObject, stored);
            (await QemuImg.CompareAsync(source, stored, "qcow2", image["status"]!["storedDisk"]!["format"]!.GetValue<string>().ToLowerInvariant()))
                .ExitCode.Should().Be(0);
        }
        finally
        {
            await release.DeleteTenantAsync(tenant);
            await release.UninstallAsync();
        }
    }

    private static async Task<string> Sha256Async(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
    }
}
