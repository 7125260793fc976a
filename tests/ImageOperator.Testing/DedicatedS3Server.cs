using Xunit;

namespace ImageOperator.Testing;

/// <summary>
/// A class fixture with an S3 server of the test class's own (<see cref="S3ServerFixture.StartDedicatedAsync"/>), for
/// fault tests that stop its gateway without disturbing the tests sharing the process-wide server.
/// </summary>
public sealed class DedicatedS3Server : IAsyncLifetime
{
    private S3ServerFixture? _s3;

    /// <summary>The running server.</summary>
    public S3ServerFixture S3 => _s3 ?? throw new InvalidOperationException("The dedicated S3 server is not started.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _s3 = await S3ServerFixture.StartDedicatedAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => _s3?.DisposeAsync() ?? Task.CompletedTask;
}
