using ImageOperator.Cli;

return await CommandLine.RunAsync(args).ConfigureAwait(false);
