using FluentAssertions;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Storage;
using ImageOperator.Testing;
using Minio.DataModel.Args;
using Xunit;

namespace ImageOperator.IntegrationTests.Storage;

/// <summary>
/// The storage layer against a misbehaving server, played by a proxy in front of the real S3 server. One that
/// accepts requests and then goes silent (a full disk, a hung gateway): reads and uploads notice within the stall
/// timeout, far below the request timeouts, say what stalled, retry, and go on once it answers again. One that
/// completes a multipart upload but loses the answer: the upload is recognised as complete by its ETag.
/// </summary>
[Collection(TestCollections.S3)]
public sealed class FaultyStoreTests(S3ServerFixture s3) : IAsyncLifetime
{
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(2);
    private FaultProxy _proxy = null!;
    private ObjectStore _direct = null!;
    private ObjectStore _throughProxy = null!;
    private string _bucket = null!;

    public async Task InitializeAsync()
    {
        _proxy = new FaultProxy(s3.Endpoint);
        _direct = StoreObjects.NewStore(s3);
        _throughProxy = new ObjectStore(
            new ObjectStoreOptions { Name = "stalling", Endpoint = _proxy.Endpoint.AbsoluteUri.TrimEnd('/'), StallTimeout = Stall },
            new ObjectStoreCredentials(s3.AccessKey, s3.SecretKey));
        _bucket = S3ServerFixture.NewBucketName("stall");
        await _direct.Minio.MakeBucketAsync(new MakeBucketArgs().WithBucket(_bucket));
        await StoreObjects.PutAsync(_direct, _bucket, "data.bin", new byte[3 << 20]);
    }

    public async Task DisposeAsync()
    {
        _throughProxy.Dispose();
        _direct.Dispose();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task A_read_from_a_silent_server_fails_within_the_stall_timeout_saying_so()
    {
        await using var reader = await _throughProxy.OpenReadAsync(_bucket, "data.bin", new RangeReaderOptions { MaxAttempts = 2, InitialRetryDelay = TimeSpan.FromMilliseconds(10), ReadAheadBytes = 64 * 1024 });
        _proxy.Stalled = true;
        var started = DateTime.UtcNow;

        var read = async () => await reader.ReadExactlyAtAsync(1 << 20, new byte[4096]);

        (await read.Should().ThrowAsync<ObjectStorageException>()).Which.Message.Should().Contain("stalled: no bytes moved for 2 s");
        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(20), "two stalls of 2 s, not the 2-minute request timeout");
    }

    [Fact]
    public async Task A_read_goes_on_once_the_server_answers_again()
    {
        await using var reader = await _throughProxy.OpenReadAsync(_bucket, "data.bin", new RangeReaderOptions { InitialRetryDelay = TimeSpan.FromMilliseconds(10), ReadAheadBytes = 64 * 1024 });
        _proxy.Stalled = true;
        _ = Task.Delay(TimeSpan.FromSeconds(3)).ContinueWith(_ => _proxy.Stalled = false, TaskScheduler.Default);

        var buffer = new byte[4096];
        await reader.ReadExactlyAtAsync(2 << 20, buffer);

        buffer.Should().OnlyContain(b => b == 0);
    }

    [Fact]
    public async Task An_upload_to_a_silent_server_fails_within_the_stall_timeout_and_leaves_nothing()
    {
        var options = new MultipartUploadOptions { MaxAttempts = 2, InitialRetryDelay = TimeSpan.FromMilliseconds(10), PartSize = MultipartUploadOptions.MinPartSize };
        var upload = await _throughProxy.StartUploadAsync(_bucket, "stalled.bin", options);
        _proxy.Stalled = true;
        var started = DateTime.UtcNow;

        var write = async () =>
        {
            await upload.WriteAsync(new byte[MultipartUploadOptions.MinPartSize + 1]);
            await upload.CompleteAsync();
        };

        (await write.Should().ThrowAsync<ObjectStorageException>()).Which.Message.Should().Contain("stalled: no bytes moved for 2 s");
        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(30), "not the 5-minute request timeout");
        _proxy.Stalled = false;
        await upload.DisposeAsync();
        (await _direct.ListIncompleteUploadsAsync(_bucket, "stalled.bin")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_completion_whose_answer_is_lost_is_recognised_by_the_multipart_etag()
    {
        var data = new byte[MultipartUploadOptions.MinPartSize * 2 + 12345];
        Random.Shared.NextBytes(data);
        var upload = await _throughProxy.StartUploadAsync(_bucket, "lost.bin", new MultipartUploadOptions { PartSize = MultipartUploadOptions.MinPartSize, InitialRetryDelay = TimeSpan.FromMilliseconds(10), MaxAttempts = 3 });
        await upload.WriteAsync(data);

        // Every answer to the completion is lost (as behind a load balancer that times out slow completions).
        _proxy.LoseRepliesTo($"POST /{_bucket}/lost.bin?uploadId=", count: 3);
        await upload.CompleteAsync();
        await upload.DisposeAsync();

        _proxy.LostReplies.Should().Be(3, "the server completed the upload and every answer was dropped");
        upload.Result!.Size.Should().Be(data.Length);
        upload.Result.ETag.Should().EndWith("-3");
        (await StoreObjects.Sha256Async(_direct, _bucket, "lost.bin")).Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)));
        (await _direct.ListIncompleteUploadsAsync(_bucket, "lost.bin")).Should().BeEmpty();
    }
}
