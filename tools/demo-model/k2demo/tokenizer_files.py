# K2's tokenizer files: tiktoken.model (`base64(token bytes) rank` per line) and tokenizer_config.json with
# K2's 256 special ids laid out right after the last rank (K2-SPEC section 4), in the same form as the shared
# fixture tiny-k2 and the engine's `k2 synth` (src/K2Native/Synth/SynthTokenizer.cs).
import base64
import binascii
import json
from pathlib import Path

MODEL_FILE = "tiktoken.model"
CONFIG_FILE = "tokenizer_config.json"

# K2 reserves this many special ids after the ranks.
SPECIAL_COUNT = 256

# K2's named special tokens by offset from the first special id; the other offsets are reserved.
NAMED_SPECIALS = {
    0: "[BOS]", 1: "[EOS]", 2: "<|im_end|>", 3: "<|im_user|>", 4: "<|im_assistant|>",
    6: "<|start_header_id|>", 7: "<|end_header_id|>", 9: "[EOT]", 10: "<|im_system|>",
    11: "<|tool_calls_section_begin|>", 12: "<|tool_calls_section_end|>", 13: "<|tool_call_begin|>",
    14: "<|tool_call_argument_begin|>", 15: "<|tool_call_end|>", 17: "<|im_middle|>",
    22: "<think>", 23: "</think>", 254: "[UNK]", 255: "[PAD]",
}

# Offsets whose added token K2's config marks "special": false (they are still matched in text as special ids);
# transformers then keeps them when decoding with skip_special_tokens.
NOT_SKIPPED_OFFSETS = frozenset({11, 12, 13, 14, 15, 22, 23})


def special_names(rank_count):
    """The names of K2's 256 special ids rank_count .. rank_count + 255, unnamed ones `<|reserved_token_ID|>`."""
    return [NAMED_SPECIALS.get(i, f"<|reserved_token_{rank_count + i}|>") for i in range(SPECIAL_COUNT)]


def write(directory, ranks):
    """Writes tiktoken.model for ranks (token bytes by rank) and tokenizer_config.json with K2's specials."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if len(set(ranks)) != len(ranks) or any(len(token) == 0 for token in ranks):
        raise ValueError("token bytes must be distinct and non-empty")
    with open(directory / MODEL_FILE, "w", encoding="ascii", newline="\n") as model:
        for rank, token in enumerate(ranks):
            model.write(f"{base64.b64encode(token).decode('ascii')} {rank}\n")
    decoder = {}
    for i, name in enumerate(special_names(len(ranks))):
        decoder[str(len(ranks) + i)] = {
            "content": name, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
            "special": i not in NOT_SKIPPED_OFFSETS,
        }
    config = {
        "added_tokens_decoder": decoder,
        "bos_token": "[BOS]",
        "eos_token": "[EOS]",
        "pad_token": "[PAD]",
        "unk_token": "[UNK]",
        "model_max_length": 1048576,
        "tokenizer_class": "TikTokenTokenizer",
        "auto_map": {"AutoTokenizer": ["tokenization_kimi.TikTokenTokenizer", None]},
        "clean_up_tokenization_spaces": False,
    }
    with open(directory / CONFIG_FILE, "w", encoding="utf-8", newline="\n") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")


def read_ranks(directory):
    """Token bytes by rank from tiktoken.model; ranks must run 0..n-1 with distinct bytes."""
    path = Path(directory) / MODEL_FILE
    by_rank = {}
    seen = {}
    with open(path, encoding="ascii") as model:
        for number, line in enumerate(model, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split(" ")
            if len(fields) != 2 or not fields[1].isdigit():
                raise ValueError(f"{path}: line {number}: expected `base64 rank`")
            try:
                token = base64.b64decode(fields[0], validate=True)
            except binascii.Error as e:
                raise ValueError(f"{path}: line {number}: not valid base64: {e}") from None
            rank = int(fields[1])
            if rank in by_rank or token in seen:
                raise ValueError(f"{path}: line {number}: duplicate rank or token bytes")
            by_rank[rank] = token
            seen[token] = rank
    if sorted(by_rank) != list(range(len(by_rank))):
        raise ValueError(f"{path}: ranks do not run from 0 to {len(by_rank) - 1} without gaps")
    return [by_rank[r] for r in range(len(by_rank))]


def read_special_names(directory, rank_count):
    """Special names by id from added_tokens_decoder: ids rank_count .. the highest named, gaps reserved."""
    path = Path(directory) / CONFIG_FILE
    decoder = json.loads(path.read_text(encoding="utf-8")).get("added_tokens_decoder", {})
    named = {}
    for key, entry in decoder.items():
        if not key.isdigit() or int(key) < rank_count or not isinstance(entry, dict) or "content" not in entry:
            raise ValueError(f"{path}: added_tokens_decoder.{key}: expected an id after the ranks with a 'content'")
        named[int(key)] = entry["content"]
    if not named:
        return []
    return [named.get(i, f"<|reserved_token_{i}|>") for i in range(rank_count, max(named) + 1)]
