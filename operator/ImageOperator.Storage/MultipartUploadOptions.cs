namespace ImageOperator.Storage;

/// <summary>Tuning of <see cref="S3MultipartUpload"/>.</summary>
public sealed record MultipartUploadOptions
{
    /// <summary>S3's smallest part (every part but the last).</summary>
    public const int MinPartSize = 5 << 20;

    /// <summary>S3's largest number of parts per upload.</summary>
    public const int MaxParts = 10_000;

    /// <summary>Bytes per part (5 MiB to 1 GiB). With 16 MiB, objects up to 156 GiB fit in 10,000 parts.</summary>
    public int PartSize { get; init; } = 16 << 20;

    /// <summary>Parts uploaded at once. Memory is bounded by (this + 1, + 1 with <see cref="HoldHead"/>) × <see cref="PartSize"/>.</summary>
    public int MaxPartsInFlight { get; init; } = 4;

    /// <summary>
    /// Keep part 1 in memory until completion so that its bytes can still be patched (<see cref="S3MultipartUpload.PatchHeadAsync"/>).
    /// </summary>
    public bool HoldHead { get; init; }

    /// <summary>Attempts per request before a transient failure (5xx, 408, 429, network) fails the upload.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Delay after the first transient failure; doubles per attempt.</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Deadline of one request (one part upload included).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest time a request may move no byte (body sent, or answer awaited) before it counts as stalled and is retried; null for the store's (<see cref="ObjectStoreOptions.StallTimeout"/>).</summary>
    public TimeSpan? StallTimeout { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PartSize, MinPartSize, nameof(PartSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PartSize, 1 << 30, nameof(PartSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPartsInFlight, 1, nameof(MaxPartsInFlight));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
    }
}
