using FluentAssertions;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class ObjectUrlTests
{
    [Theory]
    [InlineData("https://objectstorage.eu-1.example.com/n/tenancy/b/images/o/ol8.qcow2", ObjectUrlStyle.ObjectStorage, "images", "ol8.qcow2", false)]
    [InlineData("https://os.example.com/n/tenancy/b/images/o/dir/sub%20dir/ol8.qcow2", ObjectUrlStyle.ObjectStorage, "images", "dir/sub dir/ol8.qcow2", false)]
    [InlineData("https://os.example.com/n/tenancy/b/images/o/", ObjectUrlStyle.ObjectStorage, "images", "", false)]
    [InlineData("https://os.example.com/n/tenancy/b/images", ObjectUrlStyle.ObjectStorage, "images", "", false)]
    [InlineData("https://os.example.com/p/Zx9-token/n/tenancy/b/exports/", ObjectUrlStyle.PreAuthenticated, "exports", "", true)]
    [InlineData("https://os.example.com/p/Zx9-token/n/tenancy/b/images/o/ol8.oci", ObjectUrlStyle.PreAuthenticated, "images", "ol8.oci", true)]
    [InlineData("https://os.example.com/p/Zx9-token/n/tenancy/b/images/o/", ObjectUrlStyle.PreAuthenticated, "images", "", true)]
    [InlineData("http://127.0.0.1:9000/images/ol8.vmdk", ObjectUrlStyle.PathStyle, "images", "ol8.vmdk", false)]
    [InlineData("https://minio.example.com/images/a/b.vhd?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k&X-Amz-Signature=abc", ObjectUrlStyle.PathStyle, "images", "a/b.vhd", true)]
    [InlineData("https://minio.example.com/images/", ObjectUrlStyle.PathStyle, "images", "", false)]
    public void Parses_the_accepted_forms(string text, ObjectUrlStyle style, string bucket, string objectName, bool grantsAccess)
    {
        var url = ObjectUrl.TryParse(text, out var problem);

        problem.Should().BeEmpty();
        url.Should().Be(new ObjectUrl(style, bucket, objectName, grantsAccess, text.StartsWith("https", StringComparison.Ordinal)));
        url!.IsBucketLevel.Should().Be(objectName.Length == 0);
    }

    [Theory]
    [InlineData("not a url", "is not an absolute http(s) URL")]
    [InlineData("ftp://host/bucket/object", "is not an absolute http(s) URL")]
    [InlineData("s3://bucket/object", "is not an absolute http(s) URL")]
    [InlineData("https://alice:Hunter2@host/bucket/object", "must not carry a user name or password")]
    [InlineData("https://host/", "names no bucket")]
    [InlineData("https://host/n/tenancy/b/images/x/secret-key", "is not of the form https://<host>/n/<namespace>/b/<bucket>/o/<object>")]
    public void Rejects_other_text_without_quoting_it(string text, string expected)
    {
        ObjectUrl.TryParse(text, out var problem).Should().BeNull();

        problem.Should().StartWith(expected);
        problem.Should().NotContain("Hunter2").And.NotContain("secret-key").And.NotContain("host/");
    }
}
