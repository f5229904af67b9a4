#!/usr/bin/env python3
# Regenerates testdata/bpe: a 1024-rank tokenizer trained by k2demo/bpe.py on seeded varied text, a held-out
# corpus (one JSON string per line) and bpe.py's ids for each line. The engine's BpeTestdataTests load that
# tokenizer and must give the same ids; tests/test_bpe.py checks that these files are what this script writes.
#   cd tools/demo-model && python3 tests/make_bpe_testdata.py
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bpe_corpus  # noqa: E402
from k2demo import bpe  # noqa: E402

OUT = HERE.parent / "testdata" / "bpe"
RANKS = 1024
TRAIN_SEED, TRAIN_CHARS = 1, 300_000
CORPUS_SEED, CORPUS_CHARS = 2, 25_000


def training_texts():
    return bpe_corpus.lines(TRAIN_SEED, TRAIN_CHARS)


def corpus():
    return bpe_corpus.lines(CORPUS_SEED, CORPUS_CHARS)


def main():
    ranks = bpe.train(training_texts(), RANKS)
    bpe.write(OUT, ranks)
    tokenizer = bpe.load(OUT)
    with open(OUT / "corpus.jsonl", "w", encoding="utf-8", newline="\n") as texts, \
            open(OUT / "expected-ids.jsonl", "w", encoding="utf-8", newline="\n") as ids:
        for text in corpus():
            texts.write(json.dumps(text) + "\n")
            ids.write(json.dumps(tokenizer.encode(text), separators=(",", ":")) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
