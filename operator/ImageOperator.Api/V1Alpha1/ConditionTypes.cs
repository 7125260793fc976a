namespace ImageOperator.Api.V1Alpha1;

/// <summary>Condition types reported by the image resources.</summary>
public static class ConditionTypes
{
    /// <summary>The object reached its goal: the image is available, the import or export succeeded.</summary>
    public const string Ready = "Ready";

    /// <summary>An import is reading and converting data.</summary>
    public const string Importing = "Importing";

    /// <summary>An export is writing data (on an ImageExport), or at least one export of the image runs (on a CustomImage).</summary>
    public const string Exporting = "Exporting";

    /// <summary>The work stopped for good; the reason names the cause.</summary>
    public const string Failed = "Failed";

    /// <summary>
    /// Whether the stored disk of a CustomImage is still the object its import wrote (its ETag, size and SHA-256
    /// are checked by every export and copy).
    /// </summary>
    public const string StoredDiskIntact = "StoredDiskIntact";

    /// <summary>
    /// Whether a Windows image sets the RealTimeIsUniversal registry value; without it the guest clock drifts
    /// after reboot.
    /// </summary>
    public const string RealTimeIsUniversal = "RealTimeIsUniversal";
}

/// <summary>Reasons of the conditions; each names one cause a user can act on.</summary>
public static class ConditionReasons
{
    /// <summary>Accepted and waiting to start.</summary>
    public const string Pending = "Pending";

    /// <summary>Work is under way.</summary>
    public const string InProgress = "InProgress";

    /// <summary>The work finished and was verified.</summary>
    public const string Succeeded = "Succeeded";

    /// <summary>The image is ready for use.</summary>
    public const string Available = "Available";

    /// <summary>The image was disabled by its owner.</summary>
    public const string Disabled = "Disabled";

    /// <summary>The source object, URL, manifest or image does not exist.</summary>
    public const string SourceNotFound = "SourceNotFound";

    /// <summary>The operator may not read the source or write the destination (credentials, expired or wrong pre-authenticated URL).</summary>
    public const string AccessDenied = "AccessDenied";

    /// <summary>The data is not a disk image in a supported format or variant.</summary>
    public const string UnsupportedFormat = "UnsupportedFormat";

    /// <summary>The image refers to data outside itself (backing file, external extent) or breaks a safety bound.</summary>
    public const string UnsafeImage = "UnsafeImage";

    /// <summary>The data is in another format than the one stated in sourceImageType.</summary>
    public const string FormatMismatch = "FormatMismatch";

    /// <summary>The image is damaged: truncated, inconsistent tables, bad checksums.</summary>
    public const string CorruptImage = "CorruptImage";

    /// <summary>The image's origin (platform, marketplace) forbids exporting it.</summary>
    public const string ExportNotAllowed = "ExportNotAllowed";

    /// <summary>The image to export or copy is not in state Available.</summary>
    public const string ImageNotAvailable = "ImageNotAvailable";

    /// <summary>The object written to the destination is missing or its size or checksum differ.</summary>
    public const string VerificationFailed = "VerificationFailed";

    /// <summary>The stored disk's ETag, size or SHA-256 no longer match what its import recorded: it was replaced behind the operator's back.</summary>
    public const string StoredDiskChanged = "StoredDiskChanged";

    /// <summary>The stored disk matches what its import recorded.</summary>
    public const string Verified = "Verified";

    /// <summary>The object store could not be reached or answered with an error.</summary>
    public const string StorageError = "StorageError";

    /// <summary>The image cannot be deleted while exports of it run.</summary>
    public const string ExportsInProgress = "ExportsInProgress";

    /// <summary>The Windows registry value RealTimeIsUniversal is set to 1.</summary>
    public const string RealTimeIsUniversalSet = "RealTimeIsUniversalSet";

    /// <summary>The Windows registry value RealTimeIsUniversal is missing or not 1.</summary>
    public const string RealTimeIsUniversalMissing = "RealTimeIsUniversalMissing";

    /// <summary>The registry could not be read, so the value is unknown.</summary>
    public const string RegistryUnreadable = "RegistryUnreadable";
}
