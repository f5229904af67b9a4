"""Tests of k2demo.tools against docs/demo-model.md: Format, the calculator's evaluation order, each tool's
semantics, and the committed testdata/tool-cases.jsonl (which the C# engine's tests replay)."""
import datetime
import json
import sys
import unittest
from pathlib import Path

DEMO_MODEL = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(DEMO_MODEL))

from k2demo.tools import DemoTools, ToolError, evaluate, format_number  # noqa: E402


class FormatTests(unittest.TestCase):
    def test_integers_print_plain_below_1e15(self):
        for value, text in ((0.0, "0"), (-0.0, "0"), (7.0, "7"), (-42.0, "-42"), (999999999999999.0, "999999999999999"),
                            (123456789012000.0, "123456789012000"), (3, "3")):
            self.assertEqual(format_number(value), text, value)

    def test_g12_fixed_and_exponent_forms(self):
        cases = ((1e15, "1E+15"), (-1e15, "-1E+15"), (1.5e-7, "1.5E-07"), (1e-5, "1E-05"), (0.0001, "0.0001"),
                 (1.23456789012345e17, "1.23456789012E+17"), (1e21, "1E+21"), (1e100, "1E+100"), (1e-100, "1E-100"),
                 (0.1 + 0.2, "0.3"), (1 / 3, "0.333333333333"), (2 / 3, "0.666666666667"), (-1 / 3, "-0.333333333333"),
                 (999999999999.5, "1E+12"), (142857142857.14285, "142857142857"), (0.000123456789012345, "0.000123456789012"),
                 (12.5, "12.5"), (3.3 / 1.1, "3"))
        for value, text in cases:
            self.assertEqual(format_number(value), text, value)

    def test_ties_round_to_even_like_dotnet(self):
        # 123456789012.5 is exact in binary: .NET's G12 and %.12g both keep the even digit.
        self.assertEqual(format_number(123456789012.5), "123456789012")
        self.assertEqual(format_number(1234567890125.0), "1234567890125")
        self.assertEqual(format_number(1234567890125.0 * 1000), "1.23456789012E+15")

    def test_infinities(self):
        self.assertEqual(format_number(float("inf")), "infinity")
        self.assertEqual(format_number(float("-inf")), "-infinity")


