"""Writes held-out evaluation tasks from a seed that training never used (docs/demo-model.md):

    python3 make_heldout.py --seed 20261206 --count 500 --exclude data/train.jsonl --out heldout.jsonl

Tasks are drawn from the evaluation stream of --seed (`generate_tasks(count, seed, "eval", ...)`: tool questions
only, each asked once); any task whose question (compared by `question_keys`) appears in an --exclude file is drawn
again, so no held-out question was seen in training. Every task is replayed through the tools before it is written.
The same arguments always give the same bytes.
"""
import argparse
import json
import sys
from pathlib import Path

from k2demo.tasks import EVAL_WEIGHTS, check_task, generate_tasks, read_question_keys
from k2demo.tools import DEMO_TOOLS_PATH, DemoTools, load_demo_tools
from make_data import write_jsonl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate held-out evaluation tasks from an unused seed.")
    parser.add_argument("--seed", type=int, required=True, help="seed of the evaluation stream (one training never used)")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--exclude", type=Path, nargs="*", default=[], help="task files whose questions must not recur")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tools", type=Path, default=DEMO_TOOLS_PATH, help="demo_tools.json to use")
    args = parser.parse_args(argv)
    if args.count <= 0:
        parser.error("--count must be positive")
    tools = DemoTools(load_demo_tools(args.tools))
    tasks = generate_tasks(args.count, args.seed, "eval", tools, EVAL_WEIGHTS, unique=True,
                           exclude_questions=read_question_keys(args.exclude))
    for task in tasks:
        problems = check_task(task, tools)
        if problems:
            raise SystemExit(f"task {task['id']}: {'; '.join(problems)}")
    write_jsonl(args.out, tasks)
    print(f"{len(tasks)} held-out tasks (seed {args.seed}, {len(args.exclude)} exclusion files): {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
