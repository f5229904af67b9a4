"""Question families about stored facts (lookup, and two lookups combined by the calculator) and the small talk
that needs no tool. Same shape as families_math: ask, call, answer, return `expected`."""
from .conversation import Conversation

# (kind, attribute) -> (words for the reasoning, questions, answers); {x} is the entity, {v} the value.
FACT_PHRASES = {
    ("country", "capital"): ("capital", ("What is the capital of {x}?", "Which city is the capital of {x}?",
                                         "Tell me the capital of {x}."), ("The capital of {x} is {v}.",)),
    ("country", "population"): ("population", ("What is the population of {x}?", "How many people live in {x}?",
                                               "How large is the population of {x}?"),
                                ("{x} has a population of {v}.", "About {v} people live in {x}.")),
    ("country", "area_km2"): ("area", ("What is the area of {x}?", "How big is {x} in square kilometres?",
                                       "How many square kilometres does {x} cover?"),
                              ("{x} covers {v} square kilometres.", "The area of {x} is {v} square kilometres.")),
    ("country", "currency"): ("currency", ("What currency is used in {x}?", "What is the currency of {x}?",
                                           "Which money do people use in {x}?"),
                              ("The currency of {x} is the {v}.", "People in {x} pay with the {v}.")),
    ("country", "continent"): ("continent", ("On which continent is {x}?", "Which continent is {x} in?",
                                             "Where is {x}, on which continent?"), ("{x} is in {v}.",)),
    ("planet", "moons"): ("number of moons", ("How many moons does {x} have?", "How many moons orbit {x}?",
                                              "What is the number of moons of {x}?"),
                          ("{x} has {v} moons.", "The number of moons of {x} is {v}.")),
    ("planet", "diameter_km"): ("diameter", ("What is the diameter of {x}?", "How wide is {x} in kilometres?",
                                             "How big is {x} across?"), ("The diameter of {x} is {v} km.",)),
    ("planet", "distance_au"): ("distance from the Sun", ("How far is {x} from the Sun?",
                                                          "What is the distance of {x} from the Sun in AU?"),
                                ("{x} is {v} AU from the Sun.",)),
    ("planet", "orbital_period_days"): ("orbital period", ("How long is a year on {x}?",
                                                           "How many days does {x} take to go around the Sun?",
                                                           "What is the orbital period of {x}?"),
                                        ("A year on {x} lasts {v} days.", "The orbital period of {x} is {v} days.")),
    ("element", "symbol"): ("chemical symbol", ("What is the chemical symbol for {x}?", "What is the symbol of {x}?",
                                                "Which symbol stands for {x}?"),
                            ("The chemical symbol for {x} is {v}.",)),
    ("element", "atomic_number"): ("atomic number", ("What is the atomic number of {x}?",
                                                     "How many protons does an atom of {x} have?"),
                                   ("The atomic number of {x} is {v}.",)),
    ("element", "atomic_mass"): ("atomic mass", ("What is the atomic mass of {x}?", "How heavy is an atom of {x}?"),
                                 ("The atomic mass of {x} is {v}.",)),
}
FOLLOW_UPS = ("And {x}?", "What about {x}?", "And for {x}?")

# (kind, attribute, operator, questions, answer): the first entity named holds the larger value for - and /.
PAIR_QUESTIONS = (
    ("country", "population", "-", ("How many more people live in {a} than in {b}?",),
     "{a} has {r} more people than {b}."),
    ("country", "population", "+", ("What is the combined population of {a} and {b}?",
                                    "How many people live in {a} and {b} together?"),
     "Together {a} and {b} have {r} people."),
    ("country", "population", "/", ("How many times more people live in {a} than in {b}?",),
     "{a} has {r} times as many people as {b}."),
    ("country", "area_km2", "+", ("What is the total area of {a} and {b}?",),
     "Together they cover {r} square kilometres."),
    ("country", "area_km2", "-", ("How much larger is {a} than {b} in area?",
                                  "By how many square kilometres is {a} larger than {b}?"),
     "{a} is {r} square kilometres larger than {b}."),
    ("planet", "moons", "+", ("How many moons do {a} and {b} have together?",), "Together they have {r} moons."),
    ("planet", "moons", "-", ("How many more moons does {a} have than {b}?",), "{a} has {r} more moons than {b}."),
    ("planet", "diameter_km", "/", ("How many times wider is {a} than {b}?",), "{a} is {r} times as wide as {b}."),
    ("planet", "diameter_km", "-", ("How much larger is the diameter of {a} than that of {b}?",),
     "The diameter of {a} is {r} km larger than that of {b}."),
    ("planet", "orbital_period_days", "-", ("How many days longer is a year on {a} than on {b}?",),
     "A year on {a} is {r} days longer than a year on {b}."),
    ("element", "atomic_number", "-", ("What is the difference between the atomic numbers of {a} and {b}?",),
     "The difference is {r}."),
    ("element", "atomic_number", "+", ("What is the sum of the atomic numbers of {a} and {b}?",), "The sum is {r}."),
    ("element", "atomic_mass", "+", ("What is the sum of the atomic masses of {a} and {b}?",),
     "The sum of their atomic masses is {r}."),
)

