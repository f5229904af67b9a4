#!/usr/bin/env python3
"""Rewrites an exported demo checkpoint so that numbers are spelled one digit per token (docs/demo-model.md,
"Fifth stage"):

    python3 split_digits.py --model data/stage4 --tokenizer-out data/tokenizer-digits --out data/stage4-digits
    python3 split_digits.py --tokenizer data/tokenizer --tokenizer-out data/tokenizer-digits   # the tokenizer alone

K2's pre-tokenizer cuts every number into chunks of one to three digits, and a BPE trained on the demo data has a
token for most of those chunks, so copying a number means copying one of about a thousand tokens. This drops every
rank whose bytes are two or more number characters (no other rank is built from them: the pre-tokenizer never puts
a digit in a chunk with anything else), keeps the order of the rest (so every other text encodes as before), and
writes the smaller tokenizer; the checkpoint keeps the rows of the embedding and of lm_head that belong to the
ranks and special ids left, so training goes on from the same weights with the new vocabulary. The engine needs
nothing new: a tiktoken.model without digit merges encodes a number as its digits.
"""
import argparse
import json
import os
import shutil
import sys

from k2demo import safetensors_file, tokenizer_files
from k2demo.checkpoint import read_raw
from k2demo.config import SPECIAL_IDS
from k2demo.export import INDEX_FILE, SINGLE_FILE
from k2demo.pretokenizer import regex

VOCAB_TENSORS = ("model.embed_tokens.weight", "lm_head.weight")
DTYPE_BYTES = {"BF16": 2, "F16": 2, "F32": 4}
OPTIONAL_FILES = ("demo_tools.json", "eval.jsonl")


def is_number_run(token: bytes) -> bool:
    """Two or more characters, every one a number (\\p{N}); bytes that are not whole UTF-8 text are kept."""
    try:
        text = token.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return len(text) >= 2 and regex.fullmatch(r"\p{N}+", text) is not None


def kept_rows(ranks) -> list:
    """Indices of the ranks to keep (every rank that is not a run of numbers), in order."""
    return [rank for rank, token in enumerate(ranks) if not is_number_run(token)]


def rows_of(stored, rows: list, vocab: int, where: str):
    """The stored (dtype, shape, bytes) of a [vocab, width] tensor cut down to rows, bytes copied as they are."""
    dtype, shape, data = stored
    if len(shape) != 2 or shape[0] != vocab or dtype not in DTYPE_BYTES:
        raise SystemExit(f"{where}: expected a [{vocab}, width] BF16/F16/F32 tensor, found {dtype} {list(shape)}")
    width = shape[1] * DTYPE_BYTES[dtype]
    return dtype, [len(rows), shape[1]], b"".join(bytes(data[r * width:(r + 1) * width]) for r in rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="exported demo checkpoint (config.json, safetensors, tiktoken.model, "
                                        "tokenizer_config.json); needs --out")
    source.add_argument("--tokenizer", help="a tokenizer directory alone (tiktoken.model): only --tokenizer-out is "
                                            "written, for training from scratch")
    parser.add_argument("--out", help="checkpoint directory to write (one model.safetensors); with --model")
    parser.add_argument("--tokenizer-out", required=True, help="directory for the digit tokenizer alone "
                                                               "(train.py --tokenizer)")
    args = parser.parse_args(argv)
    if args.model is not None and args.out is None:
        parser.error("--model needs --out (the checkpoint directory to write)")
    if args.tokenizer is not None and args.out is not None:
        parser.error("--out goes with --model; --tokenizer writes only --tokenizer-out")

    if args.tokenizer is not None:
        ranks = tokenizer_files.read_ranks(args.tokenizer)
        keep = kept_rows(ranks)
        if len(keep) == len(ranks):
            raise SystemExit(f"{args.tokenizer}/tiktoken.model: no rank is a run of digits; nothing to do")
        tokenizer_files.write(args.tokenizer_out, [ranks[r] for r in keep])
        print(f"dropped {len(ranks) - len(keep)} of {len(ranks)} ranks (runs of digits); {len(keep)} ranks left; "
              f"wrote {args.tokenizer_out}")
        return 0

    ranks = tokenizer_files.read_ranks(args.model)
    with open(os.path.join(args.model, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    vocab = len(ranks) + SPECIAL_IDS
    if config.get("vocab_size") != vocab:
        raise SystemExit(f"{args.model}/config.json: vocab_size is {config.get('vocab_size')}, tiktoken.model's "
                         f"{len(ranks)} ranks and {SPECIAL_IDS} special ids make {vocab}")
    keep = kept_rows(ranks)
    if len(keep) == len(ranks):
        raise SystemExit(f"{args.model}/tiktoken.model: no rank is a run of digits; nothing to do")
    rows = keep + [len(ranks) + i for i in range(SPECIAL_IDS)]
    raw = read_raw(args.model)
    for name in VOCAB_TENSORS:
        if name not in raw:
            raise SystemExit(f"{args.model}: tensor {name} not found")
        raw[name] = rows_of(raw[name], rows, vocab, f"{args.model}: tensor {name}")

    os.makedirs(args.out, exist_ok=True)
    for stale in os.listdir(args.out):
        if stale.endswith(".safetensors") or stale == INDEX_FILE:
            os.remove(os.path.join(args.out, stale))
    safetensors_file.write(os.path.join(args.out, SINGLE_FILE),
                           [(name, dtype, shape, bytes(data)) for name, (dtype, shape, data) in raw.items()])
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump({**config, "vocab_size": len(keep) + SPECIAL_IDS}, f, indent=2)
        f.write("\n")
    tokenizer_files.write(args.tokenizer_out, [ranks[r] for r in keep])
    tokenizer_files.write(args.out, [ranks[r] for r in keep])
    for file in OPTIONAL_FILES:
        if os.path.isfile(os.path.join(args.model, file)):
            shutil.copyfile(os.path.join(args.model, file), os.path.join(args.out, file))
    print(f"dropped {len(ranks) - len(keep)} of {len(ranks)} ranks (runs of digits); {len(keep)} ranks left; "
          f"wrote {args.tokenizer_out} and {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
