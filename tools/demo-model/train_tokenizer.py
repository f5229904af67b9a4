#!/usr/bin/env python3
# Trains the demo model's tokenizer: byte-level BPE with K2's pre-tokenizer and special-token layout
# (k2demo/bpe.py) on the texts of a conversation JSONL file (docs/demo-model.md), and writes tiktoken.model
# and tokenizer_config.json. Prints timings and the compression reached on the training texts.
#   python3 tools/demo-model/train_tokenizer.py --data train.jsonl --vocab 4096 --out DIR
import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from k2demo import bpe, pretokenizer, tokenizer_files

HERE = Path(__file__).resolve().parent
DEFAULT_SYSTEM_PROMPT = "You are Kimi, an AI assistant created by Moonshot AI."


def message_texts(message, where):
    """The texts a message contributes, one per stretch the chat template puts between special tokens."""
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise ValueError(f"{where}: a message must be an object with a string 'role'")
    role = message["role"]
    if role == "tool":
        yield message.get("name") or "tool"
        yield f"## Return of {message.get('tool_call_id', '')}\n{message.get('content', '')}"
        return
    yield role
    for field in ("reasoning_content", "content"):
        value = message.get(field)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{where}: '{field}' must be a string")
        if value:
            yield value
    for call in message.get("tool_calls") or []:
        try:
            yield call["id"]
            yield call["function"]["arguments"]
        except (KeyError, TypeError):
            raise ValueError(f"{where}: a tool call needs 'id' and 'function.arguments'") from None


def conversations(path):
    """Yields (where, messages) for each conversation of a JSONL file."""
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}: line {number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{where}: not valid JSON: {e}") from None
            if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
                raise ValueError(f"{where}: expected an object with a 'messages' array")
            yield where, record["messages"]


def chunk_counts(data_path, tools_path):
    """Chunk counts of the conversations plus, once per conversation, the texts every prompt carries."""
    counts, count = Counter(), 0
    for where, messages in conversations(data_path):
        count += 1
        for index, message in enumerate(messages):
            for text in message_texts(message, f"{where}: messages[{index}]"):
                counts.update(pretokenizer.split(text))
    if count == 0:
        raise ValueError(f"{data_path}: no conversations")
    tools = json.loads(Path(tools_path).read_text(encoding="utf-8"))["tools"]
    fixed = ["tool_declare", json.dumps(tools, ensure_ascii=False), "system", DEFAULT_SYSTEM_PROMPT]
    for chunk, n in bpe.count_chunks(fixed).items():
        counts[chunk] += n * count
    return counts, count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="conversation JSONL (docs/demo-model.md)")
    parser.add_argument("--vocab", required=True, type=int, help="BPE ranks, the 256 bytes included (K2's 256 "
                                                                 "special ids come after them)")
    parser.add_argument("--out", required=True, help="directory for tiktoken.model and tokenizer_config.json")
    parser.add_argument("--tools", default=str(HERE / "demo_tools.json"), help="tool declarations (demo_tools.json)")
    args = parser.parse_args(argv)

    try:
        start = time.perf_counter()
        counts, conversation_count = chunk_counts(args.data, args.tools)
        counted = time.perf_counter()
        ranks = bpe.train_from_counts(counts, args.vocab)
        trained = time.perf_counter()
        bpe.write(args.out, ranks)
    except (OSError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    rank_of = {token: rank for rank, token in enumerate(ranks)}
    total_bytes = sum(len(chunk.encode("utf-8")) * n for chunk, n in counts.items())
    total_tokens = sum(len(bpe.byte_pair_merge(rank_of, chunk.encode("utf-8"))) * n for chunk, n in counts.items())
    print(f"{conversation_count} conversations, {total_bytes / 1e6:.1f} MB, {len(counts)} distinct chunks: "
          f"counted in {counted - start:.1f} s, {args.vocab} ranks trained in {trained - counted:.1f} s")
    print(f"{total_tokens} tokens, {total_bytes / total_tokens:.2f} bytes per token; vocabulary "
          f"{len(ranks) + tokenizer_files.SPECIAL_COUNT} ids ({len(ranks)} ranks + {tokenizer_files.SPECIAL_COUNT} special); wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
