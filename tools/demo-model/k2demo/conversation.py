"""Builds one synthetic conversation in docs/demo-model.md's message format, running every tool call through
k2demo.tools so each tool message holds exactly the result the engine would print for those arguments."""
import datetime
import json

from .tools import DemoTools


class Conversation:
    """Messages under construction; call ids count the calls of the whole conversation (`functions.NAME:IDX`)."""

    def __init__(self, tools: DemoTools, today: datetime.date):
        self.tools = tools
        self.today = today
        self.messages: list[dict] = []
        self.calls = 0
        self.last_lookup: tuple[str, str] | None = None  # (entity, attribute) of the latest one-lookup question

    def ask(self, question: str) -> None:
        self.messages.append({"role": "user", "content": question})
        self.last_lookup = None

    def call(self, reasoning: str, *calls: tuple[str, dict]) -> list[str]:
        """One assistant turn making `calls` ((tool name, arguments), run in order); returns their results."""
        tool_calls, results = [], []
        for name, arguments in calls:
            call_id = f"functions.{name}:{self.calls}"
            self.calls += 1
            text = json.dumps(arguments, ensure_ascii=False)
            tool_calls.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": text}})
            result = self.tools.call(name, text, self.today)
            if result.startswith("error: "):
                raise ValueError(f"the generator wrote a failing call {name}({text}): {result}")
            results.append((call_id, name, result))
        self.messages.append({"role": "assistant", "reasoning_content": reasoning, "content": "",
                              "tool_calls": tool_calls})
        for call_id, name, result in results:
            self.messages.append({"role": "tool", "tool_call_id": call_id, "name": name, "content": result})
        return [result for _, _, result in results]

    def answer(self, reasoning: str, content: str, expected: str) -> str:
        """The final assistant turn of a round; returns `expected` after checking the answer contains it."""
        if expected not in content:
            raise ValueError(f"answer {content!r} does not contain the expected {expected!r}")
        self.messages.append({"role": "assistant", "reasoning_content": reasoning, "content": content})
        return expected
