# Tests of k2demo/bpe.py, pretokenizer.py and tokenizer_files.py: training, tiktoken's merge and special-token
# semantics, K2's file layout, and ids identical to tiktoken itself (tests/tiktoken-diff under node).
#   cd tools/demo-model && python3 -m unittest discover -s tests -v
# Needs the `regex` module; the tiktoken tests need node and `npm ci --prefix tests/tiktoken-diff`, the fixture
# tests ../shared beside the repository. Each skips with a message when its part is missing.
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bpe_corpus  # noqa: E402
import make_bpe_testdata  # noqa: E402
from k2demo import bpe, pretokenizer, tokenizer_files  # noqa: E402

REPO = HERE.parents[2]
HARNESS = REPO / "tests" / "tiktoken-diff"
FIXTURE = REPO.parent / "shared" / "fixtures" / "tiny-k2"
TESTDATA = HERE.parent / "testdata" / "bpe"


def needs_regex(test):
    return unittest.skipIf(pretokenizer.regex is None, "the `regex` module is not installed (pip install regex)")(test)


def tiktoken_missing():
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (HARNESS / "node_modules" / "tiktoken").is_dir():
        return f"tiktoken is not installed: run `npm ci --prefix {HARNESS}`"
    return None


def tiktoken_encode(directory, texts, ordinary=False):
    """tiktoken's ids with K2's pattern (tests/tiktoken-diff/encode.js) for the vocabulary in directory."""
    with tempfile.TemporaryDirectory() as scratch:
        given, got = Path(scratch, "texts.json"), Path(scratch, "ids.json")
        given.write_text(json.dumps(texts), encoding="utf-8")
        subprocess.run(["node", str(HARNESS / "encode.js"), str(directory), str(given), str(got)]
                       + (["--ordinary"] if ordinary else []), check=True, cwd=HARNESS)
        return json.loads(got.read_text(encoding="utf-8"))


def linear_scan_merge(rank_of, piece):
    """tiktoken's byte_pair_merge as written there: scan for the lowest-ranked pair, merge it, repeat."""
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while True:
        best = None
        for i in range(len(parts) - 1):
            rank = rank_of.get(parts[i] + parts[i + 1])
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, i)
        if best is None:
            return [rank_of[p] for p in parts]
        i = best[1]
        parts[i:i + 2] = [parts[i] + parts[i + 1]]


@needs_regex
class TrainingTests(unittest.TestCase):
    def test_merges_the_most_frequent_pair_within_chunks(self):
        # chunks "ab", " ab" x2, " cd": (a,b) 3 times, then (" ", "ab") twice; "b " never (chunks split there).
        ranks = bpe.train(["ab ab ab cd"], 258)
        self.assertEqual([bytes([b]) for b in range(256)], ranks[:256])
        self.assertEqual([b"ab", b" ab"], ranks[256:])

    def test_ties_go_to_the_lowest_pair_of_ids(self):
        self.assertEqual([b"ba", b"xy"], bpe.train(["xy", "ba"], 258)[256:])
        self.assertEqual(bpe.train(["xy", "ba"], 258), bpe.train(["ba", "xy"], 258))

    def test_counts_weight_chunks(self):
        counts = Counter({"xy": 1, "ba": 1})
        counts["xy"] += 5
        self.assertEqual(b"xy", bpe.train_from_counts(counts, 257)[256])

    def test_overlapping_pairs_merge_left_to_right(self):
        # "aaa" holds (a,a) twice but merges once: [aa, a]; then (aa, a) makes "aaa".
        self.assertEqual([b"aa", b"aaa"], bpe.train(["aaa"], 258)[256:])

    def test_deterministic(self):
        texts = bpe_corpus.lines(11, 60_000)
        self.assertEqual(bpe.train(texts, 700), bpe.train(list(texts), 700))

    def test_token_bytes_stay_distinct_and_reachable(self):
        rng = random.Random(5)
        for _ in range(200):
            texts = ["".join(rng.choice("ab \n1") for _ in range(rng.randrange(1, 30))) for _ in range(5)]
            counts = bpe.count_chunks(texts)
            most = 256 + sum(len(c.encode()) - 1 for c in counts)
            try:
                ranks = bpe.train_from_counts(counts, min(most, 256 + rng.randrange(1, 20)))
            except ValueError:
                continue
            self.assertEqual(len(ranks), len(set(ranks)))
            tokenizer = bpe.Tokenizer(ranks)
            for chunk in counts:  # every learned token is some chunk's merge result or a step towards one
                self.assertEqual(chunk, tokenizer.decode(tokenizer.encode_ordinary(chunk)))

    def test_too_few_pairs_is_an_error_naming_the_maximum(self):
        with self.assertRaisesRegex(ValueError, r"after 258 ranks .*at most 258"):
            bpe.train(["abc"], 300)
        with self.assertRaisesRegex(ValueError, "at least 256"):
            bpe.train(["abc"], 100)

    def test_committed_testdata_is_what_make_bpe_testdata_writes(self):
        ranks = bpe.train(make_bpe_testdata.training_texts(), make_bpe_testdata.RANKS)
        self.assertEqual(ranks, tokenizer_files.read_ranks(TESTDATA), "run tests/make_bpe_testdata.py")
        tokenizer = bpe.load(TESTDATA)
        texts = [json.loads(line) for line in (TESTDATA / "corpus.jsonl").read_text(encoding="utf-8").split("\n") if line]
        ids = [json.loads(line) for line in (TESTDATA / "expected-ids.jsonl").read_text(encoding="utf-8").split("\n") if line]
        self.assertEqual(make_bpe_testdata.corpus(), texts)
        self.assertEqual([tokenizer.encode(t) for t in texts], ids)


