"""Question families that compute: arithmetic (one calculator call or two chained), unit conversion, conversion
followed by arithmetic, and date questions (current_date, optionally followed by a subtraction).

Each family asks one question on a Conversation, makes the tool calls, writes the final answer and returns the
task's `expected` text. Numbers are chosen so that results stay short and never print in E notation.
"""
from .conversation import Conversation
from .tools import evaluate, format_number

UNIT_WORDS = {
    "m": ("metre", "metres"), "km": ("kilometre", "kilometres"), "cm": ("centimetre", "centimetres"),
    "mm": ("millimetre", "millimetres"), "mi": ("mile", "miles"), "ft": ("foot", "feet"), "in": ("inch", "inches"),
    "yd": ("yard", "yards"), "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"), "lb": ("pound", "pounds"),
    "oz": ("ounce", "ounces"), "t": ("tonne", "tonnes"), "l": ("litre", "litres"), "ml": ("millilitre", "millilitres"),
    "gal": ("gallon", "gallons"), "cup": ("cup", "cups"), "s": ("second", "seconds"), "min": ("minute", "minutes"),
    "h": ("hour", "hours"), "day": ("day", "days"), "week": ("week", "weeks"),
    "C": ("degree Celsius", "degrees Celsius"), "F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "K": ("kelvin", "kelvin"),
}
TEMPERATURE_NAMES = {"C": "Celsius", "F": "Fahrenheit", "K": "kelvin"}
TEMPERATURE_VALUES = {"C": (-20, 45), "F": (-4, 113), "K": (250, 320)}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")

BINARY_QUESTIONS = {
    "+": ("What is {a} + {b}?", "What is {a} plus {b}?", "Add {a} and {b}.", "How much is {a} plus {b}?",
          "Calculate {a} + {b}."),
    "-": ("What is {a} - {b}?", "What is {a} minus {b}?", "Subtract {b} from {a}.", "How much is {a} minus {b}?",
          "Calculate {a} - {b}."),
    "*": ("What is {a} * {b}?", "What is {a} times {b}?", "Multiply {a} by {b}.", "How much is {a} times {b}?",
          "What is the product of {a} and {b}?"),
    "/": ("What is {a} / {b}?", "What is {a} divided by {b}?", "Divide {a} by {b}.", "How much is {a} divided by {b}?",
          "Calculate {a} / {b}."),
}
EXPRESSION_QUESTIONS = ("What is {e}?", "Calculate {e}.", "Please compute {e}.", "Work out {e}.", "What does {e} give?")
FIRST_STEPS = {"+": "add {a} and {b}", "-": "subtract {b} from {a}", "*": "multiply {a} by {b}"}
SECOND_STEPS = {"+": "add {c} to the result", "-": "subtract {c} from the result",
                "*": "multiply the result by {c}", "/": "divide the result by {c}"}
CHAIN_QUESTIONS = ("{S1}, then {s2}.", "First {s1}, then {s2}.", "{S1}. Then {s2}.", "Please {s1} and then {s2}.")
CALC_REASONING = ("The user wants {e}. I will use the calculator.", "I need to compute {e}. Let me use the calculator.",
                  "This is arithmetic: {e}. The calculator gives the exact value.")
CALC_ANSWERS = ("{e} = {r}.", "The answer is {r}.", "{e} equals {r}.", "The result is {r}.")


def _integer(rng, low: int, high: int) -> str:
    return str(rng.randint(low, high))


def _decimal(rng, low: int, high: int) -> str:
    """A number with one or two decimals whose last digit is not 0 (so its text is how Format prints it)."""
    places = rng.choice((1, 1, 2))
    scale = 10 ** places
    k = rng.randint(low * scale, high * scale)
    if k % 10 == 0:
        k += rng.randint(1, 9)
    return f"{k // scale}.{k % scale:0{places}d}"


def _operand(rng) -> str:
    r = rng.random()
    if r < 0.45:
        return _integer(rng, 2, 99)
    if r < 0.75:
        return _integer(rng, 100, 999)
    return _decimal(rng, 0, 99)


def _factor(rng) -> str:
    return _integer(rng, 2, 30) if rng.random() < 0.8 else _decimal(rng, 0, 9)


def _exact_division(rng) -> tuple[str, str]:
    """(a, b) with a / b exact and short: a quarter-step quotient times b."""
    b = rng.choice((2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 16, 20, 25, 40, 50))
    q = rng.randint(2, 99) + rng.choice((0, 0, 0, 0.5, 0.25, 0.75))
    return format_number(b * q), str(b)


def _binary(rng) -> tuple[str, str]:
    op = rng.choice("+-*/")
    if op == "/":
        a, b = _exact_division(rng) if rng.random() < 0.8 else (_operand(rng), rng.choice(("2", "4", "5", "8", "10")))
    elif op == "*":
        a, b = _operand(rng), _factor(rng)
    else:
        a, b = _operand(rng), _operand(rng)
    if op != "/" and rng.random() < 0.1:
        a = "-" + a
    return rng.choice(BINARY_QUESTIONS[op]).format(a=a, b=b), f"{a} {op} {b}"


