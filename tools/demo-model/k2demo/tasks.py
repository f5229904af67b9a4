"""Seeded generator of the demo model's tasks (docs/demo-model.md: one JSON object per line with id, today,
expected, messages), the train/eval split, and a replay check that every task agrees with k2demo.tools.

Deterministic: the same (count, seed, split) gives the same tasks; `random.Random` seeded with a string is stable
across runs and platforms.
"""
import datetime
import json
import random

from . import families_facts, families_math
from .conversation import Conversation
from .tools import DemoTools

FAMILIES = {
    "arithmetic": families_math.arithmetic,
    "arithmetic_chain": families_math.arithmetic_chain,
    "convert": families_math.convert,
    "convert_arithmetic": families_math.convert_arithmetic,
    "date": families_math.date,
    "years_since": families_math.years_since,
    "lookup": families_facts.lookup,
    "lookup_arithmetic": families_facts.lookup_arithmetic,
    "small_talk": families_facts.small_talk,
}
TRAIN_WEIGHTS = {"arithmetic": 16, "arithmetic_chain": 8, "convert": 14, "convert_arithmetic": 8, "date": 8,
                 "years_since": 4, "lookup": 18, "lookup_arithmetic": 12, "small_talk": 6}
# Held-out small talk cannot be answered by a model that never saw it, so evaluation asks tool questions only.
EVAL_WEIGHTS = {family: weight for family, weight in TRAIN_WEIGHTS.items() if family != "small_talk"}
TRAIN_MULTI_ROUND_SHARE = 0.15
FIRST_DAY = datetime.date(2024, 1, 1)
DAYS = (datetime.date(2032, 12, 31) - FIRST_DAY).days


def question_keys(task: dict) -> list[str]:
    """How a task's questions are compared when keeping evaluation questions out of the training data: case and
    spacing ignored, and for tasks that read the date, the date is part of the question ("What year is it?")."""
    reads_date = any(call["function"]["name"] == "current_date"
                     for m in task["messages"] for call in m.get("tool_calls") or [])
    suffix = f" @{task['today']}" if reads_date else ""
    return [" ".join(q.lower().split()) + suffix for q in user_questions(task)]


def read_question_keys(paths) -> frozenset:
    """The question keys of every task in the JSONL files at paths (see question_keys)."""
    keys = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    try:
                        keys.update(question_keys(json.loads(line)))
                    except (ValueError, KeyError) as e:
                        raise ValueError(f"{path}:{number}: not a task ({e})") from None
    return frozenset(keys)


def user_questions(task: dict) -> list[str]:
    return [m["content"] for m in task["messages"] if m["role"] == "user"]


def prompt_messages(task: dict) -> list[dict]:
    """The engine's prompt for a task: its messages up to and including the last user message."""
    last_user = max(i for i, m in enumerate(task["messages"]) if m["role"] == "user")
    return task["messages"][:last_user + 1]


def generate_task(rng: random.Random, tools: DemoTools, task_id: str, family: str, rounds: int = 1,
                  weights: dict[str, int] | None = None) -> dict:
    """One task of `family`; with rounds=2 a first round (a family drawn by `weights`, default TRAIN_WEIGHTS, which
    includes small talk) comes before it, and a lookup question may be followed by a short follow-up such as
    "And Japan?"."""
    today = FIRST_DAY + datetime.timedelta(days=rng.randrange(DAYS + 1))
    conv = Conversation(tools, today)
    for round_index in range(rounds):
        last = round_index == rounds - 1
        if last and conv.last_lookup is not None and rng.random() < 0.5:
            expected = families_facts.lookup_follow_up(rng, conv)
        else:
            name = family if last else _weighted(rng, weights or TRAIN_WEIGHTS)
            expected = FAMILIES[name](rng, conv)
    return {"id": task_id, "today": today.isoformat(), "expected": expected, "messages": conv.messages}


