namespace ImageOperator.Api.V1Alpha1;

/// <summary>Regular expressions shared by the schema attributes (and usable by webhooks for the same checks).</summary>
public static class Patterns
{
    /// <summary>A Kubernetes object name (DNS subdomain: lower case, digits, '-' and '.').</summary>
    public const string ObjectName = @"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    /// <summary>A namespace name (DNS label).</summary>
    public const string NamespaceName = @"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

    /// <summary>A key inside a Secret.</summary>
    public const string SecretKey = @"^[-._a-zA-Z0-9]+$";

    /// <summary>An S3 bucket name (3 to 63 characters; lower case, digits, '.' and '-').</summary>
    public const string BucketName = @"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";

    /// <summary>An HTTP or HTTPS URL.</summary>
    public const string HttpUrl = @"^https?://[^\s]+$";

    /// <summary>A lowercase hexadecimal SHA-256 digest.</summary>
    public const string Sha256 = "^[a-f0-9]{64}$";

    /// <summary>A block device name such as <c>/dev/sdb</c> or <c>/dev/xvdf</c>.</summary>
    public const string DeviceName = "^/dev/[a-z0-9]+$";
}
