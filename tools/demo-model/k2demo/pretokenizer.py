# Kimi K2's pre-tokenizer (K2-SPEC section 4): splits text into the chunks that byte-pair merging works on,
# exactly as tiktoken 1.0.22 does with K2's pattern. Tested by tests/test_bpe.py against tiktoken itself.
#
# The pattern's Unicode classes are pinned to tiktoken's: the `regex` module follows whatever Unicode version
# it was built with (17.0 in regex 2026.x, where e.g. U+0295 moved from Ll to Lo), while tiktoken's Rust regex
# crate uses 16.0. unicode_classes.json holds tiktoken's members of each class (the output of
# `node tests/tiktoken-diff/classes.js`); at import each `\p{...}` class is corrected by the few code points
# on which the installed `regex` disagrees, which keeps the fast property lookups for everything else.
import itertools
import json
from pathlib import Path

try:
    import regex
except ImportError:  # the tests skip with a message; callers get this error when they use the module
    regex = None

CLASSES_FILE = Path(__file__).with_name("unicode_classes.json")

# Each class of K2's pattern in the `regex` module's syntax (V1: `&&` is intersection), by its name in
# unicode_classes.json.
PROPERTY_CLASSES = {
    "han": r"[\p{Han}]",
    "letter": r"[\p{L}]",
    "number": r"[\p{N}]",
    "space": r"[\s]",
    "upperLike": r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]",
    "lowerLike": r"[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]",
}

CONTRACTIONS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)?"


def _require_regex():
    if regex is None:
        raise ImportError("k2demo's tokenizer needs the `regex` module (pip install regex)")


def _code_point_set(ranges):
    members = set()
    for first, last in ranges:
        members.update(range(first, last + 1))
    return members


def _set_syntax(code_points):
    """A `regex` set matching exactly these code points, as runs of \\U escapes."""
    runs = []
    for cp in sorted(code_points):
        if runs and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return "[" + "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in runs) + "]"


def pinned_classes(reference=None):
    """Each class of PROPERTY_CLASSES as a `regex` set with exactly the members tiktoken gives it."""
    _require_regex()
    if reference is None:
        reference = json.loads(CLASSES_FILE.read_text(encoding="utf-8"))
    everything = "".join(map(chr, itertools.chain(range(0xD800), range(0xE000, 0x110000))))
    pinned = {}
    for name, syntax in PROPERTY_CLASSES.items():
        if name not in reference:
            raise ValueError(f"{CLASSES_FILE}: no class '{name}'")
        ours = {ord(c) for c in regex.findall(syntax, everything, flags=regex.V1)}
        theirs = _code_point_set(reference[name])
        extra, missing = ours - theirs, theirs - ours
        pinned[name] = f"[{syntax}--{_set_syntax(extra)}]" if extra else syntax
        if missing:
            pinned[name] = f"[{pinned[name]}||{_set_syntax(missing)}]"
    return pinned


def k2_pattern(classes):
    """K2's eight alternatives joined by `|`, written with the given class sets."""
    han, letter, number, space = classes["han"], classes["letter"], classes["number"], classes["space"]
    upper, lower = classes["upperLike"], classes["lowerLike"]
    return "|".join([
        f"{han}+",
        f"[^\\r\\n{letter}{number}]?{upper}*{lower}+{CONTRACTIONS}",
        f"[^\\r\\n{letter}{number}]?{upper}+{lower}*{CONTRACTIONS}",
        f"{number}{{1,3}}",
        f" ?[^{space}{letter}{number}]+[\\r\\n]*",
        f"{space}*[\\r\\n]+",
        f"{space}+(?![^{space}])",
        f"{space}+",
    ])


_splitter = None


def _compiled():
    global _splitter
    if _splitter is None:
        _require_regex()
        _splitter = regex.compile(k2_pattern(pinned_classes()), regex.V1)
    return _splitter


def without_lone_surrogates(text):
    """The text tiktoken sees: a lone surrogate (possible in a Python str) becomes U+FFFD, a split pair joins."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def split(text):
    """The chunks of text (no special-token handling), concatenating back to it (lone surrogates replaced)."""
    return _compiled().findall(without_lone_surrogates(text))