def generate_tasks(count: int, seed: int, split: str, tools: DemoTools | None = None,
                   weights: dict[str, int] | None = None, multi_round_share: float = 0.0,
                   exclude_questions: frozenset[str] | set[str] = frozenset(), unique: bool = False) -> list[dict]:
    """`count` tasks named `{split}-NNNNN` from the random stream (seed, split). Tasks asking any question in
    `exclude_questions` (compared by question_keys) are drawn again; with `unique`, so are repeated questions."""
    tools = tools or DemoTools()
    weights = weights or TRAIN_WEIGHTS
    rng = random.Random(f"k2demo:{seed}:{split}")
    seen = set(exclude_questions)
    tasks = []
    attempts = 0
    while len(tasks) < count:
        attempts += 1
        if attempts > 50 * count + 1000:
            raise ValueError(f"could not draw {count} distinct {split} tasks; ask for fewer")
        rounds = 2 if rng.random() < multi_round_share else 1
        task = generate_task(rng, tools, f"{split}-{len(tasks):05d}", _weighted(rng, weights), rounds, weights)
        keys = question_keys(task)
        if any(k in seen for k in keys):
            continue
        if unique:
            seen.update(keys)
        tasks.append(task)
    return tasks


def make_splits(train_count: int, eval_count: int, seed: int, tools: DemoTools | None = None,
                train_weights: dict[str, int] | None = None) -> tuple[list[dict], list[dict]]:
    """(train, eval): evaluation questions are distinct and never asked in training; eval is drawn first so it does
    not depend on the size of the training set, nor on `train_weights` (default TRAIN_WEIGHTS)."""
    tools = tools or DemoTools()
    eval_tasks = generate_tasks(eval_count, seed, "eval", tools, EVAL_WEIGHTS, unique=True)
    held_out = frozenset(key for task in eval_tasks for key in question_keys(task))
    train_tasks = generate_tasks(train_count, seed, "train", tools, train_weights, TRAIN_MULTI_ROUND_SHARE, held_out)
    return train_tasks, eval_tasks


def check_task(task: dict, tools: DemoTools) -> list[str]:
    """Problems with a task (empty when it is sound): tool results that differ from what the tools print for the
    calls' arguments, call ids out of sequence or unanswered, a final answer that lacks `expected`."""
    problems = []
    today = datetime.date.fromisoformat(task["today"])
    calls, count = {}, 0
    for message in task["messages"]:
        for call in message.get("tool_calls") or []:
            name = call["function"]["name"]
            want_id = f"functions.{name}:{count}"
            count += 1
            if call["id"] != want_id:
                problems.append(f"{task['id']}: call id {call['id']!r}, expected {want_id!r}")
            calls[call["id"]] = call["function"]
        if message["role"] == "tool":
            function = calls.pop(message["tool_call_id"], None)
            if function is None:
                problems.append(f"{task['id']}: tool message for unknown call {message['tool_call_id']!r}")
                continue
            result = tools.call(function["name"], function["arguments"], today)
            if message["content"] != result or message.get("name") != function["name"]:
                problems.append(f"{task['id']}: {message['tool_call_id']} ({message.get('name')}) gave "
                                f"{message['content']!r}, the tools say {result!r}")
            if json.dumps(json.loads(function["arguments"]), ensure_ascii=False) != function["arguments"]:
                problems.append(f"{task['id']}: arguments {function['arguments']!r} are not json.dumps output")
    if calls:
        problems.append(f"{task['id']}: calls without a tool message: {sorted(calls)}")
    final = task["messages"][-1]
    if final["role"] != "assistant" or final.get("tool_calls") or task["expected"] not in final["content"]:
        problems.append(f"{task['id']}: the final answer does not contain {task['expected']!r}")
    return problems


def parse_weights(items: list[str]) -> dict[str, int]:
    """TRAIN_WEIGHTS with the "family=N" overrides in items applied (N a whole number >= 0, some family above 0)."""
    weights = dict(TRAIN_WEIGHTS)
    for item in items:
        family, sep, value = item.partition("=")
        if not sep or family not in FAMILIES:
            raise ValueError(f"weight {item!r}: expected FAMILY=N with FAMILY one of {', '.join(FAMILIES)}")
        if not (value.isascii() and value.isdigit()):
            raise ValueError(f"weight {item!r}: N must be a whole number >= 0")
        weights[family] = int(value)
    if not any(weights.values()):
        raise ValueError("every family has weight 0")
    return weights


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(tuple(weights), tuple(weights.values()))[0]
