using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ImageOperator.IntegrationTests.Runtime;

/// <summary>The hosted services of a service collection, started as a host would start them and stopped on dispose.</summary>
internal sealed class RuntimeHost : IAsyncDisposable
{
    private readonly IHostedService[] hosted;

    private RuntimeHost(ServiceProvider services)
    {
        Services = services;
        hosted = [.. services.GetServices<IHostedService>()];
    }

    public ServiceProvider Services { get; }

    public static async Task<RuntimeHost> StartAsync(IServiceCollection collection)
    {
        var host = new RuntimeHost(collection.BuildServiceProvider());
        foreach (var service in host.hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        return host;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        await Services.DisposeAsync();
    }
}
