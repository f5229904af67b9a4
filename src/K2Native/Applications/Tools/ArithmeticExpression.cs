// A small, safe arithmetic evaluator for the calculator tool: numbers (decimal, exponent), + - * / % and
// ^ or ** (power, right-associative), unary signs, parentheses, the constants pi and e, and the functions
// sqrt abs round floor ceil exp ln log log10 sin cos tan min max pow. A recursive-descent parser over the
// text; nesting is bounded so hostile input cannot overflow the stack.
using System.Globalization;

namespace K2Native.Applications.Tools;

/// <summary>Evaluates arithmetic expressions in double precision.</summary>
internal sealed class ArithmeticExpression
{
    private const int MaxDepth = 64;
    private readonly string _text;
    private int _at;
    private int _depth;

    private ArithmeticExpression(string text) => _text = text;

    /// <summary>The value of <paramref name="text"/>; FormatException names the offset of a syntax error.</summary>
    public static double Evaluate(string text)
    {
        if (text.Length > 10_000) throw new FormatException("expression longer than 10000 characters");
        var parser = new ArithmeticExpression(text);
        double value = parser.Sum();
        parser.SkipSpace();
        if (parser._at < text.Length) throw parser.Error($"unexpected '{text[parser._at]}'");
        if (double.IsNaN(value)) throw new ArgumentException("the result is not a number");
        return value;
    }

    /// <summary>A value as the calculator reports it: integers without a fraction, others to 12 significant
    /// digits.</summary>
    public static string Format(double value) =>
        double.IsInfinity(value) ? (value > 0 ? "infinity" : "-infinity")
        : Math.Abs(value) < 1e15 && value == Math.Round(value) ? ((long)value).ToString(CultureInfo.InvariantCulture)
        : value.ToString("G12", CultureInfo.InvariantCulture);

    private double Sum()
    {
        double value = Product();
        while (true)
        {
            if (Accept('+')) value += Product();
            else if (Accept('-')) value -= Product();
            else return value;
        }
    }

    private double Product()
    {
        double value = Unary();
        while (true)
        {
            SkipSpace();
            if (_at + 1 < _text.Length && _text[_at] == '*' && _text[_at + 1] == '*') return value;
            if (Accept('*')) value *= Unary();
            else if (Accept('/'))
            {
                double d = Unary();
                if (d == 0) throw Error("division by zero");
                value /= d;
            }
            else if (Accept('%'))
            {
                double d = Unary();
                if (d == 0) throw Error("modulo by zero");
                value %= d;
            }
            else return value;
        }
    }

    private double Unary()
    {
        if (Accept('-')) return -Nested(Unary);
        if (Accept('+')) return Nested(Unary);
        return Power();
    }

    private double Power()
    {
        double value = Atom();
        SkipSpace();
        if (Accept('^') || (Peek("**") && Advance(2))) return Math.Pow(value, Nested(Unary));
        return value;
    }

    private double Atom()
    {
        SkipSpace();
        if (_at >= _text.Length) throw Error("expression ends too early");
        char c = _text[_at];
        if (Accept('('))
        {
            double value = Nested(Sum);
            if (!Accept(')')) throw Error("missing ')'");
            return value;
        }
        if (char.IsAsciiDigit(c) || c == '.') return Number();
        if (char.IsAsciiLetter(c)) return Name();
        throw Error($"unexpected '{c}'");
    }

    private double Number()
    {
        int start = _at;
        while (_at < _text.Length && (char.IsAsciiDigit(_text[_at]) || _text[_at] == '.' || _text[_at] == '_')) _at++;
        if (_at < _text.Length && (_text[_at] is 'e' or 'E'))
        {
            int save = _at++;
            if (_at < _text.Length && _text[_at] is '+' or '-') _at++;
            if (_at < _text.Length && char.IsAsciiDigit(_text[_at]))
                while (_at < _text.Length && char.IsAsciiDigit(_text[_at])) _at++;
            else _at = save;
        }
        string digits = _text[start.._at].Replace("_", "", StringComparison.Ordinal);
        if (!double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new FormatException($"'{digits}' at offset {start} is not a number");
        return value;
    }

    private double Name()
    {
        int start = _at;
        while (_at < _text.Length && char.IsAsciiLetterOrDigit(_text[_at])) _at++;
        string name = _text[start.._at].ToLowerInvariant();
        if (name == "pi") return Math.PI;
        if (name == "e") return Math.E;
        if (!Accept('(')) throw new FormatException($"unknown name '{name}' at offset {start}");
        var args = new List<double> { Nested(Sum) };
        while (Accept(',')) args.Add(Nested(Sum));
        if (!Accept(')')) throw Error("missing ')' after the arguments");
        return Call(name, args, start);
    }

    private static double Call(string name, List<double> a, int at)
    {
        int arity = name switch
        {
            "min" or "max" => a.Count,
            "pow" => 2,
            "round" => a.Count is 1 or 2 ? a.Count : 1,
            "sqrt" or "abs" or "floor" or "ceil" or "exp" or "ln" or "log" or "log10" or "sin" or "cos" or "tan" => 1,
            _ => throw new FormatException($"unknown function '{name}' at offset {at}"),
        };
        if (a.Count != arity)
            throw new FormatException(
                $"{name} at offset {at} takes {arity} argument{(arity == 1 ? "" : "s")}, got {a.Count}");
        double x = a[0];
        return name switch
        {
            "sqrt" => x < 0 ? throw new ArgumentException("sqrt of a negative number") : Math.Sqrt(x),
            "abs" => Math.Abs(x),
            "round" => Math.Round(x, a.Count == 2 ? (int)Math.Clamp(a[1], 0, 15) : 0, MidpointRounding.AwayFromZero),
            "floor" => Math.Floor(x),
            "ceil" => Math.Ceiling(x),
            "exp" => Math.Exp(x),
            "ln" or "log" => x <= 0 ? throw new ArgumentException($"{name} of a number <= 0") : Math.Log(x),
            "log10" => x <= 0 ? throw new ArgumentException("log10 of a number <= 0") : Math.Log10(x),
            "sin" => Math.Sin(x),
            "cos" => Math.Cos(x),
            "tan" => Math.Tan(x),
            "min" => a.Min(),
            "max" => a.Max(),
            _ => Math.Pow(x, a[1]),
        };
    }

    private double Nested(Func<double> parse)
    {
        if (++_depth > MaxDepth) throw Error($"nested deeper than {MaxDepth}");
        try { return parse(); }
        finally { _depth--; }
    }

    private bool Accept(char c)
    {
        SkipSpace();
        if (_at < _text.Length && _text[_at] == c)
        {
            _at++;
            return true;
        }
        return false;
    }

    private bool Peek(string s) => string.CompareOrdinal(_text, _at, s, 0, s.Length) == 0;

    private bool Advance(int n)
    {
        _at += n;
        return true;
    }

    private void SkipSpace()
    {
        while (_at < _text.Length && char.IsWhiteSpace(_text[_at])) _at++;
    }

    private FormatException Error(string problem) => new($"{problem} at offset {_at}");
}
