using FluentAssertions;
using ImageOperator.Testing;
using Minio;
using Minio.DataModel.Args;
using Xunit;

namespace ImageOperator.IntegrationTests.ControlPlane;

/// <summary>The S3 fixture gives a working S3 server whose user is known by its keys and only by them.</summary>
[Collection(TestCollections.S3)]
public sealed class S3ServerFixtureTests(S3ServerFixture s3)
{
    [Fact]
    public async Task The_test_user_can_create_and_find_a_bucket()
    {
        using var client = Client(s3.SecretKey);
        var bucket = S3ServerFixture.NewBucketName("fixture");

        await client.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket));

        (await client.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket))).Should().BeTrue();
    }

    [Fact]
    public async Task A_wrong_secret_key_is_refused()
    {
        using var client = Client(s3.SecretKey + "x");

        var listing = () => client.ListBucketsAsync();

        await listing.Should().ThrowAsync<Minio.Exceptions.AuthorizationException>();
    }

    private IMinioClient Client(string secretKey) =>
        new MinioClient().WithEndpoint(s3.HostAndPort).WithCredentials(s3.AccessKey, secretKey).WithSSL(s3.UseTls).Build();
}
