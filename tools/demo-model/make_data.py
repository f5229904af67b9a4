"""Writes the demo model's training and evaluation tasks (docs/demo-model.md):

    python3 make_data.py --train 20000 --eval 500 --seed 1 --out data [--rendered] [--exclude heldout.jsonl ...]
                         [--weight convert=40 ...]

gives data/train.jsonl and data/eval.jsonl, and with --rendered also data/train.rendered.jsonl (each conversation
as chat-template text segments, {"id", "segments": [[text, trained], ...]}) and data/eval.prompts.jsonl (each
task's prompt text, {"id", "prompt"}). --exclude drops the training tasks whose question (compared by
`question_keys`) is asked in one of the given task files, so that data drawn after the held-out tasks never
contains one of them; the count dropped is printed. --weight FAMILY=N changes a family's share of the training
tasks (k2demo.tasks.TRAIN_WEIGHTS; the evaluation tasks never change with it). The same arguments always give the
same bytes.
"""
import argparse
import json
import sys
from pathlib import Path

from k2demo.render import render_prompt, render_training
from k2demo.tasks import check_task, make_splits, parse_weights, prompt_messages, question_keys, read_question_keys
from k2demo.tools import DEMO_TOOLS_PATH, DemoTools, load_demo_tools


def write_jsonl(path: Path, rows) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the demo model's synthetic tool-use conversations.")
    parser.add_argument("--train", type=int, required=True, help="number of training conversations")
    parser.add_argument("--eval", type=int, required=True, help="number of held-out evaluation tasks")
    parser.add_argument("--seed", type=int, required=True, help="seed of both random streams")
    parser.add_argument("--out", type=Path, required=True, help="output directory (created if missing)")
    parser.add_argument("--rendered", action="store_true", help="also write the chat-template texts")
    parser.add_argument("--tools", type=Path, default=DEMO_TOOLS_PATH, help="demo_tools.json to use")
    parser.add_argument("--exclude", type=Path, nargs="*", default=[],
                        help="task files whose questions must not appear in the training tasks")
    parser.add_argument("--weight", action="append", default=[], metavar="FAMILY=N",
                        help="a training family's weight instead of the default (repeatable)")
    args = parser.parse_args(argv)
    if args.train < 0 or args.eval < 0:
        parser.error("--train and --eval must not be negative")
    try:
        weights = parse_weights(args.weight)
    except ValueError as e:
        parser.error(f"--weight: {e}")

    tools = DemoTools(load_demo_tools(args.tools))
    train, held_out = make_splits(args.train, args.eval, args.seed, tools, weights)
    excluded = read_question_keys(args.exclude)
    dropped = 0
    if excluded:
        kept = [task for task in train if excluded.isdisjoint(question_keys(task))]
        train, dropped = kept, len(train) - len(kept)
    problems = [p for task in train + held_out for p in check_task(task, tools)]
    if problems:
        print("\n".join(problems[:20]), file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out / "train.jsonl", train)
    write_jsonl(args.out / "eval.jsonl", held_out)
    written = ["train.jsonl", "eval.jsonl"]
    if args.rendered:
        declarations = tools.declarations
        write_jsonl(args.out / "train.rendered.jsonl",
                    ({"id": t["id"], "segments": render_training(t["messages"], declarations)} for t in train))
        write_jsonl(args.out / "eval.prompts.jsonl",
                    ({"id": t["id"], "prompt": render_prompt(prompt_messages(t), declarations)} for t in held_out))
        written += ["train.rendered.jsonl", "eval.prompts.jsonl"]
    notes = f", {dropped} dropped as asked in --exclude files" if args.exclude else ""
    if args.weight:
        notes += ", weights " + " ".join(f"{k}={v}" for k, v in weights.items())
    print(f"{len(train)} training and {len(held_out)} evaluation tasks (seed {args.seed}{notes}): "
          + ", ".join(str(args.out / name) for name in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
