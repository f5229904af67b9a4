"""Tests of the task generator and make_data.py: determinism, every conversation replaying through k2demo.tools,
call ids, `expected` in the final answer, the train/eval split's disjointness, and the committed sample."""
import collections
import json
import random
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

DEMO_MODEL = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(DEMO_MODEL))

import make_testdata  # noqa: E402
from k2demo.families_math import UNIT_WORDS  # noqa: E402
from k2demo.tasks import (FAMILIES, TRAIN_WEIGHTS, check_task, generate_task, generate_tasks,  # noqa: E402
                          make_splits, parse_weights, question_keys, user_questions)
from k2demo.tools import DemoTools  # noqa: E402


class GeneratorTests(unittest.TestCase):
    tools = DemoTools()

    def test_same_seed_same_tasks_other_seed_other_tasks(self):
        a = generate_tasks(300, 11, "train", self.tools, multi_round_share=0.15)
        self.assertEqual(a, generate_tasks(300, 11, "train", self.tools, multi_round_share=0.15))
        self.assertNotEqual(a, generate_tasks(300, 12, "train", self.tools, multi_round_share=0.15))

    def test_every_family_replays(self):
        rng = random.Random("test")
        for family in FAMILIES:
            for index in range(150):
                task = generate_task(rng, self.tools, f"{family}-{index}", family)
                self.assertEqual(check_task(task, self.tools), [])
                self.assertEqual(list(task), ["id", "today", "expected", "messages"])
                self.assertEqual(len(user_questions(task)), 1)

    def test_large_split_replays_and_covers_the_formats(self):
        train, held_out = make_splits(3000, 300, 3, self.tools)
        self.assertEqual(len(train), 3000)
        self.assertEqual(len(held_out), 300)
        for task in train + held_out:
            self.assertEqual(check_task(task, self.tools), [], task["id"])
            final = task["messages"][-1]
            self.assertIn(task["expected"], final["content"])
            for message in task["messages"]:
                self.assertNotEqual(message["role"], "system")
                if message["role"] == "assistant":
                    self.assertTrue(message["reasoning_content"])
        rounds = collections.Counter(len(user_questions(t)) for t in train)
        self.assertGreater(rounds[2], 200)
        self.assertEqual(set(len(user_questions(t)) for t in held_out), {1})
        calls_per_turn = collections.Counter(len(m.get("tool_calls") or []) for t in train for m in t["messages"]
                                             if m["role"] == "assistant")
        self.assertGreater(calls_per_turn[2], 50)
        names = {c["function"]["name"] for t in train for m in t["messages"] for c in m.get("tool_calls") or []}
        self.assertEqual(names, {"calculator", "convert_units", "current_date", "lookup"})
        self.assertTrue(any(not m.get("tool_calls") for t in train for m in t["messages"][1:2]))

    def test_eval_questions_are_distinct_and_never_trained(self):
        train, held_out = make_splits(4000, 400, 9, self.tools)
        eval_keys = [k for t in held_out for k in question_keys(t)]
        self.assertEqual(len(eval_keys), len(set(eval_keys)))
        train_keys = {k for t in train for k in question_keys(t)}
        self.assertFalse(train_keys & set(eval_keys))
        self.assertTrue(all(t["id"].startswith("eval-") for t in held_out))
        self.assertEqual([t["id"] for t in train[:2]], ["train-00000", "train-00001"])

    def test_eval_does_not_depend_on_the_training_size(self):
        self.assertEqual(make_splits(10, 50, 4, self.tools)[1], make_splits(500, 50, 4, self.tools)[1])

    def test_every_unit_has_words(self):
        self.assertEqual(set(UNIT_WORDS), set(self.tools.units))

    def test_committed_sample_is_current(self):
        path = DEMO_MODEL / "testdata" / "tasks-sample.jsonl"
        with open(path, encoding="utf-8") as f:
            committed = [json.loads(line) for line in f]
        self.assertEqual(committed, make_testdata.sample_tasks(self.tools),
                         "the generator changed: run `python3 make_testdata.py` and commit testdata/")
        self.assertEqual(len(committed), 60)
        for task in committed:
            self.assertEqual(check_task(task, self.tools), [])

    def test_committed_tool_cases_are_current(self):
        path = DEMO_MODEL / "testdata" / "tool-cases.jsonl"
        with open(path, encoding="utf-8") as f:
            committed = [json.loads(line) for line in f]
        self.assertEqual(committed, make_testdata.tool_cases(self.tools),
                         "run `python3 make_testdata.py` and commit testdata/")


