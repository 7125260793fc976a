using System.Security.Cryptography;
using FluentAssertions;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Storage;
using ImageOperator.Testing;
using Minio.DataModel.Args;
using Xunit;

namespace ImageOperator.IntegrationTests.Storage;

/// <summary>The storage layer against a real S3 server (Ceph RGW, or the server the S3 fixture is pointed at).</summary>
[Collection(TestCollections.S3)]
public sealed class ObjectStoreTests(S3ServerFixture s3) : IAsyncLifetime
{
    private const int MiB = 1 << 20;
    private ObjectStore store = null!;
    private string bucket = null!;

    public async Task InitializeAsync()
    {
        store = NewStore(s3.SecretKey);
        bucket = S3ServerFixture.NewBucketName("storage");
        await store.Minio.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket));
    }

    public Task DisposeAsync()
    {
        store.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Ranged_reads_return_the_exact_bytes_at_every_boundary()
    {
        var data = RandomBytes((3 * MiB) + 17);
        await PutAsync("ranges.bin", data);
        var options = new RangeReaderOptions { ReadAheadBytes = 64 * 1024 };
        await using var reader = await store.OpenReadAsync(bucket, "ranges.bin", options);

        reader.Length.Should().Be(data.Length);
        foreach (var (offset, count) in new (long, int)[]
        {
            (0, 1), (0, 4096), (65535, 2), (65536, 1), (65530, 100), (data.Length - 1, 1), (data.Length - 10, 10),
            (MiB - 3, 70_000), (12345, 1 * MiB), (0, data.Length),
        })
        {
            var buffer = new byte[count];
            await reader.ReadExactlyAtAsync(offset, buffer);
            buffer.Should().Equal(data.AsSpan((int)offset, count).ToArray(), $"bytes [{offset}, {offset + count}) must match");
        }

        var tail = new byte[100];
        (await reader.ReadAtAsync(data.Length - 10, tail)).Should().Be(10, "a read past the end returns what is left");
        (await reader.ReadAtAsync(data.Length, tail)).Should().Be(0);
        (await reader.ReadAtAsync(data.Length + 5000, tail)).Should().Be(0);
    }

    [Fact]
    public async Task Sequential_small_reads_are_served_from_read_ahead_windows()
    {
        var data = RandomBytes(4 * MiB);
        await PutAsync("sequential.bin", data);
        await using var reader = await store.OpenReadAsync(bucket, "sequential.bin", new RangeReaderOptions { ReadAheadBytes = MiB });

        var copy = new byte[data.Length];
        for (var offset = 0; offset < data.Length; offset += 512)
        {
            await reader.ReadExactlyAtAsync(offset, copy.AsMemory(offset, 512));
        }

        copy.Should().Equal(data);
        reader.RequestCount.Should().Be(4, "8192 reads of 512 bytes fit in four 1 MiB windows");
    }

    [Fact]
    public async Task An_empty_object_has_length_zero()
    {
        await PutAsync("empty.bin", []);
        await using var reader = await store.OpenReadAsync(bucket, "empty.bin");
        reader.Length.Should().Be(0);
        (await reader.ReadAtAsync(0, new byte[10])).Should().Be(0);
    }

    [Fact]
    public async Task Transient_server_errors_and_cut_bodies_are_retried_until_the_bytes_arrive()
    {
        var data = RandomBytes(300_000);
        await PutAsync("flaky.bin", data);
        var url = await store.PresignGetAsync(bucket, "flaky.bin", TimeSpan.FromMinutes(5));
        using var flaky = new FlakyHandler { FailuresLeft = 2, CutBodiesLeft = 1 };
        using var http = new HttpClient(flaky);
        var options = new RangeReaderOptions { ReadAheadBytes = 64 * 1024, InitialRetryDelay = TimeSpan.FromMilliseconds(10) };

        await using var reader = await S3RangeReader.OpenUrlAsync(http, ObjectLocation.Parse(url.AbsoluteUri), options);
        var copy = new byte[data.Length];
        await reader.ReadExactlyAtAsync(0, copy);

        copy.Should().Equal(data);
        flaky.FailuresLeft.Should().Be(0);
        flaky.CutBodiesLeft.Should().Be(0);

        flaky.FailuresLeft = int.MaxValue;
        var read = () => reader.ReadAtAsync(200_000, new byte[100]).AsTask();
        (await read.Should().ThrowAsync<ObjectStorageException>())
            .Where(e => e.Error == ObjectStorageError.Other && e.Message.Contains("after 5 attempts") && e.Message.Contains("HTTP 503"));
    }

    [Fact]
    public async Task A_missing_object_or_bucket_is_NotFound_naming_it()
    {
        var missingObject = () => store.OpenReadAsync(bucket, "no/such/object.qcow2");
        (await missingObject.Should().ThrowAsync<ObjectStorageException>())
            .Where(e => e.Error == ObjectStorageError.NotFound && e.HttpStatus == 404)
            .WithMessage($"*object 'no/such/object.qcow2' in bucket '{bucket}'*not found*");

        var missingBucket = () => store.StatAsync("no-such-bucket-" + Guid.NewGuid().ToString("N")[..8], "x");
        (await missingBucket.Should().ThrowAsync<ObjectStorageException>()).Where(e => e.Error == ObjectStorageError.NotFound);
    }

    [Fact]
    public async Task A_wrong_secret_is_AccessDenied_and_the_secret_appears_nowhere()
    {
        await PutAsync("private.bin", RandomBytes(1000));
        const string wrongSecret = "definitely-not-the-secret-0123456789";
        using var intruder = NewStore(wrongSecret);

        var read = () => intruder.OpenReadAsync(bucket, "private.bin");
        (await read.Should().ThrowAsync<ObjectStorageException>())
            .Where(e => e.Error == ObjectStorageError.AccessDenied && e.HttpStatus == 403 && !e.ToString().Contains(wrongSecret));

        var stat = () => intruder.StatAsync(bucket, "private.bin");
        (await stat.Should().ThrowAsync<ObjectStorageException>()).Where(e => e.Error == ObjectStorageError.AccessDenied);

        var upload = () => intruder.StartUploadAsync(bucket, "intruder.bin");
        (await upload.Should().ThrowAsync<ObjectStorageException>()).Where(e => e.Error == ObjectStorageError.AccessDenied);
    }

    [Fact]
    public async Task A_presigned_url_downloads_the_object_without_credentials()
    {
        var data = RandomBytes((2 * MiB) + 5);
        await PutAsync("shared/image one.qcow2", data);
        var url = await store.PresignGetAsync(bucket, "shared/image one.qcow2", TimeSpan.FromMinutes(5));

        var location = ObjectLocation.Parse(url.AbsoluteUri);
        location.Kind.Should().Be(ObjectLocationKind.PreauthenticatedUrl);
        location.Bucket.Should().Be(bucket);
        location.Key.Should().Be("shared/image one.qcow2");
        location.ToString().Should().NotContain("X-Amz-Signature").And.EndWith("?REDACTED");

        using var registry = new ObjectStoreRegistry();
        await using var reader = await registry.OpenReadAsync(location, new RangeReaderOptions { ReadAheadBytes = 256 * 1024 });
        var copy = new byte[data.Length];
        await reader.ReadExactlyAtAsync(0, copy);
        copy.Should().Equal(data);
    }

    [Fact]
    public async Task An_expired_or_tampered_presigned_url_is_AccessDenied_without_leaking_the_signature()
    {
        await PutAsync("expiring.bin", RandomBytes(100));
        using var registry = new ObjectStoreRegistry();

        var expiring = await store.PresignGetAsync(bucket, "expiring.bin", TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var expired = () => registry.OpenReadAsync(ObjectLocation.Parse(expiring.AbsoluteUri));
        (await expired.Should().ThrowAsync<ObjectStorageException>())
            .Where(e => e.Error == ObjectStorageError.AccessDenied && !e.ToString().Contains(SignatureOf(expiring)));

        var valid = await store.PresignGetAsync(bucket, "expiring.bin", TimeSpan.FromMinutes(5));
        var signature = SignatureOf(valid);
        var forged = signature[..^1] + (signature[^1] == '0' ? '1' : '0');
        var tampered = new Uri(valid.AbsoluteUri.Replace(signature, forged, StringComparison.Ordinal));
        var read = () => registry.OpenReadAsync(ObjectLocation.Parse(tampered.AbsoluteUri));
        (await read.Should().ThrowAsync<ObjectStorageException>())
            .Where(e => e.Error == ObjectStorageError.AccessDenied && !e.ToString().Contains(forged) && e.Message.Contains("?REDACTED"));
    }

    [Fact]
    public async Task A_multipart_upload_of_several_parts_round_trips()
    {
        const string key = "exports/ubuntu 22.04 (x86_64)+ü.qcow2";
        var data = RandomBytes((3 * 5 * MiB) + 123_457);
        await using (var upload = await store.StartUploadAsync(bucket, key, new MultipartUploadOptions { PartSize = 5 * MiB, MaxPartsInFlight = 2 }))
        {
            // Uneven writes cross part boundaries in the middle of a buffer.
            for (var offset = 0; offset < data.Length;)
            {
                var count = Math.Min(data.Length - offset, 777_777);
                await upload.WriteAsync(data.AsMemory(offset, count));
                offset += count;
            }

            upload.Position.Should().Be(data.Length);
            await upload.CompleteAsync();
            upload.Result!.Size.Should().Be(data.Length);
            upload.Result.ETag.Should().EndWith("-4", "the object was stored as four parts");
        }

        (await Sha256Async(key)).Should().Be(Convert.ToHexStringLower(SHA256.HashData(data)));
        (await store.ListIncompleteUploadsAsync(bucket)).Should().BeEmpty();
    }

    [Fact]
    public async Task Zeros_and_an_empty_upload_are_stored()
    {
        await using (var upload = await store.StartUploadAsync(bucket, "zeros.raw", new MultipartUploadOptions { PartSize = 5 * MiB }))
        {
            await upload.WriteAsync(new byte[] { 1, 2, 3 });
            await upload.WriteZerosAsync((6 * MiB) - 3);
            await upload.CompleteAsync();
        }

        var expected = new byte[6 * MiB];
        expected[0] = 1;
        expected[1] = 2;
        expected[2] = 3;
        (await Sha256Async("zeros.raw")).Should().Be(Convert.ToHexStringLower(SHA256.HashData(expected)));

        await using (var empty = await store.StartUploadAsync(bucket, "empty.raw"))
        {
            await empty.CompleteAsync();
            empty.Result!.Size.Should().Be(0);
        }

        (await store.ListIncompleteUploadsAsync(bucket)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_held_head_can_be_patched_until_completion()
    {
        var data = RandomBytes((2 * 5 * MiB) + 999);
        await using var upload = await store.StartUploadAsync(bucket, "patched.qcow2", new MultipartUploadOptions { PartSize = 5 * MiB, HoldHead = true });
        upload.HeadCapacity.Should().Be(5 * MiB);
        await upload.WriteAsync(data);

        byte[] header = [0x51, 0x46, 0x49, 0xfb];
        await upload.PatchHeadAsync(0, header);
        await upload.PatchHeadAsync((5 * MiB) - 4, header);
        var outside = () => upload.PatchHeadAsync(5 * MiB, header).AsTask();
        await outside.Should().ThrowAsync<ArgumentOutOfRangeException>();
        await upload.CompleteAsync();

        header.CopyTo(data, 0);
        header.CopyTo(data, (5 * MiB) - 4);
        (await Sha256Async("patched.qcow2")).Should().Be(Convert.ToHexStringLower(SHA256.HashData(data)));
        var readBack = new byte[8];
        (await upload.ReadCompletedAsync((5 * MiB) - 4, readBack)).Should().Be(8);
        readBack.Should().Equal(data.AsSpan((5 * MiB) - 4, 8).ToArray());
    }

    [Fact]
    public async Task Cancelling_mid_upload_aborts_it_and_leaves_nothing()
    {
        const string key = "cancelled/disk.vmdk";
        using var cancel = new CancellationTokenSource();
        await using var upload = await store.StartUploadAsync(bucket, key, new MultipartUploadOptions { PartSize = 5 * MiB, MaxPartsInFlight = 1 });
        await upload.WriteAsync(RandomBytes(5 * MiB));
        (await store.ListIncompleteUploadsAsync(bucket, "cancelled/")).Should().ContainSingle("the upload is in progress");

        await cancel.CancelAsync();
        var write = () => upload.WriteAsync(RandomBytes(5 * MiB), cancel.Token).AsTask();
        await write.Should().ThrowAsync<OperationCanceledException>();

        (await store.ListIncompleteUploadsAsync(bucket, "cancelled/")).Should().BeEmpty();
        var stat = () => store.StatAsync(bucket, key);
        (await stat.Should().ThrowAsync<ObjectStorageException>()).Where(e => e.Error == ObjectStorageError.NotFound);
        var complete = () => upload.CompleteAsync().AsTask();
        await complete.Should().ThrowAsync<InvalidOperationException>().WithMessage("*aborted*");
    }

    [Fact]
    public async Task An_upload_aborted_by_another_writer_fails_as_a_storage_error_not_as_a_missing_object()
    {
        // What a replica taking over an import does to the leftovers of the previous leader's attempt.
        const string key = "taken-over/disk.qcow2";
        await using var upload = await store.StartUploadAsync(bucket, key, new MultipartUploadOptions { PartSize = 5 * MiB, MaxPartsInFlight = 1 });
        await upload.WriteAsync(RandomBytes(5 * MiB));
        using (var other = NewStore(s3.SecretKey))
        {
            (await other.AbortIncompleteUploadsAsync(bucket, key)).Should().Be(1);
        }

        var finish = async () =>
        {
            await upload.WriteAsync(RandomBytes(5 * MiB));
            await upload.CompleteAsync();
        };

        (await finish.Should().ThrowAsync<ObjectStorageException>())
            .Where(e => e.Error == ObjectStorageError.Other, "a new upload can succeed: the transfer is retried, not failed as SourceNotFound")
            .WithMessage("*aborted by another writer*NoSuchUpload*");
    }

    [Fact]
    public async Task A_source_failing_mid_upload_leaves_no_incomplete_upload_once_disposed()
    {
        const string key = "failed/disk.vdi";
        var act = async () =>
        {
            await using var upload = await store.StartUploadAsync(bucket, key, new MultipartUploadOptions { PartSize = 5 * MiB });
            await using var source = new FailingStream(12 * MiB);
            await source.CopyToAsync(new UploadStream(upload), 1 * MiB);
            await upload.CompleteAsync();
        };

        await act.Should().ThrowAsync<IOException>().WithMessage("source broke*");
        (await store.ListIncompleteUploadsAsync(bucket, "failed/")).Should().BeEmpty();
        var stat = () => store.StatAsync(bucket, key);
        (await stat.Should().ThrowAsync<ObjectStorageException>()).Where(e => e.Error == ObjectStorageError.NotFound);
    }

    [Fact]
    public async Task A_presigned_PUT_url_receives_the_spooled_image_and_the_spool_is_removed()
    {
        var spool = Directory.CreateTempSubdirectory("rt-spool-").FullName;
        var data = RandomBytes((3 * MiB) + 11);
        var url = await store.Minio.PresignedPutObjectAsync(
            new PresignedPutObjectArgs().WithBucket(bucket).WithObject("incoming/export.vhd").WithExpiry(300));
        using var registry = new ObjectStoreRegistry();

        await using (var sink = (PreauthenticatedUrlSink)await registry.CreateSinkAsync(ObjectLocation.Parse(url), spoolDirectory: spool))
        {
            await sink.WriteAsync(data);
            await sink.PatchHeadAsync(0, new byte[] { 9, 9, 9 });
            await sink.CompleteAsync();
            sink.UploadedBytes.Should().Be(data.Length);
        }

        data[0] = data[1] = data[2] = 9;
        (await Sha256Async("incoming/export.vhd")).Should().Be(Convert.ToHexStringLower(SHA256.HashData(data)));
        Directory.EnumerateFileSystemEntries(spool).Should().BeEmpty();
    }

    [Fact]
    public async Task A_PUT_body_damaged_on_the_way_is_refused_by_the_server_through_its_Content_MD5()
    {
        var data = RandomBytes(MiB + 5);
        var url = await store.Minio.PresignedPutObjectAsync(new PresignedPutObjectArgs().WithBucket(bucket).WithObject("incoming/damaged.raw").WithExpiry(300));
        using var http = new HttpClient(new DamagingHandler());

        var act = async () =>
        {
            await using var sink = PreauthenticatedUrlSink.Create(http, ObjectLocation.Parse(url), retry: new MultipartUploadOptions { MaxAttempts = 1 });
            await sink.WriteAsync(data);
            await sink.CompleteAsync();
        };

        (await act.Should().ThrowAsync<ObjectStorageException>()).Where(e => e.HttpStatus == 400 && e.Message.Contains("BadDigest"));
        var stat = () => store.StatAsync(bucket, "incoming/damaged.raw");
        (await stat.Should().ThrowAsync<ObjectStorageException>()).Where(e => e.Error == ObjectStorageError.NotFound);

        using var plain = new HttpClient();
        await using (var sink = PreauthenticatedUrlSink.Create(plain, ObjectLocation.Parse(url)))
        {
            await sink.WriteAsync(data);
            await sink.CompleteAsync();
            sink.UploadedMd5.Should().Equal(MD5.HashData(data));
        }

        (await Sha256Async("incoming/damaged.raw")).Should().Be(Convert.ToHexStringLower(SHA256.HashData(data)));
    }

    [Fact]
    public async Task An_expired_PUT_url_is_AccessDenied_and_stores_nothing()
    {
        var spool = Directory.CreateTempSubdirectory("rt-spool-").FullName;
        var url = await store.Minio.PresignedPutObjectAsync(
            new PresignedPutObjectArgs().WithBucket(bucket).WithObject("incoming/late.vhd").WithExpiry(1));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        using var http = new HttpClient();

        var act = async () =>
        {
            await using var sink = PreauthenticatedUrlSink.Create(http, ObjectLocation.Parse(url), spool);
            await sink.WriteAsync(RandomBytes(1000));
            await sink.CompleteAsync();
        };

        (await act.Should().ThrowAsync<ObjectStorageException>())
            .Where(e => e.Error == ObjectStorageError.AccessDenied && !e.Message.Contains("X-Amz-Signature="));
        var stat = () => store.StatAsync(bucket, "incoming/late.vhd");
        (await stat.Should().ThrowAsync<ObjectStorageException>()).Where(e => e.Error == ObjectStorageError.NotFound);
        Directory.EnumerateFileSystemEntries(spool).Should().BeEmpty();
    }

    [Theory]
    [InlineData("../other-bucket/x")]
    [InlineData("./x")]
    [InlineData("%2e%2e/x")]
    [InlineData("..%2fx")]
    [InlineData("a//b")]
    [InlineData("/x")]
    [InlineData("a\\b")]
    public async Task Keys_with_path_tricks_are_refused_before_any_request(string key)
    {
        var bucket = S3ServerFixture.NewBucketName("tricks");
        await store.Minio.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket));
        await StoreObjects.PutAsync(store, bucket, "x", [1, 2, 3]);

        var attempts = new Func<Task>[]
        {
            () => store.StatAsync(bucket, key),
            () => store.OpenReadAsync(bucket, key),
            () => store.PutAsync(bucket, key, new byte[] { 9 }, "application/octet-stream"),
            () => store.StartUploadAsync(bucket, key),
            () => store.RemoveAsync(bucket, key),
            () => store.PresignGetAsync(bucket, key, TimeSpan.FromMinutes(5)),
        };

        foreach (var attempt in attempts)
        {
            await attempt.Should().ThrowAsync<ObjectStorageException>().Where(e => e.Error == ObjectStorageError.InvalidLocation);
        }

        (await StoreObjects.ListAsync(store, bucket)).Should().Equal("x");
    }

    [Theory]
    [InlineData("dir/with space/ünïcode+plus=eq&amp.bin")]
    [InlineData("100%/a?b#c.bin")]
    [InlineData("a..b/c.d/..e")]
    public async Task Keys_that_look_odd_but_are_names_round_trip_exactly(string key)
    {
        var data = RandomBytes(1000);

        await store.PutAsync(bucket, key, data, "application/octet-stream");
        await using var reader = await store.OpenReadAsync(bucket, key);
        var read = new byte[data.Length];
        await reader.ReadExactlyAtAsync(0, read);

        read.Should().Equal(data);
        (await StoreObjects.ListAsync(store, bucket)).Should().Contain(key);
        (await store.StatAsync(bucket, key)).Size.Should().Be(data.Length);
    }

    [Fact]
    public async Task A_read_pinned_to_an_etag_fails_with_Changed_once_the_object_is_replaced()
    {
        await PutAsync("pinned.bin", RandomBytes(2 * MiB));
        var stat = await store.StatAsync(bucket, "pinned.bin");
        await using var reader = await store.OpenReadAsync(bucket, "pinned.bin", new RangeReaderOptions { ExpectedETag = stat.ETag, ReadAheadBytes = 64 * 1024 });
        var buffer = new byte[4096];
        await reader.ReadExactlyAtAsync(0, buffer);

        await PutAsync("pinned.bin", RandomBytes(2 * MiB));
        var read = async () => await reader.ReadExactlyAtAsync(MiB, buffer);

        await read.Should().ThrowAsync<ObjectStorageException>().Where(e => e.Error == ObjectStorageError.Changed);
    }

    private ObjectStore NewStore(string secret) => StoreObjects.NewStore(s3, secret);

    private Task PutAsync(string key, byte[] data) => StoreObjects.PutAsync(store, bucket, key, data);

    private Task<string> Sha256Async(string key) => StoreObjects.Sha256Async(store, bucket, key);

    private static string SignatureOf(Uri url) =>
        url.Query.TrimStart('?').Split('&').Single(p => p.StartsWith("X-Amz-Signature=", StringComparison.Ordinal))["X-Amz-Signature=".Length..];

    private static byte[] RandomBytes(int length)
    {
        var data = new byte[length];
        Random.Shared.NextBytes(data);
        return data;
    }

    /// <summary>In front of the real server: flips one byte of every PUT body, keeping its headers (Content-MD5 too).</summary>
    private sealed class DamagingHandler() : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Put && request.Content is { } content)
            {
                var body = await content.ReadAsByteArrayAsync(cancellationToken);
                body[body.Length / 2] ^= 0xff;
                var damaged = new ByteArrayContent(body);
                foreach (var header in content.Headers)
                {
                    damaged.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                request.Content = damaged;
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>In front of the real server: answers 503 a number of times, then cuts a body short, then forwards.</summary>
    private sealed class FlakyHandler() : DelegatingHandler(new HttpClientHandler())
    {
        public int FailuresLeft { get; set; }

        public int CutBodiesLeft { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (FailuresLeft > 0)
            {
                FailuresLeft--;
                return new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable) { RequestMessage = request };
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (CutBodiesLeft > 0 && response.StatusCode == System.Net.HttpStatusCode.PartialContent)
            {
                CutBodiesLeft--;
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                var cut = new ByteArrayContent(body, 0, body.Length / 2);
                foreach (var header in response.Content.Headers)
                {
                    if (header.Key != "Content-Length")
                    {
                        cut.Headers.TryAddWithoutValidation(header.Key, header.Value);
                    }
                }

                response.Content = cut;
            }

            return response;
        }
    }

    /// <summary>Yields random bytes, then fails like a broken network source would.</summary>
    private sealed class FailingStream(long failAfter) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (position >= failAfter)
            {
                throw new IOException("source broke");
            }

            var n = (int)Math.Min(count, failAfter - position);
            Random.Shared.NextBytes(buffer.AsSpan(offset, n));
            position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Minimal write-only adapter so that Stream.CopyToAsync can feed an upload.</summary>
    private sealed class UploadStream(S3MultipartUpload upload) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => upload.Position;

        public override long Position { get => upload.Position; set => throw new NotSupportedException(); }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            upload.WriteAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
