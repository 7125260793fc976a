using System.Security.Cryptography;
using FluentAssertions;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Storage;
using ImageOperator.Testing;
using Minio.DataModel.Args;
using Xunit;

namespace ImageOperator.IntegrationTests.Storage;

/// <summary>
/// Multipart uploads and ranged reads while the S3 gateway is down (a dedicated Ceph RGW whose gateway is stopped and
/// restarted on the same port, the data kept): a short outage is ridden out by the retries; a long one fails the
/// upload with a clear, secret-free error, and its leftover upload is aborted once the store is back.
/// </summary>
public sealed class S3OutageTests(DedicatedS3Server server) : IClassFixture<DedicatedS3Server>, IAsyncLifetime
{
    private const int MiB = 1 << 20;
    private static readonly TimeSpan ShortOutage = TimeSpan.FromSeconds(2);

    private readonly string _bucket = S3ServerFixture.NewBucketName("outage");
    private ObjectStore _store = null!;

    private S3ServerFixture S3 => server.S3;

    public async Task InitializeAsync()
    {
        _store = StoreObjects.NewStore(S3);
        await _store.Minio.MakeBucketAsync(new MakeBucketArgs().WithBucket(_bucket));
    }

    public Task DisposeAsync()
    {
        _store.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_upload_rides_out_an_outage_shorter_than_its_retries()
    {
        const string key = "short/disk.raw";
        var data = RandomBytes(4 * 5 * MiB);
        // Back-off of 0.5, 1, 2, 4 s: 7.5 s of retries cover the outage and the gateway's restart.
        var options = new MultipartUploadOptions { PartSize = 5 * MiB, MaxPartsInFlight = 1, MaxAttempts = 5, InitialRetryDelay = TimeSpan.FromMilliseconds(500) };
        await using var upload = await _store.StartUploadAsync(_bucket, key, options);
        await upload.WriteAsync(data.AsMemory(0, 2 * 5 * MiB));

        await S3.StopGatewayAsync();
        var restart = RestartAfterAsync(ShortOutage);
        await upload.WriteAsync(data.AsMemory(2 * 5 * MiB));
        await upload.CompleteAsync();
        await restart;

        upload.Result!.Size.Should().Be(data.Length);
        (await Sha256Async(key)).Should().Be(Convert.ToHexStringLower(SHA256.HashData(data)));
        (await _store.ListIncompleteUploadsAsync(_bucket)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_ranged_read_rides_out_an_outage_shorter_than_its_retries()
    {
        const string key = "short/source.raw";
        var data = RandomBytes(3 * MiB);
        await StoreObjects.PutAsync(_store, _bucket, key, data);

        await using var reader = await _store.OpenReadAsync(_bucket, key, new RangeReaderOptions
        {
            ReadAheadBytes = 64 * 1024, MaxAttempts = 5, InitialRetryDelay = TimeSpan.FromMilliseconds(500),
        });
        await S3.StopGatewayAsync();
        var restart = RestartAfterAsync(ShortOutage);
        var buffer = new byte[2 * MiB];
        await reader.ReadExactlyAtAsync(MiB, buffer);
        await restart;

        buffer.Should().Equal(data.AsSpan(MiB, 2 * MiB).ToArray());
    }

    [Fact]
    public async Task An_outage_longer_than_the_retries_fails_the_upload_and_its_leftover_is_aborted_when_the_store_returns()
    {
        const string key = "long/disk.vmdk";
        var options = new MultipartUploadOptions { PartSize = 5 * MiB, MaxPartsInFlight = 1, MaxAttempts = 4, InitialRetryDelay = TimeSpan.FromMilliseconds(100) };
        await using var unrelated = await _store.StartUploadAsync(_bucket, "long/DISK.vmdk", options);
        var upload = await _store.StartUploadAsync(_bucket, key, options);
        await upload.WriteAsync(RandomBytes(2 * 5 * MiB));

        // Part 1 is stored (one part in flight: the second write waited for it); part 2 or 3 meets the outage.
        await S3.StopGatewayAsync();
        var rest = async () =>
        {
            await upload.WriteAsync(RandomBytes(5 * MiB));
            await upload.CompleteAsync();
        };
        var failure = (await rest.Should().ThrowAsync<ObjectStorageException>()).Which;
        failure.Error.Should().Be(ObjectStorageError.Other);
        failure.Message.Should().Contain(key).And.Contain("4 attempts").And.NotContain(S3.SecretKey).And.NotContain(S3.AccessKey);
        var complete = () => upload.CompleteAsync().AsTask();
        await complete.Should().ThrowAsync<InvalidOperationException>("a failed upload is aborted, never completed");
        await upload.DisposeAsync();

        await S3.StartGatewayAsync();
        (await _store.ListIncompleteUploadsAsync(_bucket, "long/")).Select(u => u.Key)
            .Should().BeEquivalentTo([key, "long/DISK.vmdk"], "the abort could not reach the store; the other key's upload is still running");
        var stat = () => _store.StatAsync(_bucket, key);
        (await stat.Should().ThrowAsync<ObjectStorageException>()).Which.Error.Should().Be(ObjectStorageError.NotFound, "nothing was completed at the key");

        (await _store.AbortIncompleteUploadsAsync(_bucket, key)).Should().Be(1);
        (await _store.ListIncompleteUploadsAsync(_bucket, "long/")).Select(u => u.Key).Should().Equal(["long/DISK.vmdk"], "keys are case-sensitive");
        var data = RandomBytes((5 * MiB) + 3);
        await using (var retry = await _store.StartUploadAsync(_bucket, key, options))
        {
            await retry.WriteAsync(data);
            await retry.CompleteAsync();
        }

        (await Sha256Async(key)).Should().Be(Convert.ToHexStringLower(SHA256.HashData(data)));
        await unrelated.AbortAsync();
        (await _store.ListIncompleteUploadsAsync(_bucket)).Should().BeEmpty();
    }

    private async Task RestartAfterAsync(TimeSpan outage)
    {
        await Task.Delay(outage);
        await S3.StartGatewayAsync();
    }

    private Task<string> Sha256Async(string key) => StoreObjects.Sha256Async(_store, _bucket, key);

    private static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);
}
