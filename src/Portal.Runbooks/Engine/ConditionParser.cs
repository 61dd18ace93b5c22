using System.Text;

namespace Portal.Runbooks.Engine;

/// <summary>Recursive-descent parser for <see cref="Condition"/> text. See <see cref="Condition"/> for the grammar.</summary>
internal sealed class ConditionParser
{
    private const string ExistsKeyword = "exists";

    private readonly List<Token> _tokens;
    private readonly List<string> _keys = [];
    private int _index;

    private ConditionParser(List<Token> tokens)
    {
        _tokens = tokens;
    }

    private enum TokenKind
    {
        Word,
        Quoted,
        LeftParen,
        RightParen,
        Not,
        And,
        Or,
        Operator,
        End,
    }

    private Token Current => _tokens[_index];

    public static Condition Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ConditionParseException("empty condition", 0);
        }

        var parser = new ConditionParser(Tokenize(text));
        var root = parser.ParseExpression();
        if (parser.Current.Kind != TokenKind.End)
        {
            throw Unexpected(parser.Current);
        }

        return new Condition(text, root, parser._keys);
    }

    public static bool IsWordChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or ':' or '-';

    private static bool IsKey(string word)
    {
        // [a-z0-9_]+ segments joined by single dots.
        if (word.Length == 0 || word[0] == '.' || word[^1] == '.' || word.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        return word.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '.');
    }

    private ConditionNode ParseExpression()
    {
        var start = Current.Position;
        var operands = new List<ConditionNode> { ParseTerm() };
        while (Current.Kind == TokenKind.Or)
        {
            _index++;
            operands.Add(ParseTerm());
        }

        return operands.Count == 1 ? operands[0] : new OrNode(operands, start);
    }

    private ConditionNode ParseTerm()
    {
        var start = Current.Position;
        var operands = new List<ConditionNode> { ParseFactor() };
        while (Current.Kind == TokenKind.And)
        {
            _index++;
            operands.Add(ParseFactor());
        }

        return operands.Count == 1 ? operands[0] : new AndNode(operands, start);
    }

    private ConditionNode ParseFactor()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.LeftParen:
                _index++;
                var inner = ParseExpression();
                if (Current.Kind != TokenKind.RightParen)
                {
                    throw new ConditionParseException(
                        $"expected ')' to close the '(' at {token.Position}, found {Describe(Current)}", Current.Position);
                }

                _index++;
                return inner;
            case TokenKind.Not:
                _index++;
                return new NotNode(ParseFactor(), token.Position);
            case TokenKind.Word:
                return ParseComparison();
            case TokenKind.End:
                throw new ConditionParseException("unexpected end of condition, expected a finding key", token.Position);
            default:
                throw Unexpected(token);
        }
    }

    private ConditionNode ParseComparison()
    {
        var keyToken = Current;
        var key = keyToken.Text;
        if (key != Condition.VerdictKey && !IsKey(key))
        {
            throw new ConditionParseException(
                $"'{key}' is not a finding key (lower-case letters, digits and '_', joined by '.')", keyToken.Position);
        }

        _index++;
        var next = Current;
        if (next.Kind == TokenKind.Word && next.Text == ExistsKeyword)
        {
            _index++;
            AddKey(key);
            return new ExistsNode(key, keyToken.Position);
        }

        if (next.Kind != TokenKind.Operator)
        {
            throw new ConditionParseException(
                $"expected an operator (== != > >= < <=) or 'exists' after '{key}', found {Describe(next)}", next.Position);
        }

        _index++;
        var valueToken = Current;
        if (valueToken.Kind is not (TokenKind.Word or TokenKind.Quoted))
        {
            throw new ConditionParseException($"expected a value after '{next.Text}', found {Describe(valueToken)}", valueToken.Position);
        }

        _index++;
        var op = next.Text switch
        {
            "==" => ComparisonOperator.Equal,
            "!=" => ComparisonOperator.NotEqual,
            ">" => ComparisonOperator.Greater,
            ">=" => ComparisonOperator.GreaterOrEqual,
            "<" => ComparisonOperator.Less,
            _ => ComparisonOperator.LessOrEqual,
        };

        if (key == Condition.VerdictKey)
        {
            if (op is not (ComparisonOperator.Equal or ComparisonOperator.NotEqual))
            {
                throw new ConditionParseException($"verdict only compares with == or !=, not '{next.Text}'", next.Position);
            }

            if (!Condition.Verdicts.Contains(valueToken.Text, StringComparer.OrdinalIgnoreCase))
            {
                throw new ConditionParseException(
                    $"'{valueToken.Text}' is not a verdict (pass, warn, fail, error)", valueToken.Position);
            }
        }

        AddKey(key);
        return new ComparisonNode(key, op, valueToken.Text, keyToken.Position);
    }

    private void AddKey(string key)
    {
        if (!_keys.Contains(key))
        {
            _keys.Add(key);
        }
    }

    private static ConditionParseException Unexpected(Token token) =>
        token.Kind == TokenKind.End
            ? new ConditionParseException("unexpected end of condition", token.Position)
            : new ConditionParseException($"unexpected {Describe(token)}", token.Position);

    private static string Describe(Token token) => token.Kind switch
    {
        TokenKind.End => "the end of the condition",
        TokenKind.Quoted => $"\"{token.Text}\"",
        _ => $"'{token.Text}'",
    };

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            var two = i + 1 < text.Length ? text.AsSpan(i, 2) : [];
            if (two is "&&" or "||" or "==" or "!=" or ">=" or "<=")
            {
                var kind = two switch
                {
                    "&&" => TokenKind.And,
                    "||" => TokenKind.Or,
                    _ => TokenKind.Operator,
                };
                tokens.Add(new Token(kind, two.ToString(), start));
                i += 2;
                continue;
            }

            switch (c)
            {
                case '(':
                    tokens.Add(new Token(TokenKind.LeftParen, "(", start));
                    i++;
                    continue;
                case ')':
                    tokens.Add(new Token(TokenKind.RightParen, ")", start));
                    i++;
                    continue;
                case '!':
                    tokens.Add(new Token(TokenKind.Not, "!", start));
                    i++;
                    continue;
                case '>' or '<':
                    tokens.Add(new Token(TokenKind.Operator, c.ToString(), start));
                    i++;
                    continue;
                case '&':
                    throw new ConditionParseException("unexpected '&' (write '&&')", start);
                case '|':
                    throw new ConditionParseException("unexpected '|' (write '||')", start);
                case '=':
                    throw new ConditionParseException("unexpected '=' (write '==')", start);
                case '"':
                    tokens.Add(ReadQuoted(text, ref i));
                    continue;
            }

            if (!IsWordChar(c))
            {
                throw new ConditionParseException($"unexpected '{c}'", start);
            }

            while (i < text.Length && IsWordChar(text[i]))
            {
                i++;
            }

            tokens.Add(new Token(TokenKind.Word, text[start..i], start));
        }

        tokens.Add(new Token(TokenKind.End, string.Empty, text.Length));
        return tokens;
    }

    private static Token ReadQuoted(string text, ref int i)
    {
        var start = i;
        var value = new StringBuilder();
        i++;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"')
            {
                i++;
                return new Token(TokenKind.Quoted, value.ToString(), start);
            }

            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
            {
                value.Append(text[i + 1]);
                i += 2;
                continue;
            }

            value.Append(c);
            i++;
        }

        throw new ConditionParseException("unterminated string", start);
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Position);
}