class MakeDataTests(unittest.TestCase):
    def run_make_data(self, out: Path, *extra: str) -> None:
        subprocess.run([sys.executable, str(DEMO_MODEL / "make_data.py"), "--train", "120", "--eval", "30",
                        "--seed", "5", "--out", str(out), *extra], check=True, capture_output=True, text=True)

    def test_deterministic_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            first, second = Path(tmp) / "a", Path(tmp) / "b"
            self.run_make_data(first, "--rendered")
            self.run_make_data(second)
            for name in ("train.jsonl", "eval.jsonl"):
                self.assertEqual((first / name).read_bytes(), (second / name).read_bytes(), name)
            lines = (first / "train.jsonl").read_text(encoding="utf-8").splitlines()
            self.assertEqual(len(lines), 120)
            rendered = [json.loads(x) for x in (first / "train.rendered.jsonl").read_text(encoding="utf-8").splitlines()]
            self.assertEqual([r["id"] for r in rendered], [json.loads(x)["id"] for x in lines])
            self.assertTrue(all(r["segments"][-1][1] for r in rendered))
            prompts = [json.loads(x) for x in (first / "eval.prompts.jsonl").read_text(encoding="utf-8").splitlines()]
            self.assertEqual(len(prompts), 30)
            self.assertTrue(all(p["prompt"].endswith("<|im_assistant|>assistant<|im_middle|>") for p in prompts))

    def test_exclude_drops_the_questions_of_the_given_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            plain, filtered = Path(tmp) / "plain", Path(tmp) / "filtered"
            self.run_make_data(plain)
            lines = (plain / "train.jsonl").read_text(encoding="utf-8").splitlines()
            banned = Path(tmp) / "banned.jsonl"
            banned.write_text("\n".join(lines[:7]) + "\n", encoding="utf-8")
            result = subprocess.run([sys.executable, str(DEMO_MODEL / "make_data.py"), "--train", "120", "--eval", "30",
                                     "--seed", "5", "--out", str(filtered), "--exclude", str(banned)],
                                    check=True, capture_output=True, text=True)
            keys = {k for line in lines[:7] for k in question_keys(json.loads(line))}
            kept = [json.loads(x) for x in (filtered / "train.jsonl").read_text(encoding="utf-8").splitlines()]
            self.assertTrue(all(keys.isdisjoint(question_keys(task)) for task in kept))
            expected = [json.loads(x) for x in lines if keys.isdisjoint(question_keys(json.loads(x)))]
            self.assertEqual(kept, expected)                       # the others, unchanged and in order
            self.assertIn(f"{120 - len(kept)} dropped", result.stdout)
            self.assertEqual((plain / "eval.jsonl").read_bytes(), (filtered / "eval.jsonl").read_bytes())

    def test_weight_changes_the_training_mix_only(self):
        with tempfile.TemporaryDirectory() as tmp:
            plain, weighted = Path(tmp) / "plain", Path(tmp) / "weighted"
            self.run_make_data(plain)
            self.run_make_data(weighted, "--weight", "convert=0", "--weight", "convert_arithmetic=0",
                               "--weight", "small_talk=50")
            tasks = [json.loads(x) for x in (weighted / "train.jsonl").read_text(encoding="utf-8").splitlines()]
            names = [c["function"]["name"] for t in tasks for m in t["messages"] for c in m.get("tool_calls") or []]
            self.assertNotIn("convert_units", names)       # in no round, first rounds of two included
            no_calls = sum(1 for t in tasks if not any(m.get("tool_calls") for m in t["messages"]))
            self.assertGreater(no_calls, 40)                 # small talk is about half of 120
            self.assertEqual((plain / "eval.jsonl").read_bytes(), (weighted / "eval.jsonl").read_bytes())

    def test_parse_weights(self):
        self.assertEqual(parse_weights([]), TRAIN_WEIGHTS)
        self.assertEqual(parse_weights(["convert=40", "date=0"]), {**TRAIN_WEIGHTS, "convert": 40, "date": 0})
        for bad, message in (("converts=3", "one of"), ("convert", "FAMILY=N"), ("convert=-1", "whole number"),
                             ("convert=1.5", "whole number")):
            with self.assertRaisesRegex(ValueError, message):
                parse_weights([bad])
        with self.assertRaisesRegex(ValueError, "weight 0"):
            parse_weights([f"{family}=0" for family in FAMILIES])

    def test_bad_arguments_are_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            result = subprocess.run([sys.executable, str(DEMO_MODEL / "make_data.py"), "--train", "-1", "--eval", "1",
                                     "--seed", "1", "--out", tmp], capture_output=True, text=True)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("--train", result.stderr)
            result = subprocess.run([sys.executable, str(DEMO_MODEL / "make_data.py"), "--train", "1", "--eval", "1",
                                     "--seed", "1", "--out", tmp, "--weight", "chess=2"],
                                    capture_output=True, text=True)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("--weight: weight 'chess=2'", result.stderr)


if __name__ == "__main__":
    unittest.main()
