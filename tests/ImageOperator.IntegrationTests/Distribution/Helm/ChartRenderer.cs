using System.Collections;
using System.Text;

namespace ImageOperator.IntegrationTests.Distribution.Helm;

/// <summary>
/// Renders a Helm chart the way <c>helm template</c> does, for charts written in the subset <see cref="GoTemplate"/>
/// parses: values from <c>values.yaml</c> merged with overrides, the built-in objects <c>.Values</c>,
/// <c>.Release</c> (Name, Namespace, Service) and <c>.Chart</c> (Name, Version, AppVersion, Description), named
/// templates from every file (<c>_*.tpl</c> included), and <c>templates/NOTES.txt</c> apart.
/// </summary>
internal sealed class ChartRenderer
{
    private readonly Dictionary<string, IReadOnlyList<TemplateNode>> _defines = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, IReadOnlyList<TemplateNode>> _templates = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, object?> _chart;
    private readonly string _defaultValues;

    private ChartRenderer(string directory)
    {
        Directory = directory;
        var metadata = ValuesYaml.ParseMap(File.ReadAllText(Path.Combine(directory, "Chart.yaml")));
        _chart = new(StringComparer.Ordinal)
        {
            ["Name"] = metadata.GetValueOrDefault("name"),
            ["Version"] = metadata.GetValueOrDefault("version"),
            ["AppVersion"] = metadata.GetValueOrDefault("appVersion"),
            ["Description"] = metadata.GetValueOrDefault("description"),
        };
        _defaultValues = File.ReadAllText(Path.Combine(directory, "values.yaml"));
        foreach (var path in System.IO.Directory.EnumerateFiles(Path.Combine(directory, "templates")).Order(StringComparer.Ordinal))
        {
            var name = $"templates/{Path.GetFileName(path)}";
            var nodes = GoTemplate.Parse(name, File.ReadAllText(path), _defines);
            if (!Path.GetFileName(path).StartsWith('_'))
            {
                _templates[name] = nodes;
            }
        }
    }

    /// <summary>The chart's folder.</summary>
    public string Directory { get; }

    /// <summary>Loads and parses the chart in <paramref name="directory"/>.</summary>
    public static ChartRenderer Load(string directory) => new(directory);

