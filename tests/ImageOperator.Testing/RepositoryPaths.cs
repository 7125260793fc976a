using System.Reflection;

namespace ImageOperator.Testing;

/// <summary>Locations inside the repository checkout the tests run from.</summary>
public static class RepositoryPaths
{
    /// <summary>Environment variable that overrides the checkout recorded at build time.</summary>
    public const string RootVariable = "IMAGE_OPERATOR_REPO_ROOT";

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The repository's top folder (holds <c>ImageOperator.sln</c>).</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>The generated CustomResourceDefinition manifests.</summary>
    public static string Crds => Path.Combine(Root, "crds");

    /// <summary>The sample custom objects users copy from.</summary>
    public static string Samples => Path.Combine(Root, "config", "samples");

    /// <summary>The shell scripts that provision, start and stop the real components.</summary>
    public static string StackScripts => Path.Combine(Root, "tests", "stack");

    /// <summary>The shell scripts that provision, start and stop the one-node test cluster.</summary>
    public static string ClusterScripts => Path.Combine(Root, "tests", "cluster");

    /// <summary>The operator's Helm chart.</summary>
    public static string Chart => Path.Combine(Root, "charts", "image-operator");

    private static string FindRoot()
    {
        var root = Environment.GetEnvironmentVariable(RootVariable);
        if (string.IsNullOrEmpty(root))
        {
            root = typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "RepositoryRoot").Value;
        }

        if (root is null || !File.Exists(Path.Combine(root, "ImageOperator.sln")))
        {
            throw new InvalidOperationException(
                $"The repository checkout '{root}' has no ImageOperator.sln; set {RootVariable} to the checkout the tests belong to.");
        }

        return root;
    }
}