def _composite(rng) -> str:
    a, b, c = _operand(rng), _operand(rng), _factor(rng)
    form = rng.randrange(8)
    if form == 7:
        c = rng.choice(("2", "3", "4", "5", "8", "10"))
        total = int(c) * rng.randint(2, 150)
        a = rng.randint(1, total - 1)
        return f"({a} + {total - a}) / {c}"
    return ("({a} + {b}) * {c}", "({a} - {b}) * {c}", "{a} * {c} + {b}", "{a} * {c} - {b}", "{a} + {b} * {c}",
            "{a} - {b} + {c}", "{c} * ({a} - {b})")[form].format(a=a, b=b, c=c)


def arithmetic(rng, conv: Conversation) -> str:
    if rng.random() < 0.6:
        question, expr = _binary(rng)
    else:
        expr = _composite(rng)
        question = rng.choice(EXPRESSION_QUESTIONS).format(e=expr)
    conv.ask(question)
    [r] = conv.call(rng.choice(CALC_REASONING).format(e=expr), ("calculator", {"expression": expr}))
    return conv.answer(f"The calculator returned {r}.", rng.choice(CALC_ANSWERS).format(e=expr, r=r), r)


def arithmetic_chain(rng, conv: Conversation) -> str:
    op1 = rng.choice("+-*")
    a, b = _integer(rng, 2, 99), (_factor(rng) if op1 == "*" else _integer(rng, 2, 99))
    expr1 = f"{a} {op1} {b}"
    r1 = format_number(evaluate(expr1))
    divisors = [d for d in range(2, 13) if "." not in r1 and int(r1) % d == 0 and int(r1) != 0]
    op2 = rng.choice("+-*/" if divisors else "+-*")
    c = str(rng.choice(divisors)) if op2 == "/" else _integer(rng, 2, 50)
    s1, s2 = FIRST_STEPS[op1].format(a=a, b=b), SECOND_STEPS[op2].format(c=c)
    conv.ask(rng.choice(CHAIN_QUESTIONS).format(S1=s1[0].upper() + s1[1:], s1=s1, s2=s2))
    [r1] = conv.call(f"Two steps. First I compute {expr1}.", ("calculator", {"expression": expr1}))
    expr2 = f"{r1} {op2} {c}"
    [r2] = conv.call(f"The first result is {r1}. Now I compute {expr2}.", ("calculator", {"expression": expr2}))
    answer = rng.choice(("{e1} = {r1}, and {e2} = {r2}.", "The final result is {r2}.", "The answer is {r2}."))
    return conv.answer(f"The second result is {r2}.", answer.format(e1=expr1, r1=r1, e2=expr2, r2=r2), r2)


def quantity(value, unit: str) -> str:
    singular, plural = UNIT_WORDS[unit]
    return f"{value} {singular if value == 1 else plural}"


def _value(rng, unit: str, kind: str):
    """A JSON-ready number (int or float) whose text is the same in the question and the arguments."""
    if kind == "temperature":
        low, high = TEMPERATURE_VALUES[unit]
        return rng.randint(low, high) if rng.random() < 0.8 else float(_decimal(rng, max(low, 0), high))
    r = rng.random()
    if r < 0.6:
        return rng.randint(1, 100)
    if r < 0.75:
        return rng.randint(100, 1000)
    return float(_decimal(rng, 0, 99))


def _readable(result: str) -> bool:
    number = result.split(" ")[0]
    return "E" not in number and len(number.lstrip("-").replace(".", "")) <= 9


def _pick_conversion(rng, conv: Conversation, kinds: tuple[str, ...], readable_tries: int = 20):
    """(value, from unit, to unit, tool result) with a short, plain-notation result when one can be found."""
    units = conv.tools.units
    kind = rng.choice(kinds)
    names = [u for u in units if units[u]["kind"] == kind]
    best = None
    for _ in range(readable_tries):
        source, target = rng.sample(names, 2)
        value = _value(rng, source, kind)
        result = conv.tools.convert_units(value, source, target)
        if "E" not in result.split(" ")[0]:
            best = (value, source, target, result)
            if _readable(result):
                break
    if best is None:
        raise ValueError(f"no plain-notation {kind} conversion found")
    return best


