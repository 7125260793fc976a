namespace ImageOperator.Storage;

/// <summary>Tuning of <see cref="S3RangeReader"/>.</summary>
public sealed record RangeReaderOptions
{
    /// <summary>
    /// Smallest range fetched per request: a small read fetches this much from its offset and later reads within
    /// it are served from memory, so parsing headers and tables does not cost a request per field.
    /// </summary>
    public int ReadAheadBytes { get; init; } = 1 << 20;

    /// <summary>Read-ahead windows kept (least recently used one is dropped), bounding memory to windows × size.</summary>
    public int CachedWindows { get; init; } = 8;

    /// <summary>Attempts per range before a transient failure (5xx, 408, 429, connection reset, timeout) is reported.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Delay after the first transient failure; doubles per attempt.</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// ETag (without quotes) the object must still have: every request carries <c>If-Match</c> and every answer's
    /// ETag is compared, so an object replaced while it is read fails with <see cref="ObjectStorageError.Changed"/>
    /// instead of mixing bytes of two objects. Null reads whatever is there.
    /// </summary>
    public string? ExpectedETag { get; init; }

    /// <summary>Deadline of one request (headers and body).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest time a ranged GET may go without a byte arriving before it counts as stalled and is retried; null for the store's (<see cref="ObjectStoreOptions.StallTimeout"/>).</summary>
    public TimeSpan? StallTimeout { get; init; }
}
