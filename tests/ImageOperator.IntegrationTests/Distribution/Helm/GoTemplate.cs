using System.Globalization;
using System.Text;

namespace ImageOperator.IntegrationTests.Distribution.Helm;

/// <summary>
/// A parser for the small subset of Go templates the chart uses (helm cannot be installed on the test machines):
/// <c>{{ pipeline }}</c> with <c>{{-</c>/<c>-}}</c> trimming and <c>{{/* comments */}}</c>; <c>if</c>/<c>else if</c>/
/// <c>else</c>, <c>with</c>, <c>range</c> (optionally <c>$k, $v :=</c>), <c>define</c>, <c>end</c>. Pipelines are
/// commands joined by <c>|</c>; a command is a field chain (<c>.Values.a</c>, <c>$.Release.Name</c>, <c>$v.x</c>), a
/// literal, a parenthesised pipeline, or a function with arguments (see <see cref="TemplateFunctions"/>).
/// Anything outside the subset is a parse error naming the file and line, never silently ignored.
/// </summary>
internal static class GoTemplate
{
    /// <summary>Parses <paramref name="source"/>; named templates it defines are added to <paramref name="defines"/>.</summary>
    public static IReadOnlyList<TemplateNode> Parse(string file, string source, IDictionary<string, IReadOnlyList<TemplateNode>> defines)
    {
        var tokens = Tokenize(file, source);
        var position = 0;
        var nodes = ParseList(file, tokens, ref position, defines, out var terminator);
        if (terminator is not null)
        {
            throw new TemplateException(file, terminator.Line, $"unexpected {{{{ {terminator.Text} }}}}");
        }

        return nodes;
    }

    private static List<TemplateNode> ParseList(
        string file, List<Token> tokens, ref int position, IDictionary<string, IReadOnlyList<TemplateNode>> defines, out Token? terminator)
    {
        var nodes = new List<TemplateNode>();
        while (position < tokens.Count)
        {
            var token = tokens[position++];
            if (!token.IsAction)
            {
                nodes.Add(new TextNode(token.Text));
                continue;
            }

            var keyword = FirstWord(token.Text);
            switch (keyword)
            {
                case "end" or "else":
                    terminator = token;
                    return nodes;
                case "if" or "with":
                    nodes.Add(ParseConditional(file, tokens, ref position, defines, token, keyword));
                    break;
                case "range":
                    nodes.Add(ParseRange(file, tokens, ref position, defines, token));
                    break;
                case "define":
                    var name = Expression.ParseStringLiteral(file, token.Line, token.Text["define".Length..].Trim());
                    var body = ParseList(file, tokens, ref position, defines, out var end);
                    RequireEnd(file, token, end);
                    defines[name] = body;
                    break;
                default:
                    nodes.Add(new ActionNode(Expression.ParsePipeline(file, token.Line, token.Text)));
                    break;
            }
        }

        terminator = null;
        return nodes;
    }

    private static TemplateNode ParseConditional(
        string file, List<Token> tokens, ref int position, IDictionary<string, IReadOnlyList<TemplateNode>> defines, Token start, string keyword)
    {
        var condition = Expression.ParsePipeline(file, start.Line, start.Text[keyword.Length..]);
        var body = ParseList(file, tokens, ref position, defines, out var terminator);
        IReadOnlyList<TemplateNode> otherwise = [];
        if (terminator is not null && FirstWord(terminator.Text) == "else")
        {
            var rest = terminator.Text["else".Length..].Trim();
            if (keyword == "if" && FirstWord(rest) == "if")
            {
                // "else if X" is an if nested in the else branch that shares the outer end.
                otherwise = [ParseConditional(file, tokens, ref position, defines, terminator with { Text = rest }, "if")];
                return new ConditionalNode(keyword == "with", condition, body, otherwise);
            }

            if (rest.Length > 0)
            {
                throw new TemplateException(file, terminator.Line, $"unsupported '{{{{ {terminator.Text} }}}}'");
            }

            otherwise = ParseList(file, tokens, ref position, defines, out terminator);
        }

        RequireEnd(file, start, terminator);
        return new ConditionalNode(keyword == "with", condition, body, otherwise);
    }

