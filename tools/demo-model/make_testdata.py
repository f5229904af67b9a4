"""Regenerates the committed cross-check files that the C# engine's tests read:

    python3 make_testdata.py

- testdata/tool-cases.jsonl: {"name", "arguments" (JSON text), "result"} per line, plus "today" for current_date;
  every tool, unit kind and lookup attribute, and calculator values that print as integers, fractions, negatives and
  E notation. Only successful calls: the wording of `error: ` results is the engine's own.
- testdata/tasks-sample.jsonl: 60 generator tasks (seed 2026, all families, some with two rounds).
"""
import datetime
import json
import random
from pathlib import Path

from k2demo import families_math
from k2demo.tasks import TRAIN_MULTI_ROUND_SHARE, TRAIN_WEIGHTS, generate_tasks
from k2demo.tools import DemoTools

HERE = Path(__file__).resolve().parent
SAMPLE_SEED = 2026
SAMPLE_COUNT = 60

CALCULATOR_EXPRESSIONS = (
    "1 + 2", "7 - 10", "2 * 3.5", "7 / 2", "100 / 8", "1 / 3", "2 / 3", "22 / 7", "-1 / 3", "10 / 4",
    "-5 - 3", "-(2 + 3) * 4", "3 * -2", "- -4", "+7", "2 - -3", "0 * -1", "-0", "-(0)", "1 - 2 - 3",
    "100 / 10 / 5", "8 / 2 * 4", "2 + 3 * 4", "(2 + 3) * 4", "2 * 3 + 4 * 5", "(17 - 12) * 3.5",
    "((1 + 2) * (3 + 4)) / 5", "2*3", "  4 /2 ", "(((7)))", "0.1 + 0.2", "0.3 - 0.1", "1 - 0.9", "0.1 * 3",
    "1.1 * 1.1", "3.3 / 1.1", "4.35 * 100", "0.5 * 0.5", "2.5 * 4", "12.5 * 8", "19.99 * 3", "0.07 * 0.07",
    "123456789 * 987654321", "-123456789 * 987654321", "1000000 * 1000000000", "999999999999999 + 0",
    "999999999999.5 + 0", "123456789012.5 * 1", "1234567890125 * 1", "123456789012 * 1000",
    "123456789012 * 10000", "-99999999 * 99999999", "1 / 7 * 1000000000000", "10 / 7 * 1000000000000",
    "1 / 3000000", "0.0001 / 3", "0.001 / 3", "1 / 100000", "1 / 10000", "0.00001 * 0.00001", "2 / 30000",
    "-1 / 300000", "5 / 100000000", "1" + "0" * 200 + " * 1" + "0" * 200, "-1" + "0" * 200 + " * 1" + "0" * 200,
    "1" + "0" * 20, "12345678901234567890", ".5 + .25", "3.", "(1 + 2) * (3 - 4) / (5 + 6)",
)
LOOKUP_SPELLINGS = (("France", "capital"), (" france ", "capital"), ("FRANCE", "population"),
                    ("new zealand", "capital"), ("  New Zealand", "continent"), ("GOLD", "symbol"),
                    ("Hydrogen", "atomic_mass"), ("jupiter", "moons"))
DATES = ("2026-11-23", "2024-02-29", "2024-12-31", "2025-01-01", "2028-02-29", "2030-06-15", "2031-03-09",
         "2032-10-03", "2099-12-31", "2100-03-01", "2000-01-01", "1970-01-01")


def tool_cases(tools: DemoTools) -> list[dict]:
    rng = random.Random("k2demo:tool-cases")
    cases = []

    def add(name: str, arguments: dict, today: datetime.date | None = None) -> None:
        text = json.dumps(arguments, ensure_ascii=False)
        result = tools.call(name, text, today)
        if result.startswith("error: "):
            raise ValueError(f"tool case {name}({text}) fails: {result}")
        case = {"name": name, "arguments": text, "result": result}
        if today is not None:
            case["today"] = today.isoformat()
        cases.append(case)

    for expression in CALCULATOR_EXPRESSIONS:
        add("calculator", {"expression": expression})
    for _ in range(40):
        expression = families_math._composite(rng) if rng.random() < 0.5 else families_math._binary(rng)[1]
        add("calculator", {"expression": expression})

    values = (1, 5, 12, 2.5, 100, 0.1, 37, 1000, 3.75, 0, 42, 7)
    units = tools.units
    for source in units:
        for target in units:
            if units[source]["kind"] == units[target]["kind"] and source != target:
                add("convert_units", {"value": rng.choice(values), "from_unit": source, "to_unit": target})
    for value, source, target in ((5, "m", "m"), (-40, "C", "F"), (-40, "F", "C"), (100, "C", "F"), (0, "K", "C"),
                                  (98.6, "F", "C"), (32, "F", "C"), (-273.15, "C", "K"), (451, "F", "K"),
                                  (1e-05, "km", "mm"), (1e+20, "mm", "km"), (5.0, "mi", "km"), (1, "week", "s"),
                                  (1, "s", "week"), (3, "t", "oz"), (1, "cup", "gal")):
        add("convert_units", {"value": value, "from_unit": source, "to_unit": target})

    for day in DATES:
        add("current_date", {}, datetime.date.fromisoformat(day))
    add("current_date", {"timezone": "UTC"}, datetime.date(2026, 11, 23))

    for index, (entity, entry) in enumerate(tools.facts.items()):
        attributes = [a for a in entry if a != "kind"]
        for attribute in (attributes[index % len(attributes)], attributes[(index + 2) % len(attributes)]):
            add("lookup", {"entity": entity, "attribute": attribute})
    for entity, attribute in LOOKUP_SPELLINGS:
        add("lookup", {"entity": entity, "attribute": attribute})
    return cases


def sample_tasks(tools: DemoTools) -> list[dict]:
    return generate_tasks(SAMPLE_COUNT, SAMPLE_SEED, "sample", tools, TRAIN_WEIGHTS, TRAIN_MULTI_ROUND_SHARE)


def write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    tools = DemoTools()
    (HERE / "testdata").mkdir(exist_ok=True)
    write(HERE / "testdata" / "tool-cases.jsonl", tool_cases(tools))
    write(HERE / "testdata" / "tasks-sample.jsonl", sample_tasks(tools))
    print(f"wrote {HERE / 'testdata'}")


if __name__ == "__main__":
    main()