class EvaluateTests(unittest.TestCase):
    def test_precedence_and_left_to_right(self):
        for text, value in (("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("1 - 2 - 3", -4), ("100 / 10 / 5", 2),
                            ("8 / 2 * 4", 16), ("-2 * 3", -6), ("3 * -2", -6), ("- -4", 4), ("2 - -3", 5),
                            ("+7", 7), ("-(2 + 3) * 4", -20), ("  4 /2 ", 2), (".5 + .25", 0.75)):
            self.assertEqual(evaluate(text), value, text)

    def test_double_operations_in_parser_order(self):
        self.assertEqual(evaluate("0.1 + 0.2 + 0.3"), (0.1 + 0.2) + 0.3)
        self.assertEqual(evaluate("0.3 + 0.2 + 0.1"), (0.3 + 0.2) + 0.1)
        self.assertNotEqual(evaluate("0.1 + 0.2 + 0.3"), evaluate("0.3 + 0.2 + 0.1"))
        self.assertEqual(evaluate("1.1 * 1.1 * 1.1"), (1.1 * 1.1) * 1.1)

    def test_overflow_gives_infinity(self):
        big = "1" + "0" * 200
        self.assertEqual(evaluate(f"{big} * {big}"), float("inf"))

    def test_errors_name_the_offset(self):
        for text, fragment in (("1 / 0", "division by zero"), ("1 / (2 - 2)", "division by zero"), ("2 +", "ends too early"),
                               ("(1 + 2", "missing ')'"), ("1 2", "unexpected '2'"), ("1..2", "not a number"),
                               ("sqrt(4)", "unexpected 's'"), ("", "ends too early"), ("(" * 70 + "1" + ")" * 70, "nested")):
            with self.assertRaises(ToolError, msg=text) as caught:
                evaluate(text)
            self.assertIn(fragment, str(caught.exception))
        big = "1" + "0" * 200
        with self.assertRaisesRegex(ToolError, "not a number"):
            evaluate(f"{big} * {big} - {big} * {big}")


class ToolTests(unittest.TestCase):
    tools = DemoTools()
    today = datetime.date(2026, 11, 23)

    def call(self, name, **arguments):
        return self.tools.call(name, json.dumps(arguments), self.today)

    def test_contract_example(self):
        self.assertEqual(self.call("convert_units", value=5, from_unit="mi", to_unit="km"), "8.04672 km")

    def test_linear_conversion_order(self):
        # value * factor(from) / factor(to), in that order.
        self.assertEqual(self.call("convert_units", value=7, from_unit="in", to_unit="cm"),
                         format_number(7 * 0.0254 / 0.01) + " cm")
        self.assertEqual(self.call("convert_units", value=1, from_unit="week", to_unit="min"), "10080 min")
        self.assertEqual(self.call("convert_units", value=2.5, from_unit="l", to_unit="l"), "2.5 l")

    def test_temperature_through_celsius(self):
        for value, source, target, text in ((100, "C", "F", "212 F"), (-40, "F", "C", "-40 C"), (0, "K", "C", "-273.15 C"),
                                            (98.6, "F", "C", "37 C"), (300, "K", "F", format_number((300 - 273.15) * 9 / 5 + 32) + " F"),
                                            (451, "F", "K", format_number((451 - 32) * 5 / 9 + 273.15) + " K")):
            self.assertEqual(self.call("convert_units", value=value, from_unit=source, to_unit=target), text)

    def test_conversion_errors(self):
        for source, target in (("c", "F"), ("m", "kg"), ("km", "furlong"), ("KM", "m")):
            self.assertTrue(self.call("convert_units", value=1, from_unit=source, to_unit=target).startswith("error: "))
        self.assertTrue(self.tools.call("convert_units", '{"value": "5", "from_unit": "m", "to_unit": "km"}', self.today)
                        .startswith("error: "))
        self.assertTrue(self.tools.call("convert_units", '{"value": true, "from_unit": "m", "to_unit": "km"}', self.today)
                        .startswith("error: "))

    def test_current_date(self):
        self.assertEqual(self.call("current_date"), "2026-11-23 (Monday)")
        self.assertEqual(self.tools.call("current_date", '{"ignored": 1}', datetime.date(2024, 2, 29)), "2024-02-29 (Thursday)")

    def test_lookup_matching(self):
        self.assertEqual(self.call("lookup", entity=" new zealand ", attribute="capital"), "Wellington")
        self.assertEqual(self.call("lookup", entity="GOLD", attribute="symbol"), "Au")
        self.assertEqual(self.call("lookup", entity="Earth", attribute="distance_au"), "1")
        for entity, attribute in (("France", "kind"), ("France", "Capital"), ("Atlantis", "capital"), ("Mars", "capital")):
            self.assertTrue(self.call("lookup", entity=entity, attribute=attribute).startswith("error: "), (entity, attribute))

    def test_bad_calls(self):
        for name, arguments in (("calculator", "[1]"), ("calculator", "not json"), ("calculator", '{"expression": 5}'),
                                ("calculator", '{"expression": "1/0"}'), ("weather", "{}")):
            self.assertTrue(self.tools.call(name, arguments, self.today).startswith("error: "), (name, arguments))

    def test_committed_tool_cases_replay(self):
        path = DEMO_MODEL / "testdata" / "tool-cases.jsonl"
        names = set()
        units = set()
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                case = json.loads(line)
                names.add(case["name"])
                today = datetime.date.fromisoformat(case["today"]) if "today" in case else None
                self.assertEqual(self.tools.call(case["name"], case["arguments"], today), case["result"],
                                 f"{path}:{number}")
                if case["name"] == "convert_units":
                    arguments = json.loads(case["arguments"])
                    units.update((arguments["from_unit"], arguments["to_unit"]))
        self.assertEqual(names, {"calculator", "convert_units", "current_date", "lookup"})
        self.assertEqual(units, set(self.tools.units))


if __name__ == "__main__":
    unittest.main()