def convert(rng, conv: Conversation) -> str:
    value, source, target, _ = _pick_conversion(
        rng, conv, ("length", "length", "mass", "mass", "volume", "volume", "time", "time", "temperature"))
    if source in TEMPERATURE_NAMES:
        name = TEMPERATURE_NAMES[target]
        templates = ("What is {q} in {n}?", "Convert {v} {s} to {t}.", "It is {q} outside. What is that in {n}?",
                     "How much is {q} in {n}?")
        question = rng.choice(templates).format(q=quantity(value, source), v=value, s=source, t=target, n=name)
    else:
        plural = UNIT_WORDS[target][1]
        question = rng.choice(("How many {p} are in {q}?", "How many {p} is {q}?", "Convert {q} to {p}.",
                               "What is {q} in {p}?", "Convert {v} {s} to {t}.")).format(
            p=plural, q=quantity(value, source), v=value, s=source, t=target)
    conv.ask(question)
    args = {"value": value, "from_unit": source, "to_unit": target}
    [r] = conv.call(rng.choice(("The user wants {v} {s} in {t}. I will convert.",
                                "This is a unit conversion from {s} to {t}. I will use convert_units.")).format(
        v=value, s=source, t=target), ("convert_units", args))
    answer = rng.choice(("{q} is {r}.", "That is {r}.", "{q} equals {r}.")).format(q=quantity(value, source), r=r)
    return conv.answer(f"The tool says {r}.", answer[0].upper() + answer[1:], r)


TOTAL_QUESTIONS = {
    "length": "I walked {q1} and then {q2}. How far did I walk in {p}?",
    "mass": "One bag weighs {q1} and another weighs {q2}. What is the total weight in {p}?",
    "volume": "I have {q1} of water and {q2} of juice. How many {p} is that together?",
    "time": "One task took {q1} and another took {q2}. How many {p} is that in total?",
}
TIMES_QUESTIONS = {
    "length": "One lap is {q}. How many {p} are {k} laps?",
    "mass": "One box weighs {q}. How many {p} do {k} boxes weigh?",
    "volume": "One bottle holds {q}. How many {p} do {k} bottles hold?",
    "time": "One lesson lasts {q}. How many {p} do {k} lessons last?",
}


def convert_arithmetic(rng, conv: Conversation) -> str:
    value, source, target, converted = _pick_conversion(rng, conv, ("length", "mass", "volume", "time"))
    kind = conv.tools.units[source]["kind"]
    plural = UNIT_WORDS[target][1]
    if rng.random() < 0.5:
        other = _value(rng, target, kind)
        conv.ask(TOTAL_QUESTIONS[kind].format(q1=quantity(value, source), q2=quantity(other, target), p=plural))
        op, operand, what = "+", other, "add the second amount"
    else:
        count = rng.randint(2, 12)
        conv.ask(TIMES_QUESTIONS[kind].format(q=quantity(value, source), k=count, p=plural))
        op, operand, what = "*", count, "multiply by the count"
    [r1] = conv.call(f"First I convert {value} {source} to {target}, then {what}.",
                     ("convert_units", {"value": value, "from_unit": source, "to_unit": target}))
    expr = f"{r1.split(' ')[0]} {op} {operand}"
    [r2] = conv.call(f"{value} {source} is {r1}. Now I compute {expr}.", ("calculator", {"expression": expr}))
    expected = f"{r2} {target}"
    answer = rng.choice(("In total that is {x}.", "The answer is {x}.", "That makes {x}.")).format(x=expected)
    return conv.answer(f"The calculator returned {r2}, so the answer is {expected}.", answer, expected)


DATE_QUESTIONS = {
    "date": (("What is today's date?", "What's the date today?", "Which date is it today?", "What is the date?"),
             ("Today is {date}.", "Today's date is {date}.", "It is {date} today.")),
    "weekday": (("What day of the week is it?", "Which weekday is it today?", "What day is it today?"),
                ("Today is {weekday}.", "It is {weekday} today.")),
    "year": (("What year is it?", "Which year are we in?", "What is the current year?"),
             ("It is {year}.", "The current year is {year}.")),
    "month": (("What month is it?", "Which month are we in?", "What is the current month?"),
              ("It is {month}.", "The current month is {month}.")),
}


def date(rng, conv: Conversation) -> str:
    topic = rng.choice(tuple(DATE_QUESTIONS))
    questions, answers = DATE_QUESTIONS[topic]
    conv.ask(rng.choice(questions))
    [r] = conv.call(rng.choice(("I need today's date. I will ask the current_date tool.",
                                "The current_date tool tells me the date.")), ("current_date", {}))
    today = conv.today
    facts = {"date": today.isoformat(), "weekday": r.split("(")[1].rstrip(")"), "year": str(today.year),
             "month": MONTHS[today.month - 1]}
    reasoning = f"The tool returned {r}." + (f" Month {today.month} is {facts['month']}." if topic == "month" else "")
    return conv.answer(reasoning, rng.choice(answers).format(**facts), facts[topic])


def years_since(rng, conv: Conversation) -> str:
    year = rng.randint(1900, conv.today.year - 2)
    conv.ask(rng.choice(("How many years ago was {y}?", "How many years have passed since {y}?",
                         "How many years is it since {y}?")).format(y=year))
    [r] = conv.call(f"I need the current year to count the years since {year}.", ("current_date", {}))
    expr = f"{conv.today.year} - {year}"
    [n] = conv.call(f"Today is {r}. Now I compute {expr}.", ("calculator", {"expression": expr}))
    answer = rng.choice(("{y} was {n} years ago.", "It has been {n} years since {y}.")).format(y=year, n=n)
    return conv.answer(f"The calculator returned {n}.", answer, n)
