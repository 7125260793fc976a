// Load generators: image-operator-bench webhook [--rate N] [--duration SECONDS] [--shapes FILE]
using System.Globalization;
using ImageOperator.Benchmarks;

var options = args.Skip(1).Chunk(2).Where(pair => pair.Length == 2).ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
if (args.FirstOrDefault() != "webhook")
{
    Console.Error.WriteLine("usage: image-operator-bench webhook [--rate 200] [--duration 60] [--shapes config/samples/shapes.yaml]");
    return 2;
}

var rate = int.Parse(options.GetValueOrDefault("--rate", "200"), CultureInfo.InvariantCulture);
var duration = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("--duration", "60"), CultureInfo.InvariantCulture));
return await WebhookLoad.RunAsync(rate, duration, options.GetValueOrDefault("--shapes", "config/samples/shapes.yaml"));
