# Seeded varied text for the tokenizer tests: English prose with contractions and capitals, numbers, JSON,
# code, whitespace runs, many scripts, emoji, combining marks, code points whose Unicode class changed after
# 16.0, special-token names inside text, long runs of one character and random code points.
import json
import random

WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one had "
         "by word but not what all were we when your can said there use an each which she do how their if will "
         "up other about out many then them these so some her would make like him into time has look two more "
         "write go see number no way could people my than first water been call who oil its now find long down "
         "day did get come made may part kilometre temperature calculator convert lookup planet element capital "
         "population Celsius Fahrenheit Kelvin Monday Tuesday assistant function arguments result").split()
CONTRACTIONS = ["it's", "They'll", "DON'T", "we've", "I'm", "she'd", "you're", "can't", "O'Neil", "'S", "'Ll"]
UNICODE = ["café", "naïve", "Zürich", "straße", "ΑΘΗΝΑ", "Москва", "中文字符", "日本語のテキスト", "한국어", "مرحبا",
           "नमस्ते", "e\u0301", "A\u030a", "👍🏽", "👨‍👩‍👧", "🇫🇷", "ʕ•ᴥ•ʔ", "ǅungla", "ﬁne", "ﬅ", "'ſ", "K",
           "\u1acf\u1ad0x", "\u0891", "\U00016ff2", "\U00031350", "①②", "Ⅻ", "٣٤٥", "\u00a0", "\u2028", "\u3000",
           "\ufeff", "\u200b", "\x00", "\x1f", "\x85", "\U0010ffff"]
SPECIALS = ["<|im_end|>", "<|im_user|>", "<think>", "</think>", "[BOS]", "[EOS]", "<|im_middle|>",
            "<|tool_call_begin|>", "<|im_end|", "<think", "[PAD]x", "<|reserved_token_1029|>"]
SPACES = [" ", "  ", "\t", "\n", "\n\n", " \n", "\r\n", "   \n  ", "\n\n\n   ", "\t\t", " \r\n\r\n "]


def _number(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return str(rng.randrange(10 ** rng.randrange(1, 12)))
    if kind == 1:
        return f"{rng.uniform(-1000, 1000):.{rng.randrange(1, 6)}f}"
    if kind == 2:
        return f"{rng.randrange(1900, 2100)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    if kind == 3:
        return f"{rng.randrange(100)}%"
    if kind == 4:
        return f"{rng.uniform(0, 1e20):.6g}".replace("e", "E")
    return f"({rng.randrange(50)} + {rng.randrange(50)}) * {rng.randrange(9)}.{rng.randrange(99)}"


def _json(rng):
    value = {rng.choice(WORDS): rng.choice([rng.randrange(1000), rng.random(), rng.choice(WORDS), None, True,
                                            [rng.randrange(9) for _ in range(rng.randrange(4))],
                                            {"unit": rng.choice(["km", "mi", "°C", "K"])}])
             for _ in range(rng.randrange(1, 5))}
    return json.dumps(value, ensure_ascii=rng.random() < 0.3, indent=rng.choice([None, None, 2]))


def _sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randrange(3, 16))]
    for i in range(len(words)):
        r = rng.random()
        if r < 0.08:
            words[i] = rng.choice(CONTRACTIONS)
        elif r < 0.14:
            words[i] = _number(rng)
        elif r < 0.18:
            words[i] = words[i].upper()
        elif r < 0.22:
            words[i] = rng.choice(UNICODE)
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", "!", "?", "...", ":", ";", ",", " --", "?!"])


def _random_code_points(rng):
    cps = []
    for _ in range(rng.randrange(1, 40)):
        cp = rng.choice([rng.randrange(0x80), rng.randrange(0x800), rng.randrange(0x10000), rng.randrange(0x110000)])
        cps.append(chr(cp if not 0xD800 <= cp <= 0xDFFF else 0xFFFD))
    return "".join(cps)


def line(rng):
    """One varied text (may contain newlines)."""
    kind = rng.random()
    if kind < 0.45:
        return " ".join(_sentence(rng) for _ in range(rng.randrange(1, 4)))
    if kind < 0.6:
        return _json(rng)
    if kind < 0.68:
        return f"def f_{rng.randrange(99)}(x):\n    return x ** {rng.randrange(9)}  # {rng.choice(WORDS)}\n"
    if kind < 0.78:
        return rng.choice(SPACES).join(_sentence(rng) for _ in range(3)) + rng.choice(SPACES)
    if kind < 0.86:
        return rng.choice(SPECIALS).join(_sentence(rng) for _ in range(2))
    if kind < 0.9:
        return rng.choice("a A 1 ! 中 é - = 0".split()) * rng.randrange(1, 300)
    if kind < 0.95:
        return _random_code_points(rng)
    return "".join(rng.choice(UNICODE + SPACES + ["'s", "'LL", "x", "1"]) for _ in range(rng.randrange(2, 20)))


def lines(seed, total_chars):
    """Varied texts, about total_chars characters in all, the same for the same seed."""
    rng = random.Random(seed)
    out, size = [], 0
    while size < total_chars:
        out.append(line(rng))
        size += len(out[-1])
    return out
