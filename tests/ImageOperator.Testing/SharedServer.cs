namespace ImageOperator.Testing;

/// <summary>
/// One server per test process, shared by every fixture that uses it: started by the first
/// <see cref="AcquireAsync"/>, stopped when the last user releases it.
/// </summary>
/// <typeparam name="T">The running server's handle.</typeparam>
internal sealed class SharedServer<T>(Func<Task<T>> start)
    where T : class, IAsyncDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private T? server;
    private int users;

    public async Task<T> AcquireAsync()
    {
        await gate.WaitAsync();
        try
        {
            server ??= await start();
            users++;
            return server;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task ReleaseAsync()
    {
        await gate.WaitAsync();
        try
        {
            if (--users == 0 && server is not null)
            {
                await server.DisposeAsync();
                server = null;
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
