namespace ImageOperator.Runtime.Entities;

/// <summary>
/// Optimistic-concurrency loop: apply a change to the latest known state; when the write is rejected because the
/// object changed meanwhile (409), read the object again and re-apply the same change, so no update is lost and
/// none overwrites another writer's work.
/// </summary>
public static class ConflictRetry
{
    /// <summary>Attempts before the conflict is surfaced to the caller (which then retries with back-off).</summary>
    public const int DefaultMaxAttempts = 8;

    /// <summary>
    /// Runs <paramref name="write"/> on <paramref name="current"/>; on a conflict, gets a fresh copy with
    /// <paramref name="reread"/> and writes again, up to <paramref name="maxAttempts"/> times.
    /// </summary>
    /// <param name="current">State to try first (typically the cached entity), saving one read when it is fresh.</param>
    /// <param name="write">Applies the change to a copy and writes it with that copy's resourceVersion; null when the object is gone.</param>
    /// <param name="reread">Reads the latest state; null means the object is gone and nothing is written.</param>
    /// <param name="isConflict">Decides whether an exception is a concurrency conflict.</param>
    /// <param name="maxAttempts">Upper bound on writes.</param>
    /// <param name="cancellationToken">Cancels between attempts.</param>
    /// <returns>The written state, or null when the object disappeared.</returns>
    public static async Task<T?> RunAsync<T>(
        T current,
        Func<T, CancellationToken, Task<T?>> write,
        Func<CancellationToken, Task<T?>> reread,
        Func<Exception, bool> isConflict,
        int maxAttempts = DefaultMaxAttempts,
        CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        T? state = current;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await write(state, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (attempt < maxAttempts && isConflict(exception))
            {
                state = await reread(cancellationToken).ConfigureAwait(false);
                if (state is null)
                {
                    return null;
                }
            }
        }
    }
}
