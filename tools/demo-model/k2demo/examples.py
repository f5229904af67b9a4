"""Turns conversations (JSONL, docs/demo-model.md) into token ids plus a training mask; used by train.py and
perplexity.py. Pure Python.

Uses k2demo.render.render_training(messages, tools) -> [(text, trained)] (the prompt the model sees while
writing the final answer, then that answer; segments split at special-token boundaries) and
k2demo.bpe.load(directory).encode(text), which turns special-token strings into their special ids like
the engine's tokenizer does.
"""
import json


def load_tools(demo_tools_path: str) -> list:
    """The four tool declarations (the `tools` array of demo_tools.json), in order."""
    with open(demo_tools_path, encoding="utf-8") as f:
        return json.load(f)["tools"]


def load_tokenizer(directory: str):
    from . import bpe
    return bpe.load(directory)


def read_jsonl(path: str) -> list:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def encode_conversation(conversation: dict, tools: list, tokenizer):
    """(ids, train): token ids of the rendered conversation and, per id, whether the model is trained to produce it.

    Each segment is encoded on its own; that must equal encoding the whole text, or the model would be trained
    on a tokenization the engine never produces. That is checked, naming the conversation."""
    from .render import render_training
    ids, train = [], []
    segments = render_training(conversation["messages"], tools)
    for text, trained in segments:
        piece = tokenizer.encode(text)
        ids += piece
        train += [bool(trained)] * len(piece)
    whole = tokenizer.encode("".join(text for text, _ in segments))
    if whole != ids:
        raise ValueError(f"conversation {conversation.get('id', '?')}: encoding segment by segment differs from encoding "
                         "the whole rendering; segments must split at special tokens")
    return ids, train
