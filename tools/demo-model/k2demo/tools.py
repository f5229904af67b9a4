"""The demo model's four tools (calculator, convert_units, current_date, lookup), exactly as docs/demo-model.md
specifies them, so that every tool result in the training data is the text the C# engine prints for the same call.

Run the checks with `cd tools/demo-model && python3 -m unittest discover -s tests -v`.
"""
import datetime
import json
import math
from pathlib import Path

DEMO_TOOLS_PATH = Path(__file__).resolve().parent.parent / "demo_tools.json"

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ToolError(ValueError):
    """A call the engine answers with an `error: ` text (bad arguments, unknown unit or entity, division by zero)."""


def format_number(x: float) -> str:
    """ArithmeticExpression.Format: integers below 1e15 as plain digits, infinities as words, else .NET's "G12".

    .NET's G12 and Python's %.12g agree: 12 significant digits correctly rounded (ties to even on the exact binary
    value), trailing zeros dropped, fixed notation for decimal exponents -5 < e < 12, else at least two exponent
    digits. Only the exponent letter differs.
    """
    x = float(x)
    if math.isinf(x):
        return "infinity" if x > 0 else "-infinity"
    if math.isnan(x):
        return "NaN"
    if abs(x) < 1e15 and x.is_integer():
        return str(int(x))
    return ("%.12g" % x).replace("e", "E")


class _Parser:
    """Recursive descent over the calculator subset the generator writes: decimal numbers, + - * /, unary signs
    and parentheses. The rules mirror ArithmeticExpression.cs (Sum -> Product -> Unary -> Atom, each binary level
    left to right, unary minus negating the following unary), so each IEEE operation happens in the same order
    and the doubles agree bit for bit."""

    MAX_DEPTH = 64

    def __init__(self, text: str):
        self.text = text
        self.at = 0
        self.depth = 0

    def error(self, problem: str) -> ToolError:
        return ToolError(f"{problem} at offset {self.at}")

    def skip_space(self) -> None:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1

    def accept(self, c: str) -> bool:
        self.skip_space()
        if self.at < len(self.text) and self.text[self.at] == c:
            self.at += 1
            return True
        return False

    def nested(self, parse):
        self.depth += 1
        if self.depth > self.MAX_DEPTH:
            raise self.error(f"nested deeper than {self.MAX_DEPTH}")
        try:
            return parse()
        finally:
            self.depth -= 1

    def sum(self) -> float:
        value = self.product()
        while True:
            if self.accept("+"):
                value += self.product()
            elif self.accept("-"):
                value -= self.product()
            else:
                return value

    def product(self) -> float:
        value = self.unary()
        while True:
            if self.accept("*"):
                value *= self.unary()
            elif self.accept("/"):
                divisor = self.unary()
                if divisor == 0:
                    raise self.error("division by zero")
                value /= divisor
            else:
                return value

    def unary(self) -> float:
        if self.accept("-"):
            return -self.nested(self.unary)
        if self.accept("+"):
            return self.nested(self.unary)
        return self.atom()

    def atom(self) -> float:
        self.skip_space()
        if self.at >= len(self.text):
            raise self.error("expression ends too early")
        if self.accept("("):
            value = self.nested(self.sum)
            if not self.accept(")"):
                raise self.error("missing ')'")
            return value
        c = self.text[self.at]
        if "0" <= c <= "9" or c == ".":
            return self.number()
        raise self.error(f"unexpected '{c}' (this evaluator knows only numbers, + - * / and parentheses)")

    def number(self) -> float:
        start = self.at
        while self.at < len(self.text) and ("0" <= self.text[self.at] <= "9" or self.text[self.at] == "."):
            self.at += 1
        digits = self.text[start:self.at]
        if digits.count(".") > 1 or digits == ".":
            raise ToolError(f"'{digits}' at offset {start} is not a number")
        return float(digits)


def evaluate(expression: str) -> float:
    """The double that the engine's calculator computes for `expression` (the generator's subset only)."""
    parser = _Parser(expression)
    value = parser.sum()
    parser.skip_space()
    if parser.at < len(expression):
        raise parser.error(f"unexpected '{expression[parser.at]}'")
    if math.isnan(value):
        raise ToolError("the result is not a number")
    return value


def load_demo_tools(path: Path = DEMO_TOOLS_PATH) -> dict:
    """demo_tools.json as a dict, member order kept (the tool declarations are rendered in that order)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class DemoTools:
    """The four tools over one demo_tools.json; `call` is what a conversation's tool message says."""

    def __init__(self, data: dict | None = None):
        self.data = load_demo_tools() if data is None else data
        self.declarations = self.data["tools"]
        self.units = self.data["units"]
        self.facts = self.data["lookup"]
        self._entities = {name.strip().lower(): name for name in self.facts}

    def calculator(self, expression: str) -> str:
        return format_number(evaluate(expression))

    def convert_units(self, value: float, from_unit: str, to_unit: str) -> str:
        for name in (from_unit, to_unit):
            if name not in self.units:
                raise ToolError(f"unknown unit '{name}'")
        kind = self.units[from_unit]["kind"]
        if self.units[to_unit]["kind"] != kind:
            raise ToolError(f"cannot convert {kind} ({from_unit}) to {self.units[to_unit]['kind']} ({to_unit})")
        v = float(value)
        if kind == "temperature":
            converted = _from_celsius(_to_celsius(v, from_unit), to_unit)
        else:
            converted = v * float(self.units[from_unit]["factor"]) / float(self.units[to_unit]["factor"])
        return f"{format_number(converted)} {to_unit}"

    @staticmethod
    def current_date(today: datetime.date) -> str:
        return f"{today.isoformat()} ({WEEKDAYS[today.weekday()]})"

    def lookup(self, entity: str, attribute: str) -> str:
        key = self._entities.get(entity.strip().lower())
        if key is None:
            raise ToolError(f"unknown entity '{entity}'")
        entry = self.facts[key]
        if attribute == "kind" or attribute not in entry:
            known = ", ".join(a for a in entry if a != "kind")
            raise ToolError(f"{key} has no attribute '{attribute}' (known: {known})")
        return entry[attribute]

    def call(self, name: str, arguments: str, today: datetime.date) -> str:
        """The tool message text for one call: its result, or `error: ...`. `arguments` is the call's JSON text."""
        try:
            return self._run(name, arguments, today)
        except ToolError as e:
            return f"error: {e}"

    def _run(self, name: str, arguments: str, today: datetime.date) -> str:
        try:
            args = json.loads(arguments)
        except json.JSONDecodeError as e:
            raise ToolError(f"arguments are not JSON: {e}") from None
        if not isinstance(args, dict):
            raise ToolError("arguments must be a JSON object")
        if name == "calculator":
            return self.calculator(_string(args, "expression"))
        if name == "convert_units":
            value = args.get("value")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ToolError("'value' must be a number")
            return self.convert_units(value, _string(args, "from_unit"), _string(args, "to_unit"))
        if name == "current_date":
            return self.current_date(today)
        if name == "lookup":
            return self.lookup(_string(args, "entity"), _string(args, "attribute"))
        raise ToolError(f"unknown tool '{name}'")


def _string(args: dict, member: str) -> str:
    value = args.get(member)
    if not isinstance(value, str):
        raise ToolError(f"'{member}' must be a string")
    return value


def _to_celsius(v: float, unit: str) -> float:
    if unit == "F":
        return (v - 32) * 5 / 9
    if unit == "K":
        return v - 273.15
    return v


def _from_celsius(c: float, unit: str) -> float:
    if unit == "F":
        return c * 9 / 5 + 32
    if unit == "K":
        return c + 273.15
    return c
