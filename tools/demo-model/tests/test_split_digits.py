"""Tests of split_digits.py: which ranks it drops, that every other text still encodes to the same tokens (renumbered),
that numbers come out one digit per token, and that the checkpoint keeps exactly the embedding and lm_head rows of
the ranks and special ids left while every other tensor is stored byte for byte as before."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO_MODEL = os.path.dirname(HERE)
sys.path.insert(0, DEMO_MODEL)
sys.path.insert(0, HERE)

from k2demo import bpe, tokenizer_files  # noqa: E402
from k2demo.checkpoint import read_raw  # noqa: E402
from k2demo.config import ModelConfig  # noqa: E402
from k2demo.export import export_checkpoint  # noqa: E402
from test_export import TINY, random_model  # noqa: E402

import split_digits  # noqa: E402

CORPUS = [
    "Convert 81 kg to g: that is 81000 g. Then 1234 + 567 = 1801 and 17 * 23 = 391.",
    "The year 2031 has 365 days; 12 weeks are 84 days. Room 404, floor 12, 99 steps.",
    "Paris is the capital of France. The answer is 42, or ٤٢ in Arabic-Indic digits.",
] * 20


def run(*args):
    return subprocess.run([sys.executable, os.path.join(DEMO_MODEL, "split_digits.py"), *args],
                          capture_output=True, text=True)


class SplitDigitsTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.ranks = bpe.train(CORPUS, 330)
        tokenizer_dir = os.path.join(cls.tmp, "tok")
        tokenizer_files.write(tokenizer_dir, cls.ranks)
        cls.config = ModelConfig(**{**TINY.to_dict(), "bpe_ranks": len(cls.ranks)})
        cls.model = os.path.join(cls.tmp, "model")
        export_checkpoint(random_model(cls.config, 7), cls.config, cls.model, tokenizer_dir=tokenizer_dir)
        with open(os.path.join(cls.model, "eval.jsonl"), "w", encoding="utf-8") as f:
            f.write('{"id": "t"}\n')
        cls.out, cls.tok_out = os.path.join(cls.tmp, "out"), os.path.join(cls.tmp, "tok-out")
        cls.result = run("--model", cls.model, "--out", cls.out, "--tokenizer-out", cls.tok_out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_runs_and_reports(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        self.assertIn("ranks left", self.result.stdout)

    def test_drops_exactly_the_runs_of_digits(self):
        new = tokenizer_files.read_ranks(self.out)
        self.assertEqual(new, tokenizer_files.read_ranks(self.tok_out))
        dropped = [t for t in self.ranks if t not in set(new)]
        self.assertTrue(dropped, "the corpus should have produced digit merges")
        for token in dropped:
            self.assertRegex(token.decode("utf-8"), r"^\d{2,}$")
        self.assertEqual(new, [t for t in self.ranks if t not in set(dropped)])      # order kept
        self.assertFalse(split_digits.is_number_run("٤".encode("utf-8")))
        self.assertTrue(split_digits.is_number_run("٤٢".encode("utf-8")))
        self.assertFalse(split_digits.is_number_run(b"\xd9"))                         # part of a character: kept

    def test_other_text_encodes_as_before_and_numbers_as_digits(self):
        old, new = bpe.Tokenizer(self.ranks), bpe.Tokenizer(tokenizer_files.read_ranks(self.out))
        new_id = {t: i for i, t in enumerate(new.ranks)}
        text = "Paris is the capital of France. Convert 81000 g, then 1234 + 567 = 1801 <|im_end|>"
        got = new.encode(text)
        pieces = [new.ranks[i] if i < len(new.ranks) else None for i in got]
        self.assertEqual(b"".join(p for p in pieces if p is not None).decode("utf-8"), text.replace("<|im_end|>", ""))
        self.assertEqual(got[-1], len(new.ranks) + 2)                               # <|im_end|> after the new ranks
        for piece in pieces[:-1]:
            if piece[:1].isdigit():
                self.assertEqual(len(piece), 1, piece)
        words = "Paris is the capital of France. The answer is"
        self.assertEqual(new.encode(words), [new_id[old.ranks[i]] for i in old.encode(words)])

    def test_config_and_tensors(self):
        with open(os.path.join(self.out, "config.json"), encoding="utf-8") as f:
            vocab = json.load(f)["vocab_size"]
        kept = split_digits.kept_rows(self.ranks)
        self.assertEqual(vocab, len(kept) + 256)
        before, after = read_raw(self.model), read_raw(self.out)
        self.assertEqual(sorted(before), sorted(after))
        rows = kept + [len(self.ranks) + i for i in range(256)]
        for name in ("model.embed_tokens.weight", "lm_head.weight"):
            dtype, shape, data = before[name]
            new_dtype, new_shape, new_data = after[name]
            self.assertEqual((new_dtype, list(new_shape)), (dtype, [len(rows), shape[1]]))
            width = shape[1] * 2                                                     # bf16 bytes per row
            self.assertEqual(new_data, b"".join(data[r * width:(r + 1) * width] for r in rows), name)
        for name in before:
            if name not in ("model.embed_tokens.weight", "lm_head.weight"):
                self.assertEqual(before[name], after[name], name)
        self.assertTrue(os.path.isfile(os.path.join(self.out, "eval.jsonl")))

    def test_a_checkpoint_without_digit_runs_is_refused(self):
        if self.result.returncode != 0:
            self.skipTest("the first split failed")
        again = run("--model", self.out, "--out", os.path.join(self.tmp, "again"),
                    "--tokenizer-out", os.path.join(self.tmp, "tok-again"))
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("no rank is a run of digits", again.stderr)

    def test_the_tokenizer_alone_splits_the_same_way(self):
        alone = os.path.join(self.tmp, "tok-alone")
        result = run("--tokenizer", os.path.join(self.tmp, "tok"), "--tokenizer-out", alone)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sorted(os.listdir(alone)), ["tiktoken.model", "tokenizer_config.json"])
        for name in ("tiktoken.model", "tokenizer_config.json"):
            with open(os.path.join(alone, name), "rb") as a, open(os.path.join(self.tok_out, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)

    def test_arguments_that_do_not_go_together_are_refused(self):
        tok = os.path.join(self.tmp, "tok")
        for args, message in [(("--model", self.model), "--model needs --out"),
                              (("--tokenizer", tok, "--out", os.path.join(self.tmp, "x")), "--out goes with --model"),
                              (("--model", self.model, "--tokenizer", tok, "--out", os.path.join(self.tmp, "x")),
                               "not allowed with argument")]:
            result = run(*args, "--tokenizer-out", os.path.join(self.tmp, "never"))
            self.assertEqual(result.returncode, 2, args)
            self.assertIn(message, result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "never")))


if __name__ == "__main__":
    unittest.main()
