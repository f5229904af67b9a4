"""Tests of k2demo.render: byte equality with the official template's renderings (shared/fixtures/chat, beside the
repository; skipped with a message when absent) and the training view's segments."""
import json
import sys
import unittest
from pathlib import Path

DEMO_MODEL = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(DEMO_MODEL))

from k2demo.render import ASSISTANT_HEADER, render_prompt, render_training  # noqa: E402
from k2demo.tasks import generate_tasks, prompt_messages  # noqa: E402
from k2demo.tools import DemoTools  # noqa: E402

REPOSITORY = DEMO_MODEL.parents[1]
RENDERED = REPOSITORY.parent / "shared" / "fixtures" / "chat" / "rendered.json"


def tool_loop(final_reasoning="It is 6."):
    return [{"role": "user", "content": "What is 2 * 3?"},
            {"role": "assistant", "reasoning_content": "Use the calculator.", "content": "",
             "tool_calls": [{"id": "functions.calculator:0", "type": "function",
                             "function": {"name": "calculator", "arguments": "{\"expression\": \"2 * 3\"}"}}]},
            {"role": "tool", "tool_call_id": "functions.calculator:0", "name": "calculator", "content": "6"},
            {"role": "assistant", "reasoning_content": final_reasoning, "content": "2 * 3 = 6."}]


class FixtureTests(unittest.TestCase):
    def test_every_fixture_case_renders_byte_for_byte(self):
        if not RENDERED.exists():
            self.skipTest(f"{RENDERED} is absent (shared fixtures live beside the repository)")
        cases = json.loads(RENDERED.read_text(encoding="utf-8"))
        self.assertGreater(len(cases), 0)
        for case in cases:
            with self.subTest(case["name"]):
                text = render_prompt(case["messages"], case.get("tools"), case.get("add_generation_prompt", True))
                self.assertEqual(text, case["rendered"])


class RenderTests(unittest.TestCase):
    def test_tool_name_or_tool_on_the_role_line(self):
        messages = tool_loop()[:3]
        self.assertIn("<|im_system|>calculator<|im_middle|>## Return of functions.calculator:0\n6<|im_end|>",
                      render_prompt(messages))
        del messages[2]["name"]
        self.assertIn("<|im_system|>tool<|im_middle|>## Return of", render_prompt(messages))

    def test_reasoning_dropped_up_to_the_last_finished_answer(self):
        finished = render_prompt(tool_loop(), add_generation_prompt=False)
        self.assertNotIn("Use the calculator.", finished)
        self.assertEqual(finished.count("<think></think>"), 2)
        in_progress = render_prompt(tool_loop()[:3])
        self.assertIn("<think>Use the calculator.</think>", in_progress)
        self.assertTrue(in_progress.endswith(ASSISTANT_HEADER))

    def test_null_reasoning_prints_like_jinja(self):
        messages = tool_loop()[:2]
        messages[1]["reasoning_content"] = None
        self.assertIn("<think>None</think>", render_prompt(messages))
        del messages[1]["reasoning_content"]
        self.assertIn("<think></think>", render_prompt(messages))

    def test_images_are_refused(self):
        with self.assertRaisesRegex(ValueError, "image"):
            render_prompt([{"role": "user", "content": [{"type": "image", "image": "x.png"}]}])


class TrainingViewTests(unittest.TestCase):
    def test_one_round_trains_every_assistant_turn_with_its_reasoning(self):
        segments = render_training(tool_loop(), [{"type": "function", "function": {"name": "calculator"}}])
        text = "".join(t for t, _ in segments)
        self.assertEqual(text, render_prompt(tool_loop()[:3], [{"type": "function", "function": {"name": "calculator"}}])
                         + "<think>It is 6.</think>2 * 3 = 6.<|im_end|>")
        trained = [t for t, flag in segments if flag]
        self.assertEqual(trained[0][:len("<think>Use the calculator.</think>")], "<think>Use the calculator.</think>")
        self.assertEqual(trained, [t for t, _ in segments[1::2]])
        for piece in trained:
            self.assertTrue(piece.endswith("<|im_end|>"), piece)
            self.assertNotIn("<|im_system|>", piece)
        self.assertEqual(len(trained), 2)
        for index, (piece, flag) in enumerate(segments):
            if flag:
                self.assertTrue(segments[index - 1][0].endswith(ASSISTANT_HEADER))

    def test_earlier_rounds_are_context_without_reasoning(self):
        messages = tool_loop("first") + [{"role": "user", "content": "Thanks!"},
                                         {"role": "assistant", "reasoning_content": "No tool.", "content": "You're welcome!"}]
        segments = render_training(messages)
        self.assertEqual([t for t, flag in segments if flag], ["<think>No tool.</think>You're welcome!<|im_end|>"])
        self.assertNotIn("first", "".join(t for t, _ in segments))
        self.assertEqual("".join(t for t, _ in segments),
                         render_prompt(messages[:-1]) + "<think>No tool.</think>You're welcome!<|im_end|>")

    def test_unfinished_conversations_are_refused(self):
        for messages in ([], tool_loop()[:3], tool_loop()[:2]):
            with self.assertRaises(ValueError):
                render_training(messages)

    def test_generated_conversations_agree_with_the_prompt_renderer(self):
        tools = DemoTools()
        for task in generate_tasks(200, 5, "render-test", tools, multi_round_share=0.3):
            segments = render_training(task["messages"], tools.declarations)
            text = "".join(t for t, _ in segments)
            prompt = render_prompt(prompt_messages(task), tools.declarations)
            self.assertTrue(text.startswith(prompt), task["id"])
            self.assertTrue(segments[-1][1] and task["expected"] in segments[-1][0], task["id"])
            # The trained turns are the last round's assistant turns, each preceded by exactly the prompt the
            # template renders when the model is asked to write that turn.
            last_user = len(prompt_messages(task)) - 1
            turns = [i for i, m in enumerate(task["messages"]) if m["role"] == "assistant" and i > last_user]
            done, starts = "", []
            for piece, flag in segments:
                if flag:
                    starts.append(done)
                done += piece
            self.assertEqual(len(starts), len(turns), task["id"])
            for start, turn in zip(starts, turns):
                self.assertEqual(start, render_prompt(task["messages"][:turn], tools.declarations), task["id"])


if __name__ == "__main__":
    unittest.main()
