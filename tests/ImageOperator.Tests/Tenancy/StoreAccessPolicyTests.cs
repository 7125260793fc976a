using FluentAssertions;
using ImageOperator.Configuration;
using ImageOperator.Storage;
using ImageOperator.Tenancy;
using Microsoft.Extensions.Options;
using Xunit;

namespace ImageOperator.Tests.Tenancy;

public sealed class StoreAccessPolicyTests
{
    private static OperatorOptions Options(params StoreGrant[] grants) => new()
    {
        Library = new LibraryOptions { Store = "lib", Bucket = "image-library" },
        ObjectStores =
        [
            new ObjectStoreSettings { Name = "lib", Endpoint = "http://127.0.0.1:9000", CredentialsSecret = new() { Name = "k" }, Grants = grants },
            new ObjectStoreSettings { Name = "alias", Endpoint = "http://127.0.0.1:9000/", CredentialsSecret = new() { Name = "k" }, Grants = grants },
            new ObjectStoreSettings { Name = "archive", Endpoint = "https://archive.example.com", CredentialsSecret = new() { Name = "k" }, ReservedBuckets = ["backups"], Grants = grants },
        ],
    };

    private static readonly StoreGrant PerNamespace = new() { Namespaces = ["*"], Buckets = ["images", "exports"], Prefix = "{namespace}/", Access = StoreAccess.ReadWrite };

