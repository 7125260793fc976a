using ImageOperator.Configuration;
using ImageOperator.Tenancy;

namespace ImageOperator.Tests.Webhooks;

/// <summary>Tenancy configurations the admission tests run under.</summary>
internal static class TestPolicies
{
    /// <summary>The S3 endpoint of the configured store; URLs on it are reached with the operator's keys.</summary>
    public const string StoreEndpoint = "https://minio.example.com";

    /// <summary>The operator's image library bucket (reserved).</summary>
    public const string LibraryBucket = "image-library";

    /// <summary>Every namespace may read <c>images</c> and write <c>exports</c> under its own <c>{namespace}/</c> prefix, and read anything in <c>public</c>.</summary>
    public static StoreAccessPolicy PerNamespacePrefixes() => new(new OperatorOptions
    {
        Library = new LibraryOptions { Bucket = LibraryBucket },
        ObjectStores =
        [
            new ObjectStoreSettings
            {
                Name = "default",
                Endpoint = StoreEndpoint,
                ReservedBuckets = ["audit-logs"],
                Grants =
                [
                    new StoreGrant { Namespaces = ["*"], Buckets = ["images", "exports", "b1b"], Prefix = "{namespace}/", Access = StoreAccess.ReadWrite },
                    new StoreGrant { Namespaces = ["*"], Buckets = ["public"], Access = StoreAccess.Read },
                ],
            },
        ],
    });
}