    private static TemplateNode ParseRange(string file, List<Token> tokens, ref int position, IDictionary<string, IReadOnlyList<TemplateNode>> defines, Token start)
    {
        var text = start.Text["range".Length..].Trim();
        string? keyVariable = null, valueVariable = null;
        var assignment = text.IndexOf(":=", StringComparison.Ordinal);
        if (assignment >= 0)
        {
            var variables = text[..assignment].Split(',', StringSplitOptions.TrimEntries);
            if (variables.Length > 2 || variables.Any(v => v.Length < 2 || v[0] != '$'))
            {
                throw new TemplateException(file, start.Line, $"bad range variables '{text[..assignment]}'");
            }

            (keyVariable, valueVariable) = variables.Length == 2 ? (variables[0], variables[1]) : (null, variables[0]);
            text = text[(assignment + 2)..];
        }

        var collection = Expression.ParsePipeline(file, start.Line, text);
        var body = ParseList(file, tokens, ref position, defines, out var terminator);
        if (terminator is not null && terminator.Text.Trim() == "else")
        {
            throw new TemplateException(file, terminator.Line, "range ... else is outside the supported subset");
        }

        RequireEnd(file, start, terminator);
        return new RangeNode(keyVariable, valueVariable, collection, body);
    }

    private static void RequireEnd(string file, Token start, Token? terminator)
    {
        if (terminator is null || terminator.Text.Trim() != "end")
        {
            throw new TemplateException(file, start.Line, $"'{{{{ {start.Text} }}}}' has no matching {{{{ end }}}}");
        }
    }

    private static string FirstWord(string text)
    {
        var trimmed = text.TrimStart();
        var end = 0;
        while (end < trimmed.Length && char.IsAsciiLetter(trimmed[end]))
        {
            end++;
        }

        return trimmed[..end];
    }

    /// <summary>Splits the source into text and actions, applying the trim markers and dropping comments.</summary>
    private static List<Token> Tokenize(string file, string source)
    {
        var tokens = new List<Token>();
        var position = 0;
        var trimNextText = false;
        while (position < source.Length)
        {
            var open = source.IndexOf("{{", position, StringComparison.Ordinal);
            var text = open < 0 ? source[position..] : source[position..open];
            if (trimNextText)
            {
                text = text.TrimStart();
            }

            if (open < 0)
            {
                AddText(tokens, text);
                break;
            }

            var trimBefore = open + 2 < source.Length && source[open + 2] == '-' && open + 3 < source.Length && char.IsWhiteSpace(source[open + 3]);
            if (trimBefore)
            {
                text = text.TrimEnd();
            }

            AddText(tokens, text);
            var close = source.IndexOf("}}", open + 2, StringComparison.Ordinal);
            var line = 1 + source.AsSpan(0, open).Count('\n');
            if (close < 0)
            {
                throw new TemplateException(file, line, "unclosed action");
            }

            var inner = source[(open + (trimBefore ? 3 : 2))..close];
            trimNextText = inner.Length > 0 && inner[^1] == '-' && inner.Length > 1 && char.IsWhiteSpace(inner[^2]);
            if (trimNextText)
            {
                inner = inner[..^1];
            }

            inner = inner.Trim();
            if (!(inner.StartsWith("/*", StringComparison.Ordinal) && inner.EndsWith("*/", StringComparison.Ordinal)))
            {
                tokens.Add(new Token(true, inner, line));
            }

            position = close + 2;
        }

        return tokens;
    }

    private static void AddText(List<Token> tokens, string text)
    {
        if (text.Length > 0)
        {
            tokens.Add(new Token(false, text, 0));
        }
    }

    private sealed record Token(bool IsAction, string Text, int Line);
}

/// <summary>A node of a parsed template.</summary>
internal abstract record TemplateNode;

/// <summary>Literal text.</summary>
internal sealed record TextNode(string Text) : TemplateNode;

/// <summary><c>{{ pipeline }}</c>: prints the pipeline's value.</summary>
internal sealed record ActionNode(Expression Pipeline) : TemplateNode;

/// <summary><c>if</c> (or <c>with</c>, which also rebinds the dot) with an optional else branch.</summary>
internal sealed record ConditionalNode(bool RebindsDot, Expression Condition, IReadOnlyList<TemplateNode> Then, IReadOnlyList<TemplateNode> Else) : TemplateNode;

/// <summary><c>range</c> over a list or a map (keys in sorted order, as Go does).</summary>
internal sealed record RangeNode(string? KeyVariable, string? ValueVariable, Expression Collection, IReadOnlyList<TemplateNode> Body) : TemplateNode;

/// <summary>A template that is outside the supported subset or malformed.</summary>
internal sealed class TemplateException(string file, int line, string message)
    : Exception(line > 0 ? $"{file}:{line}: {message}" : $"{file}: {message}");

/// <summary>A pipeline, command or operand of an action.</summary>
internal abstract record Expression
{
    /// <summary>Parses <c>cmd | cmd ...</c>.</summary>
    public static Expression ParsePipeline(string file, int line, string text)
    {
        var reader = new ExpressionReader(file, line, text);
        var pipeline = reader.ReadPipeline();
        reader.ExpectEnd();
        return pipeline;
    }

