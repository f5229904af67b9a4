"""Trains the demo model (K2 architecture, INT4 QAT routed experts) on rendered synthetic conversations, logs the
loss curve and held-out accuracy, and exports a K2 Thinking checkpoint. Needs PyTorch (1.13 or newer); sized for
the 2-core CPU machine (about 1.5 hours), runs unchanged on a GPU.

    python3 train.py --train data/train.jsonl --heldout data/eval.jsonl --tokenizer data/tokenizer \
        --eval-tasks data/eval.jsonl --out ../../models/k2-demo --log train.log --state data/train-state.pt
    # stopped? the same command with --resume continues from the last saved state

Every conversation starts with the same tokens (tool declarations, system prompt: about 300 of its ~430), so a
step computes that prefix once and packs the rest of each conversation into fixed-width rows whose tokens see the
prefix and their own conversation only (`K2ForCausalLM.forward_shared`): no compute on padding beyond the end of a
row, none repeated on the prefix. The state (model, optimizer, data order, step, random generators) is saved every
--save-minutes and at the end.

Inputs (k2demo/examples.py turns conversations into ids and a loss mask):
  --train/--heldout  conversations, one JSON object per line with `messages` (docs/demo-model.md);
  --tokenizer        directory with tiktoken.model and tokenizer_config.json (copied into the checkpoint);
  --eval-tasks       held-out tasks copied into the checkpoint as eval.jsonl (for `k2 eval demo`).
The loss covers only tokens the assistant produces (render_training's trained flag). After each optimizer step the
routers' correction biases move the aux-loss-free way. Seeded: the same inputs and seed give the same run, up to
the non-determinism of CUDA atomics (index_add_) that use_deterministic_algorithms(warn_only) reports.
"""
import argparse
import dataclasses
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from k2demo.checkpoint import load_checkpoint  # noqa: E402
from k2demo.config import ModelConfig  # noqa: E402
from k2demo.examples import encode_conversation, load_tokenizer, load_tools, read_jsonl  # noqa: E402
from k2demo.export import export_checkpoint  # noqa: E402
from k2demo.model import K2ForCausalLM  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclasses.dataclass
class TrainConfig:
    seed: int = 20251206
    steps: int = 1200
    rows: int = 16                 # conversations per step
    row_width: int = 512           # longest continuation after the shared prefix
    context: int = 1024
    lr: float = 2e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 40
    weight_decay: float = 0.1
    betas: tuple = (0.9, 0.95)
    grad_clip: float = 1.0
    bias_update_rate: float = 1e-3
    eval_every: int = 100
    bf16: bool = False             # CPU autocast to bfloat16 (CUDA always autocasts)
    heldout_limit: int = 256


def encode_all(conversations, tools, tokenizer, context: int, log):
    examples, skipped = [], 0
    for conversation in conversations:
        ids, train = encode_conversation(conversation, tools, tokenizer)
        if len(ids) > context:
            skipped += 1
            continue
        examples.append((ids, train))
    log(f"encoded {len(examples)} conversations, {sum(len(i) for i, _ in examples)} tokens; "
        f"skipped {skipped} longer than {context} tokens")
    return examples


def common_prefix(examples) -> list:
    """The longest run of ids every conversation starts with, less one token (so each continuation has an input)."""
    first = examples[0][0]
    n = len(first)
    for ids, _ in examples:
        k = 0
        limit = min(n, len(ids))
        while k < limit and ids[k] == first[k]:
            k += 1
        n = k
    return first[:max(0, n - 1)]


