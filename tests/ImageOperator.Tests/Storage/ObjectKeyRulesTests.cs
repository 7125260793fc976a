using FluentAssertions;
using ImageOperator.Controllers;
using ImageOperator.Storage;
using Xunit;

namespace ImageOperator.Tests.Storage;

/// <summary>Object keys and bucket names are data: every spelling of a path trick is refused wherever a location is built.</summary>
public sealed class ObjectKeyRulesTests
{
    public static TheoryData<string, string> TrickKeys => new()
    {
        { "../image-library/x", "'..' segment" },
        { "a/../b", "'..' segment" },
        { "./a", "'.' segment" },
        { "a/.", "'.' segment" },
        { "a//b", "empty segment" },
        { "a/", "empty segment" },
        { "/a", "starts with '/'" },
        { "a\\..\\b", "backslash" },
        { "a\u0000b", "control characters" },
        { "a\u001bb", "control characters" },
        { "%2e%2e/x", "percent-encoded character '%2e'" },
        { "..%2fx", "percent-encoded character '%2f'" },
        { "a%2F..%2Fb", "percent-encoded character '%2F'" },
        { "a%5cb", "percent-encoded character '%5c'" },
        { "a%252e%252e", "percent-encoded character '%25'" },
        { "a%00b", "percent-encoded character '%00'" },
    };

    [Theory]
    [MemberData(nameof(TrickKeys))]
    public void Path_tricks_in_keys_are_refused_for_store_locations(string key, string reason)
    {
        ObjectLocation.ObjectNameProblem(key).Should().Contain(reason);
        var act = () => ObjectLocation.ForStore("default", "images", key);
        act.Should().Throw<ObjectStorageException>().Where(e => e.Error == ObjectStorageError.InvalidLocation && e.Message.Contains(reason));
    }

    [Theory]
    [MemberData(nameof(TrickKeys))]
    public void Path_tricks_are_refused_as_the_object_of_a_bucket_level_url(string key, string reason)
    {
        var bucket = ObjectLocation.Parse("https://os.example.com/p/tok/n/ns/b/exports/o/", allowBucketLevel: true);

        var act = () => bucket.WithObject(key);

        act.Should().Throw<ObjectStorageException>().Where(e => e.Message.Contains(reason));
    }

    [Theory]
    [MemberData(nameof(TrickKeys))]
    public void Path_tricks_are_refused_as_the_disk_named_by_a_manifest(string key, string reason)
    {
        var act = () => ImportSources.Beside(ObjectLocation.Parse("https://os.example.com/n/t/b/shared/o/web.manifest.json"), key);

        act.Should().Throw<ObjectStorageException>().Where(e => e.Message.Contains(reason));
    }

    [Theory]
    [InlineData("https://minio.example.com/images/../image-library/x.qcow2", "'..' segment")]
    [InlineData("https://minio.example.com/images/a/./b", "'.' segment")]
    [InlineData("https://minio.example.com/images/%2e%2e/image-library/x", "'%2e%2e' segment")]
    [InlineData("https://minio.example.com/images/a%2f..%2fb", "'..' segment")]
    [InlineData("https://minio.example.com/images/a//b", "empty segment")]
    [InlineData("https://minio.example.com/images\\..\\image-library/x", "backslash")]
    [InlineData("https://os.example.com/n/t/b/images/o/..%2F..%2Fimage-library%2Fx", "'..' segment")]
    public void Path_tricks_in_urls_are_refused_before_any_normalisation(string url, string reason)
    {
        ObjectLocation.TryParse(url, allowBucketLevel: false, out var problem).Should().BeNull();
        problem.Should().Contain(reason);
    }

    [Theory]
    [InlineData("images/team-a/web/1.qcow2")]
    [InlineData("dir/sub dir/ünïcode+plus.qcow2")]
    [InlineData("a..b/c.d/..e")]
    [InlineData("100%/x")]
    public void Ordinary_keys_are_accepted(string key) => ObjectLocation.ObjectNameProblem(key).Should().BeNull();

    [Fact]
    public void Every_key_segment_is_percent_encoded_in_a_url() =>
        ObjectLocation.EscapeKey("dir/a b?c#d%e").Should().Be("dir/a%20b%3Fc%23d%25e");

    [Theory]
    [InlineData("../image-library")]
    [InlineData("exports/x")]
    [InlineData("Images")]
    [InlineData("a")]
    [InlineData("192.168.0.1")]
    [InlineData("a..b")]
    public void Bucket_names_that_are_not_s3_bucket_names_are_refused(string bucket) =>
        ObjectLocation.BucketProblem(bucket).Should().NotBeNull();
}
