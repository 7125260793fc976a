using FluentAssertions;
using ImageOperator.Storage;
using Xunit;

namespace ImageOperator.Tests.Storage;

public sealed class ObjectLocationTests
{
    private const string Signature = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef";

    public static TheoryData<string, ObjectLocationKind, string?, string, string> Valid => new()
    {
        { "https://objectstorage.example.com/n/tenancy1/b/images/o/ubuntu.qcow2", ObjectLocationKind.Url, "tenancy1", "images", "ubuntu.qcow2" },
        { "https://objectstorage.example.com/n/tenancy1/b/images/o/dir/sub/disk.vmdk", ObjectLocationKind.Url, "tenancy1", "images", "dir/sub/disk.vmdk" },
        { "https://objectstorage.example.com/n/tenancy1/b/images/o/dir%2Fsub%2Fdisk%20one.vmdk", ObjectLocationKind.Url, "tenancy1", "images", "dir/sub/disk one.vmdk" },
        { "https://objectstorage.example.com/p/AbC-token_123/n/tenancy1/b/images/o/win2019.oci", ObjectLocationKind.PreauthenticatedUrl, "tenancy1", "images", "win2019.oci" },
        { "http://127.0.0.1:9000/images/ubuntu.qcow2", ObjectLocationKind.Url, null, "images", "ubuntu.qcow2" },
        { "https://minio.example.com/my.bucket-1/a/b/c.raw", ObjectLocationKind.Url, null, "my.bucket-1", "a/b/c.raw" },
        { "https://minio.example.com/images/name%20with%20spaces%2Bplus.qcow2", ObjectLocationKind.Url, null, "images", "name with spaces+plus.qcow2" },
        { $"https://minio.example.com/images/disk.qcow2?{Signature}", ObjectLocationKind.PreauthenticatedUrl, null, "images", "disk.qcow2" },
        { "https://bucket-host.example.com/images/disk.qcow2?AWSAccessKeyId=AK&Expires=1&Signature=abc", ObjectLocationKind.PreauthenticatedUrl, null, "images", "disk.qcow2" },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Urls_are_parsed(string url, ObjectLocationKind kind, string? objectNamespace, string bucket, string key)
    {
        var location = ObjectLocation.Parse(url);

        location.Kind.Should().Be(kind);
        location.ObjectNamespace.Should().Be(objectNamespace);
        location.Bucket.Should().Be(bucket);
        location.Key.Should().Be(key);
        location.Url.Should().Be(new Uri(url));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("not a url", "is not an absolute http(s) URL")]
    [InlineData("ftp://host/bucket/key", "is not an absolute http(s) URL")]
    [InlineData("/bucket/key", "is not an absolute http(s) URL")]
    [InlineData("https://host/", "names no bucket")]
    [InlineData("https://host/images", "names no object")]
    [InlineData("https://host/images/", "names no object")]
    [InlineData("https://host/n/tenancy/b/images/o/", "names a bucket but no object")]
    [InlineData("https://host/n/tenancy/b/images", "names a bucket but no object")]
    [InlineData("https://host/n/tenancy/b/images/x/disk", "is not of the form https://<host>/n/<namespace>/b/<bucket>/o/<object>")]
    [InlineData("https://host/Images/disk.qcow2", "bucket name 'Images' is invalid")]
    [InlineData("https://host/ab/disk.qcow2", "bucket name 'ab' is invalid")]
    [InlineData("https://user:pass@host/images/disk.qcow2", "must not carry a user name or password")]
    [InlineData("https://host/p/token/images/disk.qcow2", "must continue with /n/<namespace>/b/<bucket>/o/<object>")]
    [InlineData("https://host/images/disk#frag", "must not have a #fragment")]
    public void Malformed_urls_are_refused_with_a_reason(string url, string reason)
    {
        var act = () => ObjectLocation.Parse(url);

        act.Should().Throw<ObjectStorageException>()
            .Where(e => e.Error == ObjectStorageError.InvalidLocation)
            .WithMessage($"*{reason}*");
    }

    [Fact]
    public void Errors_never_echo_the_query_or_the_token()
    {
        var signed = () => ObjectLocation.Parse($"https://host/p/s3cr3t-token/n/ns/b/images/x/y?{Signature}");

        signed.Should().Throw<ObjectStorageException>()
            .Where(e => !e.Message.Contains("s3cr3t-token") && !e.Message.Contains("0123456789abcdef") && e.Message.Contains("/p/REDACTED/n/ns/b/images/x/y?REDACTED"));
    }

    [Fact]
    public void ToString_redacts_signatures_and_tokens()
    {
        ObjectLocation.Parse($"https://minio.example.com:9000/images/disk.qcow2?{Signature}").ToString()
            .Should().Be("https://minio.example.com:9000/images/disk.qcow2?REDACTED");
        ObjectLocation.Parse("https://os.example.com/p/s3cr3t/n/ns/b/images/o/a.oci").ToString()
            .Should().Be("https://os.example.com/p/REDACTED/n/ns/b/images/o/a.oci");
        ObjectLocation.ForStore("minio", "images", "a.qcow2").ToString()
            .Should().Be("store 'minio' bucket 'images' object 'a.qcow2'");
    }

    [Theory]
    [InlineData("https://os.example.com/p/tok/n/ns/b/exports/o/")]
    [InlineData("https://os.example.com/p/tok/n/ns/b/exports/")]
    [InlineData("https://os.example.com/p/tok/n/ns/b/exports")]
    public void A_bucket_level_preauthenticated_url_gets_the_object_appended(string url)
    {
        var bucket = ObjectLocation.Parse(url, allowBucketLevel: true);
        bucket.IsBucketLevel.Should().BeTrue();

        var target = bucket.WithObject("exports/ubuntu 22.04.qcow2");

        target.Kind.Should().Be(ObjectLocationKind.PreauthenticatedUrl);
        target.Bucket.Should().Be("exports");
        target.Key.Should().Be("exports/ubuntu 22.04.qcow2");
        target.Url!.AbsoluteUri.Should().Be("https://os.example.com/p/tok/n/ns/b/exports/o/exports/ubuntu%2022.04.qcow2");
        ObjectLocation.Parse(target.Url.AbsoluteUri).Key.Should().Be("exports/ubuntu 22.04.qcow2");
    }

    [Fact]
    public void A_bucket_level_path_style_url_gets_the_object_appended_to_its_path()
    {
        var bucket = ObjectLocation.Parse("https://minio.example.com/images/", allowBucketLevel: true);

        var target = bucket.WithObject("exports/ubuntu 22.04.qcow2");

        target.Url!.AbsoluteUri.Should().Be("https://minio.example.com/images/exports/ubuntu%2022.04.qcow2");
        ObjectLocation.Parse(target.Url.AbsoluteUri).Key.Should().Be("exports/ubuntu 22.04.qcow2");
    }

    [Theory]
    [InlineData("https://objectstorage.eu-1.example.com/n/tenancy/b/images/o/ol8.qcow2", ObjectLocationKind.Url, "images", "ol8.qcow2")]
    [InlineData("https://os.example.com/n/tenancy/b/images/o/dir/sub%20dir/ol8.qcow2", ObjectLocationKind.Url, "images", "dir/sub dir/ol8.qcow2")]
    [InlineData("https://os.example.com/n/tenancy/b/images/o/", ObjectLocationKind.Url, "images", "")]
    [InlineData("https://os.example.com/n/tenancy/b/images", ObjectLocationKind.Url, "images", "")]
    [InlineData("https://os.example.com/p/Zx9-token/n/tenancy/b/exports/", ObjectLocationKind.PreauthenticatedUrl, "exports", "")]
    [InlineData("https://os.example.com/p/Zx9-token/n/tenancy/b/images/o/ol8.oci", ObjectLocationKind.PreauthenticatedUrl, "images", "ol8.oci")]
    [InlineData("http://127.0.0.1:9000/images/ol8.vmdk", ObjectLocationKind.Url, "images", "ol8.vmdk")]
    [InlineData("https://minio.example.com/images/a/b.vhd?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k&X-Amz-Signature=abc", ObjectLocationKind.PreauthenticatedUrl, "images", "a/b.vhd")]
    [InlineData("https://minio.example.com/images/", ObjectLocationKind.Url, "images", "")]
    public void TryParse_accepts_objects_and_buckets(string text, ObjectLocationKind kind, string bucket, string key)
    {
        var location = ObjectLocation.TryParse(text, allowBucketLevel: true, out var problem);

        problem.Should().BeEmpty();
        location!.Kind.Should().Be(kind);
        location.Bucket.Should().Be(bucket);
        location.Key.Should().Be(key);
        location.IsBucketLevel.Should().Be(key.Length == 0);
    }

    [Theory]
    [InlineData("not a url", "is not an absolute http(s) URL")]
    [InlineData("s3://bucket/object", "is not an absolute http(s) URL")]
    [InlineData("https://alice:Hunter2@host/bucket/object", "must not carry a user name or password")]
    [InlineData("https://host/", "names no bucket")]
    [InlineData("https://host/n/tenancy/b/images/x/secret-key", "is not of the form https://<host>/n/<namespace>/b/<bucket>/o/<object>")]
    [InlineData("https://host/p/secret-token/n/tenancy/b/Images/o/x", "is refused: the bucket name 'Images' is invalid")]
    [InlineData("https://host/p/secret-token/images/x?X-Amz-Signature=secret-sig", "must continue with /n/<namespace>/b/<bucket>/o/<object>")]
    public void TryParse_says_why_without_quoting_the_url(string text, string expected)
    {
        ObjectLocation.TryParse(text, allowBucketLevel: true, out var problem).Should().BeNull();

        problem.Should().StartWith(expected);
        problem.Should().NotContainAny("Hunter2", "secret-key", "secret-token", "secret-sig", "host/");
    }

    [Fact]
    public void A_bucket_level_url_is_refused_where_an_object_is_needed()
    {
        var act = () => ObjectLocation.Parse("https://os.example.com/p/tok/n/ns/b/exports/o/");
        act.Should().Throw<ObjectStorageException>().WithMessage("*append /o/<object>*");
    }

    [Theory]
    [InlineData("", "images", "a", "store name is empty")]
    [InlineData("minio", "", "a", "bucket name is empty")]
    [InlineData("minio", "UPPER", "a", "bucket name 'UPPER' is invalid")]
    [InlineData("minio", "images", "", "object name is empty")]
    [InlineData("minio", "images", "bad\nname", "control characters")]
    public void Store_references_are_validated(string store, string bucket, string key, string reason)
    {
        var act = () => ObjectLocation.ForStore(store, bucket, key);
        act.Should().Throw<ObjectStorageException>().WithMessage($"*{reason}*");
    }

    [Fact]
    public void Over_long_object_names_are_refused()
    {
        var act = () => ObjectLocation.ForStore("minio", "images", new string('a', 1025));
        act.Should().Throw<ObjectStorageException>().WithMessage("*longer than 1024 bytes*");
    }

    [Theory]
    [InlineData("minio.example.com:9000", true, "https://minio.example.com:9000/")]
    [InlineData("minio.example.com:9000", false, "http://minio.example.com:9000/")]
    [InlineData("http://127.0.0.1:8080", true, "http://127.0.0.1:8080/")]
    public void Store_endpoints_accept_host_port_or_url(string endpoint, bool tls, string expected) =>
        new ObjectStoreOptions { Name = "s", Endpoint = endpoint, UseTls = tls }.EndpointUri().Should().Be(new Uri(expected));

    [Theory]
    [InlineData("https://minio.example.com/path")]
    [InlineData("https://minio.example.com/?x=1")]
    [InlineData("ftp://minio.example.com")]
    public void Store_endpoints_with_paths_or_queries_are_refused(string endpoint)
    {
        var act = () => new ObjectStoreOptions { Name = "s", Endpoint = endpoint }.EndpointUri();
        act.Should().Throw<ObjectStorageException>().WithMessage("*Object store 's': endpoint must be*");
    }

    [Fact]
    public void Credentials_never_print_the_secret() =>
        new ObjectStoreCredentials("AKID", "very-secret").ToString().Should().NotContain("very-secret").And.Contain("AKID");
}
