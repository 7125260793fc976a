namespace ImageOperator.Api.V1Alpha1;

/// <summary>
/// Size limits of the API, written into the CRD schemas so that the API server refuses an oversized object naming the
/// field. Tag limits follow the source provider's own (SPEC §8): at most 64 tags in all, keys of up to 100 and
/// values of up to 256 characters.
/// </summary>
public static class Limits
{
    /// <summary>Most tags of an object: free-form and defined ones together, and in each tag namespace.</summary>
    public const int MaxTags = 64;

    /// <summary>Longest tag key (and tag namespace name), in characters.</summary>
    public const int MaxTagKeyLength = 100;

    /// <summary>Longest tag value, in characters.</summary>
    public const int MaxTagValueLength = 256;

    /// <summary>Most shape compatibility entries.</summary>
    public const int MaxShapeCompatibilities = 128;

    /// <summary>Most block device mappings.</summary>
    public const int MaxBlockDeviceMappings = 32;

    /// <summary>Most namespaces an image is shared with.</summary>
    public const int MaxSharedNamespaces = 256;
}
