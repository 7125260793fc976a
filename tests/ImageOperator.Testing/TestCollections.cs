namespace ImageOperator.Testing;

/// <summary>
/// Names of the xunit collections that share the real servers. xunit 2 only reads collection definitions from the
/// test assembly itself, so each test assembly declares them with these names, e.g.
/// <c>[CollectionDefinition(TestCollections.ControlPlane)] public sealed class ControlPlaneCollection : ICollectionFixture&lt;ControlPlaneFixture&gt;;</c>.
/// Whatever the collections, each server starts once per test process.
/// </summary>
public static class TestCollections
{
    /// <summary>Tests that need the Kubernetes API server.</summary>
    public const string ControlPlane = "control plane";

    /// <summary>Tests that need the S3 server.</summary>
    public const string S3 = "s3";

    /// <summary>Tests that need both.</summary>
    public const string Stack = "stack";
}
