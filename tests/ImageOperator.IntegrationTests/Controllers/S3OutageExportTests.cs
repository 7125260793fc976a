using System.Security.Cryptography;
using FluentAssertions;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Testing;
using k8s;
using Minio.DataModel.Args;
using Xunit;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>
/// The S3 server goes down in the middle of an export's multipart upload (its gateway stopped after parts were stored,
/// kept down well beyond the storage layer's retries, then started again on the same port over the same data). The
/// export must come through on a later attempt with a verified object, and no unfinished upload may remain. A
/// dedicated RGW keeps the outage away from the tests sharing the process-wide server.
/// </summary>
[Collection(TestCollections.ControlPlane)]
public sealed class S3OutageExportTests(ControlPlaneFixture controlPlane, DedicatedS3Server server) : IClassFixture<DedicatedS3Server>, IAsyncLifetime
{
    // Incompressible data exported as (always deflated) VMDK: about 20 parts of 16 MiB and several seconds of work.
    private const int DataMiB = 320;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    private readonly string _sourceBucket = S3ServerFixture.NewBucketName("sources");
    private readonly string _exportBucket = S3ServerFixture.NewBucketName("exports");
    private OperatorHarness _operator = null!;
    private string _directory = null!;

    private S3ServerFixture S3 => server.S3;

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("imageoperator-outage-").FullName;
        _operator = await OperatorHarness.StartAsync(controlPlane, S3, "outage");
        await _operator.EnsureBucketAsync(_exportBucket);
    }

    public async Task DisposeAsync()
    {
        await _operator.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task An_export_interrupted_by_an_S3_outage_completes_after_the_store_returns_and_leaves_no_unfinished_upload()
    {
        var raw = Path.Combine(_directory, "random.raw");
        await WriteRandomAsync(raw, DataMiB << 20);
        var qcow2 = Path.Combine(_directory, "random.qcow2");
        await QemuImg.ConvertAsync(raw, qcow2, "qcow2");
        await _operator.ImportAsync("noisy", qcow2, _sourceBucket);
        const string key = "out/noisy.vmdk";

        await _operator.ApplyAsync(Manifests.Export("exp-noisy", "noisy", ExportFormat.Vmdk, $"objectStore: {{bucket: {_exportBucket}, object: {key}}}"));
        var partsBeforeOutage = await WaitForStoredPartsAsync("exp-noisy", key);
        await S3.StopGatewayAsync();
        await Task.Delay(Outage);
        (await _operator.Exports.GetAsync("exp-noisy", _operator.Namespace))!.Status.Phase
            .Should().Be(ExportPhase.Exporting, "nothing can be verified, hence nothing reported, while the store is down");
        await S3.StartGatewayAsync();

        var export = await _operator.WaitForAsync(_operator.Exports, "exp-noisy", e => e.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed, TimeSpan.FromMinutes(6));
        export.Status.Phase.Should().Be(ExportPhase.Succeeded, $"the outage is transient ({partsBeforeOutage} parts were stored before it): {KubernetesJson.Serialize(export.Status)}");
        (await _operator.IncompleteUploadsAsync(_exportBucket)).Should().BeEmpty("the interrupted attempt's upload was aborted");
        (await _operator.IncompleteUploadsAsync(_operator.LibraryBucket)).Should().BeEmpty();

        var exported = Path.Combine(_directory, "exported.vmdk");
        await _operator.DownloadAsync(_exportBucket, key, exported);
        new FileInfo(exported).Length.Should().Be(export.Status.SizeBytes);
        (await OperatorHarness.Sha256Async(exported)).Should().Be(export.Status.Sha256);
        var check = await QemuImg.CheckAsync(exported, "vmdk");
        check.ExitCode.Should().Be(0, check.ToString());
        var compare = await QemuImg.CompareAsync(raw, exported, "raw", "vmdk");
        compare.ExitCode.Should().Be(0, compare.ToString());

        var events = (await _operator.KubectlAsync("get", "events", "--field-selector", "involvedObject.name=exp-noisy", "-o", "json")).EnsureSuccess().StandardOutput;
        events.Should().Contain($"\"reason\": \"{ImageOperator.Controllers.ControllerReasons.Retrying}\"", "the failed attempt is reported as a retry")
            .And.NotContain(S3.SecretKey).And.NotContain("X-Amz-Signature");
        var image = await _operator.WaitForAsync(_operator.Images, "noisy", i => i.Status.LifecycleState == ImageLifecycleState.Available);
        image.Status.ActiveExports.Should().BeEmpty();
    }

    /// <summary>Polls the export's multipart upload until the store lists at least one part of it; returns how many.</summary>
    private async Task<int> WaitForStoredPartsAsync(string exportName, string key)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            await foreach (var upload in _operator.S3.ListIncompleteUploadsEnumAsync(
                new ListIncompleteUploadsArgs().WithBucket(_exportBucket).WithPrefix(key).WithRecursive(true)))
            {
                if (upload.Key == key && await CountPartsAsync(key, upload.UploadId) is > 0 and var parts)
                {
                    return parts;
                }
            }

            if ((await _operator.Exports.GetAsync(exportName, _operator.Namespace))!.Status.Phase is ExportPhase.Succeeded or ExportPhase.Failed)
            {
                throw new InvalidOperationException($"{exportName} finished before the outage could hit its upload; make the image larger.");
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"No part of {key} was stored within 3 minutes.");
    }

    /// <summary>Parts stored so far, by S3 ListParts signed by curl (Minio 7.0.0 does not offer it).</summary>
    private async Task<int> CountPartsAsync(string key, string uploadId)
    {
        var url = $"{S3.Endpoint.ToString().TrimEnd('/')}/{_exportBucket}/{key}?uploadId={Uri.EscapeDataString(uploadId)}";
        var result = await ProcessRunner.RunAsync("curl",
        [
            "-sS", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", $"{S3.AccessKey}:{S3.SecretKey}",
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", url,
        ]);
        return result.ExitCode == 0 ? result.StandardOutput.Split("<Part>").Length - 1 : 0;
    }

    private static async Task WriteRandomAsync(string path, int length)
    {
        await using var file = File.Create(path);
        var chunk = new byte[1 << 20];
        for (var written = 0; written < length; written += chunk.Length)
        {
            RandomNumberGenerator.Fill(chunk);
            await file.WriteAsync(chunk);
        }
    }
}