    /// <summary>Renders every template for a release.</summary>
    /// <param name="releaseName">The release's name.</param>
    /// <param name="releaseNamespace">The release's namespace.</param>
    /// <param name="overrides">Values merged over <c>values.yaml</c>, as YAML (like <c>helm template -f</c>).</param>
    public RenderedChart Render(string releaseName, string releaseNamespace, string? overrides = null)
    {
        var values = ValuesYaml.ParseMap(_defaultValues);
        if (overrides is not null)
        {
            ValuesYaml.Merge(values, ValuesYaml.ParseMap(overrides));
        }

        var root = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Values"] = values,
            ["Chart"] = _chart,
            ["Release"] = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["Name"] = releaseName,
                ["Namespace"] = releaseNamespace,
                ["Service"] = "Helm",
            },
        };

        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, nodes) in _templates)
        {
            var output = new StringBuilder();
            new Evaluation(this, name, root).Run(nodes, root, output);
            files[name] = output.ToString();
        }

        return new RenderedChart(files);
    }

    /// <summary>The state of one template's evaluation: the root context (<c>$</c>) and the range variables.</summary>
    private sealed class Evaluation(ChartRenderer chart, string file, object root)
    {
        private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal) { ["$"] = root };

        public void Run(IReadOnlyList<TemplateNode> nodes, object? dot, StringBuilder output)
        {
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case TextNode text:
                        output.Append(text.Text);
                        break;
                    case ActionNode action:
                        output.Append(TemplateFunctions.Print(Evaluate(action.Pipeline, dot)));
                        break;
                    case ConditionalNode conditional:
                        var condition = Evaluate(conditional.Condition, dot);
                        if (TemplateFunctions.IsTrue(condition))
                        {
                            Run(conditional.Then, conditional.RebindsDot ? condition : dot, output);
                        }
                        else
                        {
                            Run(conditional.Else, dot, output);
                        }

                        break;
                    case RangeNode range:
                        RunRange(range, dot, output);
                        break;
                }
            }
        }

        private void RunRange(RangeNode range, object? dot, StringBuilder output)
        {
            IEnumerable<(object? Key, object? Value)> items = Evaluate(range.Collection, dot) switch
            {
                null => [],
                IDictionary<string, object?> map => map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => ((object?)p.Key, p.Value)),
                IList<object?> list => list.Select((item, index) => ((object?)(long)index, item)),
                var other => throw Error($"cannot range over {other.GetType().Name}"),
            };
            foreach (var (key, value) in items)
            {
                if (range.KeyVariable is not null)
                {
                    _variables[range.KeyVariable] = key;
                }

                if (range.ValueVariable is not null)
                {
                    _variables[range.ValueVariable] = value;
                }

                Run(range.Body, value, output);
            }
        }

        private object? Evaluate(Expression expression, object? dot)
        {
            switch (expression)
            {
                case Expression.Literal literal:
                    return literal.Value;
                case Expression.Field field:
                    var value = field.Variable is null ? dot
                        : _variables.TryGetValue(field.Variable, out var bound) ? bound
                        : throw Error($"undefined variable {field.Variable}");
                    return field.Names.Aggregate(value, (current, name) => Member(current, name, field));
                case Expression.Call call:
                    return Call(call, [.. call.Arguments.Select(a => Evaluate(a, dot))], dot);
                case Expression.Pipeline pipeline:
                    object? result = null;
                    for (var i = 0; i < pipeline.Stages.Count; i++)
                    {
                        result = (i, pipeline.Stages[i]) switch
                        {
                            (0, var first) => Evaluate(first, dot),
                            (_, Expression.Call call) => Call(call, [.. call.Arguments.Select(a => Evaluate(a, dot)), result], dot),
                            (_, var other) => throw Error($"'{other}' cannot take a piped value"),
                        };
                    }

                    return result;
                default:
                    throw Error($"unsupported expression {expression}");
            }
        }

        private object? Call(Expression.Call call, List<object?> arguments, object? dot)
        {
            if (call.Function != "include")
            {
                try
                {
                    return TemplateFunctions.Call(call.Function, arguments);
                }
                catch (InvalidOperationException e)
                {
                    throw Error(e.Message);
                }
            }

            if (arguments is not [string name, var context])
            {
                throw Error("include takes a template name and a context");
            }

            if (!chart._defines.TryGetValue(name, out var nodes))
            {
                throw Error($"no template named \"{name}\"");
            }

            var output = new StringBuilder();
            new Evaluation(chart, file, _variables["$"]!).Run(nodes, context, output);
            return output.ToString();
        }

        private object? Member(object? target, string name, Expression.Field field) => target switch
        {
            IDictionary<string, object?> map => map.TryGetValue(name, out var value) ? value : null,
            null => throw Error($"nil pointer evaluating .{string.Join('.', field.Names)}: a parent of '{name}' is missing"),
            _ => throw Error($"can't evaluate field {name} in a {target.GetType().Name}"),
        };

        private TemplateException Error(string message) => new(file, 0, message);
    }
}

/// <summary>The output of <c>helm template</c>: every rendered file, and its YAML documents.</summary>
internal sealed class RenderedChart(IReadOnlyDictionary<string, string> files)
{
    /// <summary>Rendered text by template path (e.g. <c>templates/deployment.yaml</c>), NOTES.txt included.</summary>
    public IReadOnlyDictionary<string, string> Files { get; } = files;

    /// <summary>The rendered NOTES.txt.</summary>
    public string Notes => Files.TryGetValue("templates/NOTES.txt", out var notes) ? notes : "";

    /// <summary>The non-empty YAML documents of the manifests, in file order (what Helm would install).</summary>
    public IReadOnlyList<string> Documents =>
    [
        .. Files.Where(f => f.Key.EndsWith(".yaml", StringComparison.Ordinal))
            .SelectMany(f => f.Value.Split(["\n---\n", "\n---"], StringSplitOptions.None))
            .Select(d => d.StartsWith("---\n", StringComparison.Ordinal) ? d[4..] : d)
            .Where(d => d.Split('\n').Any(line => line.Trim() is { Length: > 0 } t && !t.StartsWith('#'))),
    ];

    /// <summary>All manifests as one multi-document stream, for <c>kubectl apply -f -</c>.</summary>
    public string Manifest => string.Join("---\n", Documents.Select(d => d.TrimEnd('\n') + "\n"));

    /// <summary>The documents parsed as values (maps), for assertions.</summary>
    public IReadOnlyList<SortedDictionary<string, object?>> Objects => [.. Documents.Select(ValuesYaml.ParseMap)];

    /// <summary>The one object of <paramref name="kind"/> whose name ends with <paramref name="nameSuffix"/>.</summary>
    public SortedDictionary<string, object?> Single(string kind, string nameSuffix = "") =>
        Objects.Single(o => (string?)o["kind"] == kind
            && ((string)((IDictionary)o["metadata"]!)["name"]!).EndsWith(nameSuffix, StringComparison.Ordinal));
}