@needs_regex
class EncodingTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tokenizer = bpe.load(TESTDATA)

    def test_round_trip(self):
        for text in bpe_corpus.lines(21, 200_000):
            self.assertEqual(text, self.tokenizer.decode(self.tokenizer.encode(text)))
            self.assertEqual(text, self.tokenizer.decode(self.tokenizer.encode_ordinary(text)))

    def test_heap_merge_is_tiktoken_linear_scan(self):
        rng = random.Random(3)
        rank_of = self.tokenizer.rank_of
        for _ in range(300):
            piece = "".join(rng.choice(["a", "aa", " the", "e", "中", "1", "!", "é", "th"]) for _ in range(rng.randrange(1, 200)))
            data = piece.encode("utf-8")
            self.assertEqual(linear_scan_merge(rank_of, data), bpe.byte_pair_merge(rank_of, data), piece)

    def test_megabyte_runs_of_one_character(self):
        # A megabyte in one chunk (or, for digits, many equal ones): quadratic merging would not finish.
        for ch in ["a", "!", " ", "é", "1"]:
            text = ch * (1_000_000 // len(ch.encode("utf-8")))
            ids = self.tokenizer.encode(text)
            self.assertEqual(text, self.tokenizer.decode(ids))
            self.assertLess(len(ids), len(text.encode("utf-8")), f"no merges in a run of {ch!r}")

    def test_special_tokens(self):
        t = self.tokenizer
        first = len(t.ranks)
        self.assertEqual(1024 + 256, t.n_vocab)
        self.assertEqual([first + 2], t.encode("<|im_end|>"))
        self.assertEqual(first + 22, t.special_tokens["<think>"])
        self.assertEqual(first + 5, t.special_tokens[f"<|reserved_token_{first + 5}|>"])
        ids = t.encode("hi<|im_user|>user<|im_middle|>x<think></think>")
        self.assertEqual([first + 3, first + 17, first + 22, first + 23], [i for i in ids if i >= first])
        self.assertEqual("hi<|im_user|>user<|im_middle|>x<think></think>", t.decode(ids))
        plain = t.encode_ordinary("<|im_end|>")
        self.assertTrue(all(i < first for i in plain))
        self.assertEqual("<|im_end|>", t.decode(plain))
        only_end = t.encode("<think><|im_end|>", allowed_special={"<|im_end|>"})
        self.assertEqual(first + 2, only_end[-1])
        self.assertEqual(t.encode_ordinary("<think>"), only_end[:-1])
        self.assertEqual(t.encode_ordinary("<|im_end|>"), t.encode("<|im_end|>", allowed_special=set()))

    def test_text_next_to_special_tokens_splits_as_separate_stretches(self):
        # "  <|im_end|>x": the spaces' lookahead must not see past the special token (tiktoken splits first).
        t = self.tokenizer
        self.assertEqual(t.encode_ordinary("  ") + [len(t.ranks) + 2] + t.encode_ordinary("x"), t.encode("  <|im_end|>x"))

    def test_decode_replaces_invalid_utf8_and_rejects_unknown_ids(self):
        t = self.tokenizer
        self.assertEqual("\ufffd", t.decode([0xE4]))
        self.assertEqual(b"\xe4", t.decode_bytes([0xE4]))
        with self.assertRaisesRegex(ValueError, "outside the vocabulary"):
            t.decode([t.n_vocab])

    def test_lone_surrogates_encode_as_replacement_character(self):
        self.assertEqual(self.tokenizer.encode("a\ufffdb"), self.tokenizer.encode("a\ud800b"))

    def test_vocabulary_must_be_byte_level(self):
        ranks = [bytes([b]) for b in range(256)]
        with self.assertRaisesRegex(ValueError, "0x41"):
            bpe.Tokenizer([r for r in ranks if r != b"A"])
        with self.assertRaisesRegex(ValueError, "distinct"):
            bpe.Tokenizer(ranks + [b"A"])


@needs_regex
class FileTests(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_write_then_load(self):
        ranks = bpe.train(bpe_corpus.lines(4, 20_000), 400)
        bpe.write(self.dir, ranks)
        first = (self.dir / "tiktoken.model").read_text(encoding="ascii").split("\n")[300]
        self.assertEqual(f"{base64.b64encode(ranks[300]).decode()} 300", first)
        loaded = bpe.load(self.dir)
        self.assertEqual(ranks, loaded.ranks)
        self.assertEqual(bpe.Tokenizer(ranks).special_tokens, loaded.special_tokens)
        config = json.loads((self.dir / "tokenizer_config.json").read_text(encoding="utf-8"))
        self.assertEqual(256, len(config["added_tokens_decoder"]))
        self.assertEqual({"content": "<|im_middle|>", "lstrip": False, "normalized": False, "rstrip": False,
                          "single_word": False, "special": True}, config["added_tokens_decoder"]["417"])
        self.assertFalse(config["added_tokens_decoder"]["422"]["special"])  # <think>, as K2 marks it

    @unittest.skipUnless(FIXTURE.is_dir(), f"../shared is not present beside {REPO}")
    def test_layout_is_the_fixtures(self):
        ranks = tokenizer_files.read_ranks(FIXTURE)
        bpe.write(self.dir, ranks)
        self.assertEqual((FIXTURE / "tiktoken.model").read_bytes(), (self.dir / "tiktoken.model").read_bytes())
        self.assertEqual(json.loads((FIXTURE / "tokenizer_config.json").read_text(encoding="utf-8")),
                         json.loads((self.dir / "tokenizer_config.json").read_text(encoding="utf-8")))

    @unittest.skipUnless(FIXTURE.is_dir(), f"../shared is not present beside {REPO}")
    def test_fixture_reference_ids(self):
        tokenizer = bpe.load(FIXTURE)
        for case in json.loads((FIXTURE / "reference" / "tokenizer.json").read_text(encoding="utf-8")):
            self.assertEqual(case["ids"], tokenizer.encode(case["text"]), case["text"])

    def test_malformed_model_files_name_file_and_line(self):
        model = self.dir / "tiktoken.model"
        for content, message in [("QQ== 0\nQg== 0\n", "line 2: duplicate"), ("QQ== 0\nQg== 2\n", "gaps"),
                                 ("QQ==\n", "line 1: expected"), ("Q!Q= 0\n", "line 1: not valid base64")]:
            model.write_text(content, encoding="ascii")
            with self.assertRaisesRegex(ValueError, message):
                tokenizer_files.read_ranks(self.dir)


@needs_regex
class TiktokenDifferentialTests(unittest.TestCase):
    def setUp(self):
        missing = tiktoken_missing()
        if missing:
            self.skipTest(missing)

    def assert_same_ids(self, directory, texts, ordinary=False):
        tokenizer = bpe.load(directory)
        expected = tiktoken_encode(directory, texts, ordinary)
        for text, ids in zip(texts, expected):
            ours = tokenizer.encode_ordinary(text) if ordinary else tokenizer.encode(text)
            self.assertEqual(ids, ours, f"{text!r} ({[hex(ord(c)) for c in text[:40]]})")

    def test_committed_vocabulary_on_varied_text(self):
        self.assert_same_ids(TESTDATA, bpe_corpus.lines(3, 1_000_000))
        self.assert_same_ids(TESTDATA, bpe_corpus.lines(5, 200_000), ordinary=True)

    def test_larger_trained_vocabulary(self):
        with tempfile.TemporaryDirectory() as scratch:
            bpe.write(scratch, bpe.train(bpe_corpus.lines(6, 1_000_000), 3000))
            self.assert_same_ids(scratch, bpe_corpus.lines(7, 500_000))

    @unittest.skipUnless(FIXTURE.is_dir(), f"../shared is not present beside {REPO}")
    def test_fixture_vocabulary(self):
        self.assert_same_ids(FIXTURE, bpe_corpus.lines(8, 300_000))

    def test_pinned_unicode_classes_are_tiktokens(self):
        printed = subprocess.run(["node", str(HARNESS / "classes.js")], check=True, cwd=HARNESS,
                                 capture_output=True, text=True).stdout
        self.assertEqual(json.loads(printed), json.loads(pretokenizer.CLASSES_FILE.read_text(encoding="utf-8")),
                         f"regenerate with: node {HARNESS / 'classes.js'} > {pretokenizer.CLASSES_FILE}")

    def test_every_code_point_splits_as_tiktoken_does(self):
        # Each code point between two letters and after a space: its class decides how the text splits.
        texts = [f"a{chr(cp)}b {chr(cp)}1" for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and cp % 7 == 0]
        texts += ["a\u0295b", "\u1acfx", "x\u0891", "\U00016ff2\U00016ff3"]
        self.assert_same_ids(TESTDATA, texts, ordinary=True)


@needs_regex
class CommandLineTests(unittest.TestCase):
    def test_trains_on_conversations(self):
        import train_tokenizer
        conversation = {"messages": [
            {"role": "user", "content": "How many kilometres is 5 miles?"},
            {"role": "assistant", "reasoning_content": "Convert.", "content": "",
             "tool_calls": [{"id": "functions.convert_units:0", "type": "function", "function": {
                 "name": "convert_units", "arguments": "{\"value\": 5, \"from_unit\": \"mi\", \"to_unit\": \"km\"}"}}]},
            {"role": "tool", "tool_call_id": "functions.convert_units:0", "name": "convert_units", "content": "8.04672 km"},
            {"role": "assistant", "reasoning_content": "Done.", "content": "5 miles is 8.04672 km."}]}
        with tempfile.TemporaryDirectory() as scratch:
            data = Path(scratch, "train.jsonl")
            data.write_text(json.dumps(conversation) + "\n\n" + json.dumps(conversation) + "\n", encoding="utf-8")
            out = Path(scratch, "tok")
            with open(os.devnull, "w") as quiet:
                stdout, sys.stdout = sys.stdout, quiet
                try:
                    self.assertEqual(0, train_tokenizer.main(["--data", str(data), "--vocab", "400", "--out", str(out)]))
                finally:
                    sys.stdout = stdout
            tokenizer = bpe.load(out)
            self.assertEqual(400, len(tokenizer.ranks))
            # The tool declarations are in every prompt: their words were trained on too.
            self.assertLess(len(tokenizer.encode(" arithmetic")), len(" arithmetic"))

            data.write_text("{\"messages\": 3}\n", encoding="utf-8")
            with open(os.devnull, "w") as quiet:
                stderr, sys.stderr = sys.stderr, quiet
                try:
                    self.assertEqual(1, train_tokenizer.main(["--data", str(data), "--vocab", "300", "--out", str(out)]))
                finally:
                    sys.stderr = stderr


if __name__ == "__main__":
    unittest.main()
