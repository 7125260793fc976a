namespace ImageOperator.Testing;

/// <summary>Polls a condition of an asynchronous system until it holds or a generous deadline passes.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string what, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await probe();
            if (condition(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
        }
    }

    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        GetAsync(() => Task.FromResult(condition()), ok => ok, what, timeout);

    /// <summary>Polls once a second: for probes that start a process (kubectl).</summary>
    public static Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan timeout) =>
        GetAsync(condition, ok => ok, what, timeout, TimeSpan.FromSeconds(1));
}
