using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Events;
using ImageOperator.Runtime.Metrics;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Hosting;

/// <summary>Registration of the operator runtime in a host.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds the runtime: the hosted service that elects a leader and runs the registered controllers, the
    /// <see cref="EventRecorder"/>, <see cref="EntityClient{TEntity}"/> for any entity type, <see cref="OperatorMetrics"/>
    /// (default registry unless one is registered first) and <see cref="OperatorHealth"/>. Registers an <see cref="IKubernetes"/> from the in-cluster
    /// configuration or the kubeconfig unless one is registered already.
    /// </summary>
    public static OperatorBuilder AddOperatorRuntime(this IServiceCollection services, Action<OperatorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new OperatorOptions();
        configure?.Invoke(options);
        options.LeaderElection?.Validate();
        services.AddSingleton(options);
        services.TryAddSingleton<IKubernetes>(_ => new Kubernetes(
            KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile()));
        services.TryAddSingleton(typeof(EntityClient<>));
        services.TryAddSingleton(_ => new OperatorMetrics());
        services.TryAddSingleton<OperatorHealth>();
        services.TryAddSingleton(provider => new EventRecorder(
            provider.GetRequiredService<IKubernetes>(), provider.GetRequiredService<ILogger<EventRecorder>>(), options.EventComponent));
        services.AddHostedService<OperatorHostedService>();
        return new OperatorBuilder(services);
    }
}
