"""Trains the demo model (K2 architecture, INT4 QAT routed experts) on rendered synthetic conversations, logs the
loss curve and held-out accuracy, and exports a K2 Thinking checkpoint. Needs PyTorch; meant for one H100.

    python3 train.py --train data/train.jsonl --heldout data/eval.jsonl --tokenizer data/tokenizer \
        --eval-tasks data/eval.jsonl --out ../../models/k2-demo --log train.log

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
    seed: int = 20251123
    steps: int = 3000
    batch_size: int = 32
    context: int = 1024
    lr: float = 2e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 100
    weight_decay: float = 0.1
    betas: tuple = (0.9, 0.95)
    grad_clip: float = 1.0
    bias_update_rate: float = 1e-3
    eval_every: int = 250
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


def make_batch(examples, pad_id: int, device):
    """(inputs [B, T], targets [B, T], mask [B, T]): predict token t+1 where it is an assistant-produced token."""
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


def learning_rate(step: int, t: TrainConfig) -> float:
    if step < t.warmup_steps:
        return t.lr * (step + 1) / t.warmup_steps
    progress = (step - t.warmup_steps) / max(1, t.steps - t.warmup_steps)
    return t.lr * (t.min_lr_ratio + (1 - t.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.no_grad()
def evaluate(model, examples, pad_id: int, device, batch_size: int):
    """Held-out loss and accuracy on assistant tokens (teacher-forced argmax), and the fraction of conversations
    whose every assistant token is the argmax (a proxy for solving the task greedily)."""
    model.eval()
    loss_sum, correct, count, exact = 0.0, 0, 0, 0
    for start in range(0, len(examples), batch_size):
        inputs, targets, mask = make_batch(examples[start:start + batch_size], pad_id, device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = model(inputs)
        nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
        hit = (logits.argmax(-1) == targets) | ~mask
        loss_sum += nll[mask].sum().item()
        correct += (hit & mask).sum().item()
        count += mask.sum().item()
        exact += hit.all(dim=1).sum().item()
    model.train()
    return loss_sum / count, correct / count, exact / len(examples)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", required=True)
    parser.add_argument("--heldout", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--eval-tasks", required=True)
    parser.add_argument("--demo-tools", default=os.path.join(HERE, "demo_tools.json"))
    parser.add_argument("--out", required=True, help="checkpoint directory to write")
    parser.add_argument("--log", default=os.path.join(HERE, "train.log"))
    parser.add_argument("--steps", type=int)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()

    t = TrainConfig(**{k: v for k, v in (("steps", args.steps), ("seed", args.seed)) if v is not None})
    tokenizer = load_tokenizer(args.tokenizer)
    with open(os.path.join(args.tokenizer, "tiktoken.model"), "rb") as f:
        ranks = sum(1 for line in f if line.strip())
    config = ModelConfig(bpe_ranks=ranks)
    pad_id = config.bpe_ranks + 255

    log_file = open(args.log, "w", encoding="utf-8")
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
    log(f"device {torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}, torch {torch.__version__}")

    tools = load_tools(args.demo_tools)
    train_set = encode_all(read_jsonl(args.train), tools, tokenizer, t.context, log)
    heldout = encode_all(read_jsonl(args.heldout), tools, tokenizer, t.context, log)[:t.heldout_limit]

    model = K2ForCausalLM(config).to(device)
    log(f"parameters {sum(p.numel() for p in model.parameters())}")
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed_tokens" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed_tokens" not in n)]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": t.weight_decay}, {"params": other, "weight_decay": 0.0}],
                                  lr=t.lr, betas=t.betas, fused=device.type == "cuda")
    order = torch.Generator().manual_seed(t.seed)
    started = time.time()
    for step in range(t.steps):
        picks = torch.randint(len(train_set), (t.batch_size,), generator=order).tolist()
        inputs, targets, mask = make_batch([train_set[i] for i in picks], pad_id, device)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, t)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = model(inputs)
        loss = F.cross_entropy(logits[mask], targets[mask])                      # assistant tokens only
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
        optimizer.step()
        model.update_router_biases(t.bias_update_rate)
        if step % 50 == 0 or step == t.steps - 1:
            log(f"step {step} lr {learning_rate(step, t):.2e} loss {loss.item():.4f} grad_norm {norm.item():.3f} "
                f"elapsed {time.time() - started:.0f}s")
        if (step + 1) % t.eval_every == 0 or step == t.steps - 1:
            h_loss, h_acc, h_exact = evaluate(model, heldout, pad_id, device, t.batch_size)
            log(f"heldout step {step} loss {h_loss:.4f} token_accuracy {h_acc:.4f} conversation_exact {h_exact:.4f}")

    h_loss, h_acc, h_exact = evaluate(model, heldout, pad_id, device, t.batch_size)
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
