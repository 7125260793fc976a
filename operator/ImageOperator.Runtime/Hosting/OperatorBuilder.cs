using ImageOperator.Runtime.Controllers;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageOperator.Runtime.Hosting;

/// <summary>Registers controllers and finalizers per entity type (returned by <see cref="ServiceCollectionExtensions.AddOperatorRuntime"/>).</summary>
public sealed class OperatorBuilder
{
    internal OperatorBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers <typeparamref name="TController"/> (scoped: a new instance per reconcile) as the controller of
    /// <typeparamref name="TEntity"/>. One controller per entity type.
    /// </summary>
    public OperatorBuilder AddController<TEntity, TController>(ControllerOptions? options = null)
        where TEntity : class, IKubernetesObject<V1ObjectMeta>
        where TController : class, IEntityController<TEntity>
    {
        if (Services.Any(d => d.ServiceType == typeof(ControllerRegistration) && d.ImplementationInstance is ControllerRegistration r && r.EntityType == typeof(TEntity)))
        {
            throw new InvalidOperationException($"A controller for {typeof(TEntity).Name} is already registered.");
        }

        Services.TryAddScoped<TController>();
        Services.AddSingleton(new ControllerRegistration(
            typeof(TEntity),
            (provider, finalizers) => new EntityControllerRunner<TEntity>(provider, typeof(TController), finalizers, options ?? new ControllerOptions())));
        return this;
    }

    /// <summary>
    /// Registers <typeparamref name="TFinalizer"/> (scoped) under <paramref name="identifier"/> (e.g.
    /// <c>imageoperator.io/exports</c>) for <typeparamref name="TEntity"/>, which needs a controller too.
    /// Finalizers run in registration order.
    /// </summary>
    public OperatorBuilder AddFinalizer<TEntity, TFinalizer>(string identifier)
        where TEntity : class, IKubernetesObject<V1ObjectMeta>
        where TFinalizer : class, IEntityFinalizer<TEntity>
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(identifier);
        if (!identifier.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Finalizer identifier '{identifier}' must be domain-qualified, e.g. 'imageoperator.io/{identifier}'.", nameof(identifier));
        }

        Services.TryAddScoped<TFinalizer>();
        Services.AddSingleton(new FinalizerRegistration(typeof(TEntity), identifier, typeof(TFinalizer)));
        return this;
    }
}

/// <summary>A controller registered for an entity type; creates a fresh runner per leadership term.</summary>
/// <param name="EntityType">The entity type.</param>
/// <param name="CreateRunner">Builds the runner from the root provider and the type's finalizers.</param>
public sealed record ControllerRegistration(Type EntityType, Func<IServiceProvider, IReadOnlyList<FinalizerRegistration>, IControllerRunner> CreateRunner);
