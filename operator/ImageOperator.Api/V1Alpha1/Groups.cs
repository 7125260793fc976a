namespace ImageOperator.Api.V1Alpha1;

/// <summary>Names of the API group, its version and its kubectl category.</summary>
public static class Groups
{
    /// <summary>The API group.</summary>
    public const string ImageOperator = "imageoperator.io";

    /// <summary>The API version.</summary>
    public const string V1Alpha1 = "v1alpha1";

    /// <summary>Category of the image resources (<c>kubectl get vmimages</c>).</summary>
    public const string Category = "vmimages";
}