def make_batch(examples, pad_id: int, device):
    """(inputs [B, T], targets [B, T], mask [B, T]): predict token t+1 where it is an assistant-produced token.
    The padded layout, for plain forward passes (tests, perplexity); training packs (`pack_rows`)."""
    width = max(len(ids) for ids, _ in examples) - 1
    inputs = torch.full((len(examples), width), pad_id, dtype=torch.long)
    targets = torch.full((len(examples), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.bool)
    for row, (ids, train) in enumerate(examples):
        n = len(ids) - 1
        inputs[row, :n] = torch.tensor(ids[:-1])
        targets[row, :n] = torch.tensor(ids[1:])
        mask[row, :n] = torch.tensor(train[1:])
    return inputs.to(device), targets.to(device), mask.to(device)


class Packed:
    """One step's tensors: the shared prefix and R rows of continuations (see K2ForCausalLM.forward_shared).

    A conversation of n ids whose first p are the prefix contributes inputs ids[p:n-1] at positions p..n-2 and the
    targets ids[p+1:n]; a loss is taken where the target is assistant-produced. Row tokens see earlier tokens of
    their own conversation; the unused end of a row sees only the prefix and carries no loss."""

    def __init__(self, prefix, groups, width: int, pad_id: int, device):
        p, rows = len(prefix), len(groups)
        self.prefix = torch.tensor(prefix, dtype=torch.long, device=device)
        inputs = torch.full((rows, width), pad_id, dtype=torch.long)
        targets = torch.full((rows, width), pad_id, dtype=torch.long)
        positions = torch.zeros((rows, width), dtype=torch.long)
        segment = torch.full((rows, width), -1, dtype=torch.long)
        loss = torch.zeros((rows, width), dtype=torch.bool)
        self.conversations = 0
        for r, group in enumerate(groups):
            at = 0
            for ids, train in group:
                n = len(ids) - 1 - p
                inputs[r, at:at + n] = torch.tensor(ids[p:-1])
                targets[r, at:at + n] = torch.tensor(ids[p + 1:])
                positions[r, at:at + n] = torch.arange(p, p + n)
                segment[r, at:at + n] = self.conversations
                loss[r, at:at + n] = torch.tensor(train[p + 1:])
                self.conversations += 1
                at += n
        same = (segment[:, :, None] == segment[:, None, :]) & (segment[:, :, None] >= 0)
        self.mask = (same & torch.ones(width, width, dtype=torch.bool).tril()).to(device)
        self.inputs, self.targets = inputs.to(device), targets.to(device)
        self.positions, self.loss_mask, self.segment = positions.to(device), loss.to(device), segment.to(device)
        self.tokens = int((segment >= 0).sum())

    def logits(self, model):
        return model.forward_shared(self.prefix, self.inputs, self.positions, self.mask, self.loss_mask)


def pack_rows(examples, order, cursor: int, prefix_len: int, rows: int, width: int):
    """The next `rows` conversations in `order` from `cursor` on, one per row, and the new cursor. Rows are as wide
    as the longest of them (at most `width`); `length_sorted_order` makes neighbours similar in length, so padding
    costs a few percent."""
    groups = []
    while cursor < len(order) and len(groups) < rows:
        ids, train = examples[order[cursor]]
        if len(ids) - 1 - prefix_len > width:
            raise ValueError(f"a conversation of {len(ids)} tokens does not fit a row of {width} after the prefix")
        groups.append([(ids, train)])
        cursor += 1
    return groups, cursor


def batch_width(groups, prefix_len: int) -> int:
    return max(sum(len(ids) - 1 - prefix_len for ids, _ in group) for group in groups)


def length_sorted_order(examples, seed: int, epoch: int, rows: int, window: int = 64) -> list:
    """A shuffled order in which each run of `rows` conversations has similar lengths: shuffle, sort windows of
    `window` batches by length, then shuffle the batches."""
    order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed * 1000 + epoch)).tolist()
    span = rows * window
    batches = []
    for start in range(0, len(order), span):
        chunk = sorted(order[start:start + span], key=lambda i: len(examples[i][0]))
        batches += [chunk[i:i + rows] for i in range(0, len(chunk), rows)]
    shuffle = torch.randperm(len(batches), generator=torch.Generator().manual_seed(seed * 1000 + epoch + 1)).tolist()
    return [i for b in shuffle for i in batches[b]]