SMALL_TALK = (
    # (questions, answers, expected, reasoning)
    (("Hello!", "Hi!", "Hi there!", "Good morning!", "Hello, how are you?", "Hey!"),
     ("Hello! How can I help you today?", "Hi! What can I help you with?"), "help",
     "A greeting. No tool is needed."),
    (("What can you do?", "Which tools do you have?", "How can you help me?"),
     ("I can use a calculator, convert units, tell you today's date and look up facts about countries, planets "
      "and chemical elements.",), "calculator", "The user asks about my abilities. I know my tools."),
    (("Thank you!", "Thanks a lot!", "Thanks!"), ("You're welcome!", "You're welcome! Ask me anything."), "welcome",
     "The user thanks me. No tool is needed."),
)
SIMPLE_FACTS = (
    ("What color is the sky on a clear day?", "The sky is blue on a clear day.", "blue"),
    ("How many legs does a spider have?", "A spider has 8 legs.", "8"),
    ("How many legs does a dog have?", "A dog has 4 legs.", "4"),
    ("What is the opposite of hot?", "The opposite of hot is cold.", "cold"),
    ("What do bees make?", "Bees make honey.", "honey"),
    ("What color is grass?", "Grass is green.", "green"),
    ("What is frozen water called?", "Frozen water is called ice.", "ice"),
    ("How many letters are in the English alphabet?", "The English alphabet has 26 letters.", "26"),
    ("Which animal says moo?", "A cow says moo.", "cow"),
    ("What is the largest ocean on Earth?", "The Pacific Ocean is the largest ocean on Earth.", "Pacific"),
)


def _entities(conv: Conversation, kind: str) -> list[str]:
    return [name for name, entry in conv.tools.facts.items() if entry["kind"] == kind]


def lookup(rng, conv: Conversation, kind_attribute: tuple[str, str] | None = None, entity: str | None = None,
           question: str | None = None) -> str:
    kind, attribute = kind_attribute or rng.choice(tuple(FACT_PHRASES))
    words, questions, answers = FACT_PHRASES[(kind, attribute)]
    entity = entity or rng.choice(_entities(conv, kind))
    conv.ask(question or rng.choice(questions).format(x=entity))
    [v] = conv.call(rng.choice(("The user asks for the {w} of {x}. I will look it up.",
                                "I need the {w} of {x}. The lookup tool has it.")).format(w=words, x=entity),
                    ("lookup", {"entity": entity, "attribute": attribute}))
    expected = conv.answer(f"The lookup returned {v}.", rng.choice(answers).format(x=entity, v=v), v)
    conv.last_lookup = (entity, attribute)
    return expected


def lookup_follow_up(rng, conv: Conversation) -> str:
    """A second round reusing the previous lookup's attribute for another entity ("And Japan?")."""
    entity, attribute = conv.last_lookup
    kind = conv.tools.facts[entity]["kind"]
    other = rng.choice([e for e in _entities(conv, kind) if e != entity])
    return lookup(rng, conv, (kind, attribute), other, rng.choice(FOLLOW_UPS).format(x=other))


def lookup_arithmetic(rng, conv: Conversation) -> str:
    kind, attribute, op, questions, answer = rng.choice(PAIR_QUESTIONS)
    facts = conv.tools.facts
    while True:
        a, b = rng.sample(_entities(conv, kind), 2)
        if op == "+" or float(facts[a][attribute]) > float(facts[b][attribute]):
            break
    words = FACT_PHRASES[(kind, attribute)][0]
    conv.ask(rng.choice(questions).format(a=a, b=b))
    calls = [("lookup", {"entity": a, "attribute": attribute}), ("lookup", {"entity": b, "attribute": attribute})]
    if rng.random() < 0.6:
        va, vb = conv.call(f"I need the {words} of {a} and of {b}. I will look up both.", *calls)
    else:
        [va] = conv.call(f"I need the {words} of {a} and of {b}. First {a}.", calls[0])
        [vb] = conv.call(f"{a}: {va}. Now {b}.", calls[1])
    expr = f"{va} {op} {vb}"
    [r] = conv.call(f"{a}: {va}, {b}: {vb}. Now I compute {expr}.", ("calculator", {"expression": expr}))
    return conv.answer(f"The calculator returned {r}.", answer.format(a=a, b=b, r=r), r)


def small_talk(rng, conv: Conversation) -> str:
    if rng.random() < 0.6:
        questions, answers, expected, reasoning = rng.choice(SMALL_TALK)
        conv.ask(rng.choice(questions))
        return conv.answer(reasoning, rng.choice(answers), expected)
    question, answer, expected = rng.choice(SIMPLE_FACTS)
    conv.ask(question)
    return conv.answer("This is a simple fact I know. No tool is needed.", answer, expected)
