namespace ImageOperator.Testing;

/// <summary>The outcome of a finished external process.</summary>
/// <param name="Command">The command line, for messages.</param>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="StandardOutput">Everything it wrote to stdout.</param>
/// <param name="StandardError">Everything it wrote to stderr.</param>
public sealed record ProcessResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Whether the process exited with code 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Returns this result, or throws with the command's stderr when it failed.</summary>
    public ProcessResult EnsureSuccess()
    {
        if (!Succeeded)
        {
            throw new InvalidOperationException($"'{Command}' exited with code {ExitCode}:\n{Tail(StandardError)}{Tail(StandardOutput)}");
        }

        return this;
    }

    /// <inheritdoc />
    public override string ToString() => $"'{Command}' exited with {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";

    private static string Tail(string text, int lines = 40)
    {
        var all = text.TrimEnd().Split('\n');
        return all.Length <= lines ? text : string.Join('\n', all[^lines..]) + "\n";
    }
}
