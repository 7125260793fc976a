using FluentAssertions;
using ImageOperator.IntegrationTests.Distribution.Helm;
using Xunit;

namespace ImageOperator.IntegrationTests.Distribution;

/// <summary>The template subset the chart is written in renders as Helm renders it.</summary>
public sealed class ChartRendererTests : IDisposable
{
    private readonly string _chart = Directory.CreateTempSubdirectory("chart-renderer-").FullName;

    public ChartRendererTests() => Directory.CreateDirectory(Path.Combine(_chart, "templates"));

    public void Dispose() => Directory.Delete(_chart, recursive: true);

    [Fact]
    public void Renders_values_release_chart_fields_pipes_and_trimming()
    {
        var output = Render(
            """
            name: {{ .Values.name | quote }}
            ns: {{ .Release.Namespace }}
            chart: {{ .Chart.Name }}-{{ .Chart.Version }} ({{ .Chart.AppVersion }})
            tag: {{ .Values.missing | default .Chart.AppVersion }}
            secret: {{ .Values.name | b64enc }}
            {{- /* a comment */}}
            list:{{ .Values.items | toYaml | nindent 2 }}
            """,
            """
            name: demo
            items: [a, "2", 3]
            """);

        output.Should().Be(
            """
            name: "demo"
            ns: tests
            chart: sample-1.2.3 (4.5.6)
            tag: 4.5.6
            secret: ZGVtbw==
            list:
              - a
              - "2"
              - 3
            """);
    }

    [Fact]
    public void Branches_on_go_truth_with_else_if_and_rebinds_the_dot_in_with()
    {
        var template =
            """
            {{- if .Values.off }}off{{ else if .Values.empty }}empty{{ else if and .Values.on (not .Values.off) }}on{{ else }}none{{ end }}
            {{ with .Values.map }}{{ .key }}{{ end }}{{ with .Values.empty }}never{{ else }}-{{ end }}
            """;

        Render(template, "{off: false, empty: \"\", on: true, map: {key: v}}").Should().Be("on\nv-");
        Render(template, "{off: true, map: {}}").Should().Be("off\n-");
    }

    [Fact]
    public void Ranges_over_lists_and_sorted_maps_with_variables_and_the_root()
    {
        Render(
            """
            {{- range .Values.stores }}
            - {{ .name }} in {{ $.Release.Namespace }}
            {{- end }}
            {{- range $key, $value := .Values.labels }}
            {{ $key }}={{ $value }}
            {{- end }}
            """,
            "{stores: [{name: a}, {name: b}], labels: {z: 1, a: 2}}")
            .Should().Be("\n- a in tests\n- b in tests\na=2\nz=1");
    }

    [Fact]
    public void Includes_named_templates_with_their_own_context()
    {
        File.WriteAllText(Path.Combine(_chart, "templates", "_helpers.tpl"),
            """
            {{- define "labels" -}}
            app: {{ .Chart.Name }}
            tier: {{ .Values.tier }}
            {{- end }}
            """);

        Render("metadata:\n  labels:\n    {{- include \"labels\" . | nindent 4 }}\n", "tier: web")
            .Should().Be("metadata:\n  labels:\n    app: sample\n    tier: web\n");
    }

    [Fact]
    public void ToYaml_quotes_strings_that_would_read_as_other_types()
    {
        ValuesYaml.Emit(ValuesYaml.ParseMap("{a: \"true\", b: \"10\", c: 'x: y', d: plain, e: [{k: 1, l: [x]}], f: {}}"))
            .Should().Be("a: \"true\"\nb: \"10\"\nc: \"x: y\"\nd: plain\ne:\n  - k: 1\n    l:\n      - x\nf: {}\n");
    }

    [Theory]
    [InlineData("{{ .Values.a.b.c }}", "nil pointer evaluating .Values.a.b.c")]
    [InlineData("{{ printf \"%s\" .Values.a }}", "function 'printf' is outside the supported subset")]
    [InlineData("{{ if .Values.a }}", "has no matching {{ end }}")]
    [InlineData("{{ include \"nothing\" . }}", "no template named \"nothing\"")]
    [InlineData("{{ $undefined }}", "undefined variable $undefined")]
    public void Refuses_what_is_outside_the_subset_or_broken(string template, string message)
    {
        var render = () => Render(template, "a: {}");
        render.Should().Throw<TemplateException>().WithMessage($"*{message}*");
    }

    private string Render(string template, string values)
    {
        File.WriteAllText(Path.Combine(_chart, "Chart.yaml"), "name: sample\nversion: 1.2.3\nappVersion: \"4.5.6\"\n");
        File.WriteAllText(Path.Combine(_chart, "values.yaml"), values);
        File.WriteAllText(Path.Combine(_chart, "templates", "test.yaml"), template);
        return ChartRenderer.Load(_chart).Render("demo", "tests").Files["templates/test.yaml"];
    }
}