def learning_rate(step: int, t: TrainConfig) -> float:
    if step < t.warmup_steps:
        return t.lr * (step + 1) / t.warmup_steps
    progress = (step - t.warmup_steps) / max(1, t.steps - t.warmup_steps)
    return t.lr * (t.min_lr_ratio + (1 - t.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.no_grad()
def evaluate(model, batches):
    """Held-out loss and accuracy on assistant tokens (teacher-forced argmax), and the fraction of conversations
    whose every assistant token is the argmax (a proxy for solving the task greedily)."""
    model.eval()
    loss_sum, correct, count, exact, conversations = 0.0, 0, 0, 0, 0
    for batch in batches:
        logits = batch.logits(model)
        targets = batch.targets[batch.loss_mask]
        loss_sum += F.cross_entropy(logits, targets, reduction="sum").item()
        hit = logits.argmax(-1) == targets
        correct += int(hit.sum())
        count += targets.numel()
        segment = batch.segment[batch.loss_mask]
        wrong = torch.zeros(batch.conversations, dtype=torch.long, device=segment.device)
        wrong.index_add_(0, segment, (~hit).long())
        exact += int((wrong == 0).sum())
        conversations += batch.conversations
    model.train()
    return loss_sum / count, correct / count, exact / conversations


def autocast(device, t: TrainConfig):
    """bfloat16 matmuls: always on CUDA, on the CPU with --bf16 (oneDNN; AMX where the CPU has it)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda" or t.bf16)


def make_optimizer(model, t: TrainConfig, device):
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed_tokens" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed_tokens" not in n)]
    groups = [{"params": decay, "weight_decay": t.weight_decay}, {"params": other, "weight_decay": 0.0}]
    extra = {"fused": True} if device.type == "cuda" and "fused" in torch.optim.AdamW.__init__.__code__.co_varnames else {}
    return torch.optim.AdamW(groups, lr=t.lr, betas=t.betas, **extra)


def save_state(path, model, optimizer, step, epoch, cursor, elapsed, t):
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step, "epoch": epoch,
                "cursor": cursor, "elapsed": elapsed, "train_config": dataclasses.asdict(t),
                "torch_rng": torch.get_rng_state(), "router_load": [r.load for r in model.routers()]}, tmp)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", required=True)
    parser.add_argument("--heldout", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--eval-tasks", required=True)
    parser.add_argument("--demo-tools", default=os.path.join(HERE, "demo_tools.json"))
    parser.add_argument("--out", required=True, help="checkpoint directory to write")
    parser.add_argument("--log", default=os.path.join(HERE, "train.log"))
    parser.add_argument("--state", help="resumable training state file (default: OUT.train-state.pt)")
    parser.add_argument("--resume", action="store_true", help="continue from --state")
    parser.add_argument("--save-minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's choice)")
    parser.add_argument("--init", help="start from the weights of an exported checkpoint (e.g. models/k2-demo) "
                                       "instead of random ones; optimizer and schedule start afresh")
    parser.add_argument("--export-only", action="store_true",
                        help="export the model held in --state (e.g. of a run in progress) to --out and stop")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--stop-at", type=int, help="stop (evaluate, export) at this step; the schedule still runs to --steps")
    parser.add_argument("--rows", type=int, help="conversations per step (default %d)" % TrainConfig.rows)
    parser.add_argument("--lr", type=float, help="peak learning rate (default %g)" % TrainConfig.lr)
    parser.add_argument("--warmup-steps", type=int, help="linear warmup (default %d)" % TrainConfig.warmup_steps)
    parser.add_argument("--eval-every", type=int, help="held-out evaluation every N steps (default %d)" % TrainConfig.eval_every)
    parser.add_argument("--bf16", action="store_true",
                        help="matmuls in bfloat16 on the CPU too (autocast; CUDA always uses it): about 3.8x faster on a CPU "
                             "with AMX, weights, optimizer and loss stay float32")
    args = parser.parse_args()

    overrides = {"steps": args.steps, "seed": args.seed, "rows": args.rows, "lr": args.lr,
                 "warmup_steps": args.warmup_steps, "eval_every": args.eval_every,
                 "bf16": True if args.bf16 else None}
    t = TrainConfig(**{k: v for k, v in overrides.items() if v is not None})
    state_path = args.state or args.out.rstrip("/") + ".train-state.pt"
    resumed = torch.load(state_path) if args.resume or args.export_only else None
    if resumed is not None:
        t = TrainConfig(**{**resumed["train_config"], "betas": tuple(resumed["train_config"]["betas"])})
        if args.steps is not None and args.steps != t.steps:
            if args.steps <= resumed["step"]:
                parser.error(f"--steps {args.steps}: the saved state is already at step {resumed['step']}")
            t = dataclasses.replace(t, steps=args.steps)                            # the schedule ends there
    if args.threads:
        torch.set_num_threads(args.threads)
    tokenizer = load_tokenizer(args.tokenizer)
    with open(os.path.join(args.tokenizer, "tiktoken.model"), "rb") as f:
        ranks = sum(1 for line in f if line.strip())
    config = ModelConfig(bpe_ranks=ranks)
    pad_id = config.bpe_ranks + 255

    if args.export_only:
        model = K2ForCausalLM(config)
        model.load_state_dict(resumed["model"])
        files = export_checkpoint(model.export_tensors(), config, args.out, tokenizer_dir=args.tokenizer,
                                  demo_tools=args.demo_tools, eval_jsonl=args.eval_tasks)
        check_export(model, args.out, print)
        print(f"exported the state of step {resumed['step']} to {args.out}: {', '.join(files)}")
        return
    log_file = open(args.log, "a" if resumed else "w", encoding="utf-8")
    def log(line: str):
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    random.seed(t.seed)
    torch.manual_seed(t.seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cuda.matmul.allow_tf32 = False
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    log(f"model {json.dumps(config.to_dict())}")
    log(f"train {json.dumps(dataclasses.asdict(t))}")
    log(f"device {torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}, torch {torch.__version__}, "
        f"threads {torch.get_num_threads()}" + (f", resumed at step {resumed['step']}" if resumed else ""))

    tools = load_tools(args.demo_tools)
    train_set = encode_all(read_jsonl(args.train), tools, tokenizer, t.context, log)
    heldout = encode_all(read_jsonl(args.heldout), tools, tokenizer, t.context, log)[:t.heldout_limit]
    prefix = common_prefix(train_set + heldout)
    log(f"shared prefix {len(prefix)} tokens")
    heldout_batches, at = [], 0
    while at < len(heldout):
        groups, at = pack_rows(heldout, list(range(len(heldout))), at, len(prefix), t.rows, t.row_width)
        heldout_batches.append(Packed(prefix, groups, batch_width(groups, len(prefix)), pad_id, device))

    model = K2ForCausalLM(config).to(device)
    log(f"parameters {sum(p.numel() for p in model.parameters())}")
    optimizer = make_optimizer(model, t, device)
    step, epoch, cursor, elapsed = 0, 0, 0, 0.0
    if args.init and resumed is None:
        _, tensors = load_checkpoint(args.init)                                     # INT4 experts dequantized
        model.load_state_dict({name: torch.tensor(t.values, dtype=torch.float32).view(t.shape).to(device)
                               for name, t in tensors.items()}, strict=True)
        log(f"initialized from {args.init}")
    if resumed is not None:
        model.load_state_dict(resumed["model"])
        optimizer.load_state_dict(resumed["optimizer"])
        torch.set_rng_state(resumed["torch_rng"])
        for router, load in zip(model.routers(), resumed["router_load"]):
            router.load = load
        step, epoch, cursor, elapsed = resumed["step"], resumed["epoch"], resumed["cursor"], resumed["elapsed"]
    order = length_sorted_order(train_set, t.seed, epoch, t.rows)
    started, last_save = time.time() - elapsed, time.time()
    window_tokens, window_started = 0, time.time()
    last_step = min(t.steps, args.stop_at) if args.stop_at else t.steps
    while step < last_step:
        groups, cursor = pack_rows(train_set, order, cursor, len(prefix), t.rows, t.row_width)
        if cursor >= len(order):
            epoch, cursor = epoch + 1, 0
            order = length_sorted_order(train_set, t.seed, epoch, t.rows)
        batch = Packed(prefix, groups, batch_width(groups, len(prefix)), pad_id, device)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, t)
        with autocast(device, t):
            logits = batch.logits(model)
        loss = F.cross_entropy(logits, batch.targets[batch.loss_mask])               # assistant tokens only
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
        optimizer.step()
        model.update_router_biases(t.bias_update_rate)
        window_tokens += batch.tokens + len(prefix)
        if step % 10 == 0 or step == t.steps - 1:
            rate = window_tokens / max(1e-9, time.time() - window_started)
            log(f"step {step} lr {learning_rate(step, t):.2e} loss {loss.item():.4f} grad_norm {norm.item():.3f} "
                f"conversations {batch.conversations} epoch {epoch} tokens/s {rate:.0f} elapsed {time.time() - started:.0f}s")
            window_tokens, window_started = 0, time.time()
        step += 1
        if step % t.eval_every == 0 or step == t.steps:
            with autocast(device, t):
                h_loss, h_acc, h_exact = evaluate(model, heldout_batches)
            log(f"heldout step {step - 1} loss {h_loss:.4f} token_accuracy {h_acc:.4f} conversation_exact {h_exact:.4f}")
        if time.time() - last_save >= args.save_minutes * 60 or step == last_step:
            save_state(state_path, model, optimizer, step, epoch, cursor, time.time() - started, t)
            last_save = time.time()
            log(f"saved state at step {step} to {state_path}")

    h_loss, h_acc, h_exact = evaluate(model, heldout_batches)
    log(f"final heldout loss {h_loss:.4f} token_accuracy {h_acc:.4f} conversation_exact {h_exact:.4f} "
        f"({len(heldout)} conversations, {time.time() - started:.0f}s)")
    files = export_checkpoint(model.export_tensors(), config, args.out, tokenizer_dir=args.tokenizer,
                              demo_tools=args.demo_tools, eval_jsonl=args.eval_tasks)
    check_export(model, args.out, log)
    log(f"exported {args.out}: {', '.join(files)}")


def check_export(model, directory: str, log):
    """The exported INT4 experts must be exactly the weights the forward pass fake-quantized to."""
    _, written = load_checkpoint(directory)
    for name, expected in model.fake_quantized_expert_weights().items():
        got = torch.tensor(written[name].values, dtype=torch.float32).view(expected.shape)
        if not torch.equal(got, expected):
            raise RuntimeError(f"export: {name} differs from the training fake-quantization "
                               f"(max |diff| {(got - expected).abs().max().item():.3e})")
    log("export check: every routed expert's INT4 weights equal the training fake-quantization bit for bit")


if __name__ == "__main__":
    main()
