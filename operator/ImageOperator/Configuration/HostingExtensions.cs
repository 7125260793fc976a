using System.Net;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Controllers;
using ImageOperator.Runtime.Controllers;
using ImageOperator.Runtime.Informers;
using ImageOperator.Runtime.Hosting;
using ImageOperator.Storage;
using ImageOperator.Tenancy;
using k8s;
using Microsoft.Extensions.Options;

namespace ImageOperator.Configuration;

/// <summary>Registers the operator's configuration, clients, controllers and endpoints in the host.</summary>
public static class HostingExtensions
{
    /// <summary>Switch mapping of the documented command-line options.</summary>
    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--kubeconfig"] = "Kubernetes:Kubeconfig",
        ["--config"] = "ConfigFile",
    };

    /// <summary>
    /// Adds the <c>--config</c> file (YAML or JSON) under the environment and the command line, so that both still
    /// override it, and sets up structured console logging with scopes (namespace and name of the reconciled object).
    /// </summary>
    public static WebApplicationBuilder AddOperatorConfiguration(this WebApplicationBuilder builder, string[] args)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.AddCommandLine(args, Switches);
        if (builder.Configuration["ConfigFile"] is { Length: > 0 } file)
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"configuration file {file} does not exist", file);
            }

            builder.Configuration.AddInMemoryCollection(YamlConfigurationFile.Load(file));
            builder.Configuration.AddEnvironmentVariables();
            builder.Configuration.AddCommandLine(args, Switches);
        }

        builder.Logging.ClearProviders();
        if (string.Equals(builder.Configuration["LogFormat"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        return builder;
    }

    /// <summary>
    /// Registers the operator: validated <see cref="OperatorOptions"/>, the Kubernetes client, object-store access,
    /// the runtime with leader election, the three controllers with the stored-disk finalizer, metrics, and the
    /// plain-HTTP listener of <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>.
    /// </summary>
    public static WebApplicationBuilder AddImageOperator(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(OperatorOptions.Section).Get<OperatorOptions>() ?? new OperatorOptions();
        Validate(options);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IKubernetes>(_ => new Kubernetes(KubernetesConfiguration(builder.Configuration["Kubernetes:Kubeconfig"])));
        builder.Services.AddSingleton<ObjectStores>();
        builder.Services.AddSingleton<StoreAccessPolicy>();
        builder.Services.AddSingleton<ImageMetrics>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(15));

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Parse(options.MetricsBindAddress), options.MetricsPort));

        builder.Services
            .AddOperatorRuntime(runtime => runtime.LeaderElection = options.LeaderElection.Enabled
                ? new Runtime.LeaderElection.LeaderElectionOptions
                {
                    LeaseName = options.LeaderElection.LeaseName,
                    LeaseNamespace = options.LeaderElection.Namespace,
                    LeaseDuration = options.LeaderElection.LeaseDuration,
                    RenewDeadline = options.LeaderElection.RenewDeadline,
                    RetryPeriod = options.LeaderElection.RetryPeriod,
                }
                : null)
            .AddImageOperatorControllers(options);
        return builder;
    }

    private static OperatorBuilder AddImageOperatorControllers(this OperatorBuilder runtime, OperatorOptions options)
    {
        // Imports and exports hold a worker for their whole transfer; their retries back off from seconds, not
        // milliseconds, and their own progress and retry notes in status must not re-run them.
        ControllerOptions Workers(int count, TimeSpan initialBackoff, bool ownStatusOnly = false) => new()
        {
            Workers = count,
            InitialBackoff = initialBackoff,
            IgnoreStatusOnlyChanges = ownStatusOnly,
            DrainTimeout = options.DrainTimeout,
            Informer = new InformerOptions
            {
                Namespaces = options.WatchedNamespaces(),
                ResyncPeriod = options.ResyncPeriod,
            },
        };

        runtime.Services.AddSingleton<ImportSources>();
        runtime.Services.AddSingleton<StoredDisks>();
        return runtime
            .AddController<ImageImport, ImageImportController>(Workers(options.Concurrency.Imports, TimeSpan.FromSeconds(2), ownStatusOnly: true))
            .AddController<ImageExport, ImageExportController>(Workers(options.Concurrency.Exports, TimeSpan.FromSeconds(2), ownStatusOnly: true))
            .AddController<CustomImage, CustomImageController>(Workers(options.Concurrency.Images, TimeSpan.FromMilliseconds(100)))
            .AddFinalizer<CustomImage, StoredDiskFinalizer>(StoredDiskFinalizer.Identifier);
    }

    private static IEnumerable<string> GrantProblems(StoreGrant grant)
    {
        if (grant.Namespaces.Count == 0 || grant.Namespaces.Any(string.IsNullOrWhiteSpace))
        {
            yield return "Namespaces must list namespaces (or \"*\")";
        }

        if (grant.Buckets.Count == 0 || grant.Buckets.Any(string.IsNullOrWhiteSpace))
        {
            yield return "Buckets must list buckets (or \"*\")";
        }

        if (grant.Access == StoreAccess.None)
        {
            yield return "Access must be Read, Write or ReadWrite";
        }

        // "{namespace}" not closed by '/' would let namespace "team" reach the objects of "team-b".
        var token = grant.Prefix.IndexOf(StoreGrant.NamespaceToken, StringComparison.Ordinal);
        if (token >= 0 && !grant.Prefix.AsSpan(token + StoreGrant.NamespaceToken.Length).StartsWith("/"))
        {
            yield return $"Prefix \"{grant.Prefix}\" must follow {StoreGrant.NamespaceToken} with '/', or one namespace's prefix would cover another's";
        }

        if (grant.Prefix.Length > 0 && ObjectLocation.ObjectNameProblem(grant.Prefix + "x") is { } problem)
        {
            yield return $"Prefix \"{grant.Prefix}\" {problem}";
        }
    }

    private static KubernetesClientConfiguration KubernetesConfiguration(string? kubeconfig)
    {
        if (!string.IsNullOrEmpty(kubeconfig))
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        }

        return KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile();
    }

    /// <summary>Fails start-up with every problem of <paramref name="options"/> listed, each naming its setting.</summary>
    internal static void Validate(OperatorOptions options)
    {
        var errors = new List<string>();
        if (options.ObjectStores.Count == 0)
        {
            errors.Add("ImageOperator:ObjectStores must list at least one object store");
        }

        for (var i = 0; i < options.ObjectStores.Count; i++)
        {
            var store = options.ObjectStores[i];
            if (!Uri.TryCreate(store.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            {
                errors.Add($"ImageOperator:ObjectStores:{i}:Endpoint must be an http or https URL (store \"{store.Name}\")");
            }

            if (string.IsNullOrEmpty(store.CredentialsSecret.Name))
            {
                errors.Add($"ImageOperator:ObjectStores:{i}:CredentialsSecret:Name is required (store \"{store.Name}\")");
            }

            for (var g = 0; g < store.Grants.Count; g++)
            {
                errors.AddRange(GrantProblems(store.Grants[g]).Select(problem => $"ImageOperator:ObjectStores:{i}:Grants:{g}: {problem} (store \"{store.Name}\")"));
            }
        }

        foreach (var duplicate in options.ObjectStores.GroupBy(s => s.Name).Where(g => g.Count() > 1))
        {
            errors.Add($"object store name \"{duplicate.Key}\" is used more than once");
        }

        if (options.ObjectStores.Count > 0 && options.Library.Store is { } library && options.ObjectStores.All(s => s.Name != library))
        {
            errors.Add($"ImageOperator:Library:Store names an unknown object store \"{library}\"");
        }

        if (string.IsNullOrEmpty(options.Library.Bucket))
        {
            errors.Add("ImageOperator:Library:Bucket is required");
        }

        if (options.Concurrency.Imports < 1 || options.Concurrency.Exports < 1 || options.Concurrency.Images < 1)
        {
            errors.Add("ImageOperator:Concurrency values must be at least 1");
        }

        if (options.MetricsPort is < 0 or > 65535)
        {
            errors.Add("ImageOperator:MetricsPort must be between 0 and 65535");
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(OperatorOptions.Section, typeof(OperatorOptions), errors);
        }
    }
}