    public static TheoryData<string, string, string, StoreAccess, string?> Matrix => new()
    {
        { "team-a", "images", "team-a/disk.qcow2", StoreAccess.Read, null },
        { "team-a", "exports", "team-a/deep/disk.vmdk", StoreAccess.Write, null },
        { "team-a", "images", "team-b/disk.qcow2", StoreAccess.Read, TenancyReasons.NotGranted },
        { "team", "images", "team-b/disk.qcow2", StoreAccess.Read, TenancyReasons.NotGranted },
        { "team-a", "images", "disk.qcow2", StoreAccess.Read, TenancyReasons.NotGranted },
        { "team-a", "other", "team-a/disk.qcow2", StoreAccess.Read, TenancyReasons.NotGranted },
        { "team-a", "image-library", "images/team-a/web/1.qcow2", StoreAccess.Read, TenancyReasons.ReservedBucket },
        { "team-a", "image-library", "team-a/x", StoreAccess.Write, TenancyReasons.ReservedBucket },
        { "team-a", "images", "team-a/../team-b/disk.qcow2", StoreAccess.Read, "InvalidLocation" },
        { "team-a", "images", "../image-library/images/team-b/x", StoreAccess.Read, "InvalidLocation" },
        { "team-a", "Images", "team-a/disk.qcow2", StoreAccess.Read, "InvalidLocation" },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void The_operator_keys_reach_only_granted_prefixes(string ns, string bucket, string key, StoreAccess access, string? refusal)
    {
        var policy = new StoreAccessPolicy(Options(PerNamespace));

        policy.CheckStoreObject(ns, "lib", bucket, key, access, ownCredentials: false)?.Reason.Should().Be(refusal);
        if (refusal is null)
        {
            policy.CheckStoreObject(ns, "lib", bucket, key, access, ownCredentials: false).Should().BeNull();
        }
    }

    [Fact]
    public void A_read_grant_does_not_let_a_namespace_write()
    {
        var policy = new StoreAccessPolicy(Options(new StoreGrant { Namespaces = ["team-a"], Buckets = ["public"], Access = StoreAccess.Read }));

        policy.CheckStoreObject("team-a", "lib", "public", "x", StoreAccess.Read, false).Should().BeNull();
        var refusal = policy.CheckStoreObject("team-a", "lib", "public", "x", StoreAccess.Write, false)!;
        refusal.Reason.Should().Be(TenancyReasons.NotGranted);
        refusal.Message.Should().Contain("may not write object 'x' in bucket 'public' of store 'lib'").And.Contain("no grant lets it write anything there");
        policy.CheckStoreObject("team-b", "lib", "public", "x", StoreAccess.Read, false)!.Reason.Should().Be(TenancyReasons.NotGranted, "the grant names team-a only");
    }

    [Fact]
    public void Own_keys_reach_any_bucket_but_the_reserved_ones()
    {
        var policy = new StoreAccessPolicy(Options());

        policy.CheckStoreObject("team-a", "lib", "anything", "any/key", StoreAccess.Write, ownCredentials: true).Should().BeNull();
        policy.CheckStoreObject("team-a", "lib", "image-library", "images/team-b/x", StoreAccess.Read, ownCredentials: true)!.Reason.Should().Be(TenancyReasons.ReservedBucket);
        policy.CheckStoreObject("team-a", "archive", "backups", "x", StoreAccess.Read, ownCredentials: true)!.Reason.Should().Be(TenancyReasons.ReservedBucket);
    }

    [Fact]
    public void The_library_is_reserved_on_every_store_name_of_its_endpoint()
    {
        var policy = new StoreAccessPolicy(Options(new StoreGrant { Namespaces = ["*"], Buckets = ["*"], Access = StoreAccess.ReadWrite }));

        policy.CheckStoreObject("team-a", "alias", "image-library", "images/team-b/x", StoreAccess.Read, false)!.Reason.Should().Be(TenancyReasons.ReservedBucket);
        policy.CheckStoreObject("team-a", "archive", "image-library", "x", StoreAccess.Read, false).Should().BeNull("another server's bucket of that name is not the library");
        policy.CheckStoreObject("team-a", "lib", "anything", "x", StoreAccess.ReadWrite, false).Should().BeNull("a '*' grant opens every other bucket");
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000/image-library/images/team-b/x.qcow2", TenancyReasons.ReservedBucket)]
    [InlineData("http://127.0.0.1:9000/image-library/images/team-b/x.qcow2?X-Amz-Signature=abc", TenancyReasons.ReservedBucket)]
    [InlineData("http://127.0.0.1:9000/images/team-b/x.qcow2", TenancyReasons.NotGranted)]
    [InlineData("http://127.0.0.1:9000/images/team-a/x.qcow2", null)]
    [InlineData("http://127.0.0.1:9000/images/team-b/x.qcow2?X-Amz-Signature=abc", null)]
    [InlineData("https://downloads.example.org/image-library/x.qcow2", null)]
    [InlineData("https://archive.example.com/backups/x", TenancyReasons.ReservedBucket)]
    public void Urls_on_a_store_endpoint_follow_the_same_rules(string url, string? refusal)
    {
        var policy = new StoreAccessPolicy(Options(PerNamespace));

        var result = policy.CheckUrl("team-a", ObjectLocation.Parse(url), StoreAccess.Read);

        (result?.Reason).Should().Be(refusal);
    }

    [Fact]
    public void An_unknown_store_is_refused_naming_the_known_ones()
    {
        var refusal = new StoreAccessPolicy(Options(PerNamespace)).CheckStoreObject("team-a", "nope", "images", "team-a/x", StoreAccess.Read, false)!;

        refusal.Message.Should().Be("no object store named 'nope' is configured (configured: lib, alias, archive)");
    }

    public static TheoryData<StoreGrant, string> BadGrants => new()
    {
        { new StoreGrant { Buckets = ["images"], Access = StoreAccess.Read }, "Grants:0: Namespaces must list namespaces" },
        { new StoreGrant { Namespaces = ["*"], Access = StoreAccess.Read }, "Grants:0: Buckets must list buckets" },
        { new StoreGrant { Namespaces = ["*"], Buckets = ["images"], Access = StoreAccess.None }, "Grants:0: Access must be Read, Write or ReadWrite" },
        { new StoreGrant { Namespaces = ["*"], Buckets = ["images"], Prefix = "{namespace}", Access = StoreAccess.Read }, "must follow {namespace} with '/'" },
        { new StoreGrant { Namespaces = ["*"], Buckets = ["images"], Prefix = "../", Access = StoreAccess.Read }, "Prefix \"../\" the object name has a '..' segment" },
    };

    [Theory]
    [MemberData(nameof(BadGrants))]
    public void Grants_that_could_leak_are_refused_at_start_up(StoreGrant grant, string expected)
    {
        var options = Options(grant);

        var act = () => HostingExtensions.Validate(options);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f => f.Contains(expected) && f.StartsWith("ImageOperator:ObjectStores:0:"));
    }
}
