using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.IntegrationTests;

/// <summary>Tests that use the real Kubernetes API server.</summary>
[CollectionDefinition(TestCollections.ControlPlane)]
public sealed class ControlPlaneCollection : ICollectionFixture<ControlPlaneFixture>;

/// <summary>Tests that use the real S3 server.</summary>
[CollectionDefinition(TestCollections.S3)]
public sealed class S3Collection : ICollectionFixture<S3ServerFixture>;

/// <summary>Tests that use both the API server and the S3 server.</summary>
[CollectionDefinition(TestCollections.Stack)]
public sealed class StackCollection : ICollectionFixture<ControlPlaneFixture>, ICollectionFixture<S3ServerFixture>;