    /// <summary>Parses a double-quoted string literal (a <c>define</c>'s name).</summary>
    public static string ParseStringLiteral(string file, int line, string text) =>
        ParsePipeline(file, line, text) is Literal { Value: string name } ? name : throw new TemplateException(file, line, $"expected a string, found '{text}'");

    /// <summary><c>a | f x | g</c>: each stage's value is the last argument of the next.</summary>
    internal sealed record Pipeline(IReadOnlyList<Expression> Stages) : Expression;

    /// <summary>A function call with its explicit arguments.</summary>
    internal sealed record Call(string Function, IReadOnlyList<Expression> Arguments) : Expression;

    /// <summary>A chain of field names from the dot (<see cref="Variable"/> null) or from a variable (<c>$</c>, <c>$v</c>).</summary>
    internal sealed record Field(string? Variable, IReadOnlyList<string> Names) : Expression;

    /// <summary>A string, number or boolean literal.</summary>
    internal sealed record Literal(object? Value) : Expression;

    private sealed class ExpressionReader(string file, int line, string text)
    {
        private int _position;

        public Expression ReadPipeline()
        {
            var stages = new List<Expression> { ReadCommand() };
            while (SkipSpaces() && Peek() == '|')
            {
                _position++;
                stages.Add(ReadCommand());
            }

            return stages.Count == 1 ? stages[0] : new Pipeline(stages);
        }

        public void ExpectEnd()
        {
            if (SkipSpaces())
            {
                throw Error($"unexpected '{text[_position..]}'");
            }
        }

        private Expression ReadCommand()
        {
            SkipSpaces();
            if (_position < text.Length && char.IsAsciiLetter(Peek()))
            {
                var name = ReadWhile(c => char.IsAsciiLetterOrDigit(c) || c == '_');
                if (name is "true" or "false")
                {
                    return new Literal(name == "true");
                }

                if (!TemplateFunctions.IsKnown(name))
                {
                    throw Error($"function '{name}' is outside the supported subset");
                }

                var arguments = new List<Expression>();
                while (SkipSpaces() && Peek() is not ('|' or ')'))
                {
                    arguments.Add(ReadOperand());
                }

                return new Call(name, arguments);
            }

            return ReadOperand();
        }

        private Expression ReadOperand()
        {
            SkipSpaces();
            var c = Peek();
            switch (c)
            {
                case '(':
                    _position++;
                    var inner = ReadPipeline();
                    SkipSpaces();
                    if (Peek() != ')')
                    {
                        throw Error("missing ')'");
                    }

                    _position++;
                    return inner;
                case '"':
                    return new Literal(ReadString());
                case '.':
                    return new Field(null, ReadFieldNames());
                case '$':
                    _position++;
                    var variable = "$" + ReadWhile(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');
                    return new Field(variable, Peek() == '.' ? ReadFieldNames() : []);
                case '-' or (>= '0' and <= '9'):
                    var number = ReadWhile(ch => ch is '-' or '.' || char.IsAsciiDigit(ch));
                    return new Literal(number.Contains('.', StringComparison.Ordinal)
                        ? double.Parse(number, CultureInfo.InvariantCulture)
                        : (object)long.Parse(number, CultureInfo.InvariantCulture));
                default:
                    if (char.IsAsciiLetter(c))
                    {
                        // A function call used as an argument must be parenthesised in Go templates.
                        throw Error($"'{ReadWhile(char.IsAsciiLetter)}' used as an argument: wrap the call in parentheses");
                    }

                    throw Error($"unexpected '{c}'");
            }
        }

        private List<string> ReadFieldNames()
        {
            var names = new List<string>();
            while (Peek() == '.')
            {
                _position++;
                var name = ReadWhile(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');
                if (name.Length > 0)
                {
                    names.Add(name);
                }
                else if (names.Count > 0)
                {
                    throw Error("empty field name");
                }
            }

            return names;
        }

        private string ReadString()
        {
            var builder = new StringBuilder();
            _position++;
            while (_position < text.Length && text[_position] != '"')
            {
                if (text[_position] == '\\' && _position + 1 < text.Length)
                {
                    _position++;
                    builder.Append(text[_position] switch { 'n' => '\n', 't' => '\t', var other => other });
                }
                else
                {
                    builder.Append(text[_position]);
                }

                _position++;
            }

            if (_position >= text.Length)
            {
                throw Error("unterminated string");
            }

            _position++;
            return builder.ToString();
        }

        private string ReadWhile(Func<char, bool> predicate)
        {
            var start = _position;
            while (_position < text.Length && predicate(text[_position]))
            {
                _position++;
            }

            return text[start.._position];
        }

        private char Peek() => _position < text.Length ? text[_position] : '\0';

        private bool SkipSpaces()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }

            return _position < text.Length;
        }

        private TemplateException Error(string message) => new(file, line, $"{message} in '{{{{ {text.Trim()} }}}}'");
    }
}
