"""Kimi K2 Thinking's chat template (shared/fixtures/chat/kimi-k2-thinking.jinja) rendered natively, byte for byte,
plus the training view of a finished conversation: the same text cut into segments marked for loss masking.

The template's one subtle rule: every message up to and including the last assistant message without tool calls
(the last finished answer) is rendered with an empty `<think></think>`; the messages after it keep their reasoning.
"""
import json

DEFAULT_SYSTEM_PROMPT = "You are Kimi, an AI assistant created by Moonshot AI."
ASSISTANT_HEADER = "<|im_assistant|>assistant<|im_middle|>"
END = "<|im_end|>"


def to_json(value) -> str:
    """The template's `tojson`, as transformers defines it: `", "` and `": "` separators, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False)


def last_finished_answer(messages: list[dict]) -> int:
    """Index of the last assistant message without tool calls, -1 if none: the end of the reasoning-free history."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i]["role"] == "assistant" and not messages[i].get("tool_calls"):
            return i
    return -1


def render_prompt(messages: list[dict], tools: list | None = None, add_generation_prompt: bool = True) -> str:
    """What the template renders for `messages` and `tools` (a list of declarations, or None)."""
    parts = _render_parts(messages, tools, last_finished_answer(messages))
    text = "".join(header + body for header, body, _ in parts)
    return text + ASSISTANT_HEADER if add_generation_prompt else text


def render_training(messages: list[dict], tools: list | None = None) -> list[tuple[str, bool]]:
    """A finished conversation (ending with the final answer) as (text, trained) segments whose concatenation is
    the prompt the model sees while writing that answer, followed by the answer and `<|im_end|>`.

    Reasoning is therefore dropped exactly where inference drops it: earlier rounds render with `<think></think>`,
    the last round's assistant turns keep theirs. Only the assistant turns whose reasoning is rendered are trained
    (their text after `<|im_assistant|>assistant<|im_middle|>` through `<|im_end|>`): the earlier rounds' empty
    `<think></think>` is what the template shows, not what the model should learn to write.
    """
    final = len(messages) - 1
    if final < 0 or messages[final]["role"] != "assistant" or messages[final].get("tool_calls"):
        raise ValueError("a training conversation must end with an assistant message without tool calls")
    history_end = last_finished_answer(messages[:final])
    segments: list[tuple[str, bool]] = []
    for header, body, index in _render_parts(messages, tools, history_end):
        trained = index > history_end and messages[index]["role"] == "assistant"
        _append(segments, header, False)
        _append(segments, body, trained)
    return segments


def _append(segments: list[tuple[str, bool]], text: str, trained: bool) -> None:
    if not text:
        return
    if segments and segments[-1][1] == trained:
        segments[-1] = (segments[-1][0] + text, trained)
    else:
        segments.append((text, trained))


def _render_parts(messages: list[dict], tools: list | None, history_end: int) -> list[tuple[str, str, int]]:
    """(role line, body through <|im_end|>, message index) per block; index -1 for the tool and system preamble.
    Messages at or before `history_end` lose their reasoning."""
    parts = []
    if tools:
        parts.append(("<|im_system|>tool_declare<|im_middle|>", to_json(tools) + END, -1))
    if not messages or messages[0]["role"] != "system":
        parts.append(("<|im_system|>system<|im_middle|>", DEFAULT_SYSTEM_PROMPT + END, -1))
    for index, message in enumerate(messages):
        parts.append((_role_line(message), _body(message, index > history_end) + END, index))
    return parts


def _role_line(message: dict) -> str:
    role = message["role"]
    name = message.get("name") or role
    if role == "user":
        return f"<|im_user|>{name}<|im_middle|>"
    if role == "assistant":
        return f"<|im_assistant|>{name}<|im_middle|>"
    return f"<|im_system|>{name}<|im_middle|>"


def _body(message: dict, keep_reasoning: bool) -> str:
    role = message["role"]
    if role == "assistant":
        # Jinja prints a present-but-null reasoning_content as "None"; str() reproduces that.
        reasoning = str(message.get("reasoning_content", "")) if keep_reasoning else ""
        text = f"<think>{reasoning}</think>{_content(message)}"
        if message.get("tool_calls"):
            text += _tool_calls(message["tool_calls"])
        return text
    if role == "tool":
        return f"## Return of {message.get('tool_call_id', '')}\n{_content(message)}"
    return _content(message)


def _content(message: dict) -> str:
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for part in content:
        if part.get("type") == "image" or "image" in part or "image_url" in part:
            raise ValueError("image content parts are not supported by this renderer")
        texts.append(str(part["text"]))
    return "".join(texts)


def _tool_calls(calls: list[dict]) -> str:
    text = "<|tool_calls_section_begin|>"
    for call in calls:
        arguments = call["function"]["arguments"]
        if not isinstance(arguments, str):
            arguments = to_json(arguments)
        text += f"<|tool_call_begin|>{call['id']}<|tool_call_argument_begin|>{arguments}<|tool_call_end|>"
    return text + "<|tool_calls_section_end|>"
