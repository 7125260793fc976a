using FluentAssertions;
using ImageOperator.Storage;
using Xunit;

namespace ImageOperator.Tests.Storage;

public sealed class ObjectStoreRegistryTests
{
    private static readonly ObjectStoreCredentials Keys = new("access", "secret");

    [Fact]
    public void Of_several_stores_on_one_endpoint_the_first_configured_serves_its_urls_even_after_rotation()
    {
        using var registry = new ObjectStoreRegistry();
        registry.Configure(Options("second-listed-name-sorts-last"), Keys);
        registry.Configure(Options("a-name-sorting-first"), Keys);
        registry.Configure(Options("elsewhere", "https://other.example.com"), Keys);

        var rotated = registry.Configure(Options("second-listed-name-sorts-last"), new ObjectStoreCredentials("access", "rotated"));

        registry.FindByEndpoint(new Uri("https://s3.example.com/bucket/key")).Should().BeSameAs(rotated);
        registry.FindByEndpoint(new Uri("https://other.example.com/bucket/key"))!.Name.Should().Be("elsewhere");
        registry.FindByEndpoint(new Uri("https://s3.example.com:8443/bucket/key")).Should().BeNull();
    }

    private static ObjectStoreOptions Options(string name, string endpoint = "https://s3.example.com") => new() { Name = name, Endpoint = endpoint };
}
