"""Perplexity of an exported K2-format checkpoint on held-out conversations, computed by the PyTorch model from the
checkpoint's own bytes (bf16 weights widened, INT4 experts dequantized, no re-quantization), in float32 on the CPU
or GPU without TF32, for comparison with the C# engine on the same token ids.

    python3 perplexity.py --model ../../models/k2-demo --conversations data/eval.jsonl --limit 64 \
        [--assistant-only] [--dump-ids ids.txt]

Perplexity = exp(mean negative log-likelihood of every token after the first of each rendered conversation), or of
the assistant-produced tokens only with --assistant-only. --dump-ids writes each conversation's ids, one line of
space-separated ids per conversation, so the engine can score exactly the same tokens
(`k2 perplexity --model DIR --ids FILE`). Prints one JSON object.
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from k2demo.checkpoint import load_checkpoint  # noqa: E402
from k2demo.config import ModelConfig  # noqa: E402
from k2demo.examples import encode_conversation, load_tokenizer, load_tools, read_jsonl  # noqa: E402
from k2demo.model import K2ForCausalLM  # noqa: E402


def load_model(directory: str, device) -> K2ForCausalLM:
    config_json, tensors = load_checkpoint(directory)
    model = K2ForCausalLM(ModelConfig.from_hf_config(config_json))
    state = {name: torch.tensor(t.values, dtype=torch.float32).view(t.shape) for name, t in tensors.items()}
    model.load_state_dict(state, strict=True)
    model.set_fake_quant(False)
    return model.to(device).eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--conversations", required=True)
    parser.add_argument("--limit", type=int, default=64)
    parser.add_argument("--assistant-only", action="store_true")
    parser.add_argument("--dump-ids")
    args = parser.parse_args()

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = load_model(args.model, device)
    tokenizer = load_tokenizer(args.model)
    tools = load_tools(os.path.join(args.model, "demo_tools.json"))
    conversations = read_jsonl(args.conversations)[:args.limit]

    nll_sum, count, lines = 0.0, 0, []
    for conversation in conversations:
        ids, train = encode_conversation(conversation, tools, tokenizer)
        lines.append(" ".join(map(str, ids)))
        logits = model.logits(ids)                                                   # [T, vocab] float32
        nll = F.cross_entropy(logits[:-1], torch.tensor(ids[1:], device=device), reduction="none")
        keep = torch.tensor(train[1:], device=device) if args.assistant_only else torch.ones_like(nll, dtype=torch.bool)
        nll_sum += nll[keep].double().sum().item()
        count += int(keep.sum().item())
    if args.dump_ids:
        with open(args.dump_ids, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    print(json.dumps({"model": args.model, "conversations": len(conversations), "tokens": count,
                      "assistant_only": args.assistant_only, "mean_nll": nll_sum / count,
                      "perplexity": math.exp(nll_sum / count)}))


if __name__ == "__main__":
    main()
