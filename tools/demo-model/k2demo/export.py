"""Writes a model's weights as a Kimi K2 Thinking checkpoint (K2-SPEC section 3), in pure Python.

    export_checkpoint(tensors, ModelConfig(...), "out/dir", tokenizer_dir=..., demo_tools=..., eval_jsonl=...)

`tensors` maps every name of `ModelConfig.parameter_shapes()` to a torch tensor or a `Tensor` below; routed
experts come as float `.weight` matrices and are written as compressed-tensors pack-quantized INT4
(`weight_packed` int32 [out, in/8], `weight_scale` bf16 [out, in/32], `weight_shape` int32 [2], as compressed-tensors writes them) by
`int4.int4_quantize`, the quantizer that training fake-quantizes with. The router's correction bias is float32;
everything else is bf16 (round to nearest even from float32). One `model.safetensors`, or shards of at most
`max_shard_bytes` with `model.safetensors.index.json`. torch is never imported here.
"""
import json
import os
import shutil
from array import array

from . import safetensors_file
from .config import ModelConfig
from .int4 import bf16_bits, float32_array, little_endian_bytes, pack_int4, quantize_matrix

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
DEFAULT_MAX_SHARD_BYTES = 4 << 30
TOKENIZER_FILES = ("tiktoken.model", "tokenizer_config.json")
OPTIONAL_TOKENIZER_FILES = ("special_tokens_map.json", "chat_template.jinja", "generation_config.json")


class Tensor:
    """A dense float tensor in pure Python: a shape and its row-major values."""
    __slots__ = ("shape", "values")

    def __init__(self, shape, values):
        self.shape = tuple(int(d) for d in shape)
        count = 1
        for d in self.shape:
            count *= d
        if len(values) != count:
            raise ValueError(f"Tensor: {len(values)} values for shape {list(self.shape)} ({count} expected)")
        self.values = values


def tensor_values(t) -> list:
    """The row-major float values of a `Tensor` or of a torch tensor (detached, as float32, on the CPU)."""
    if isinstance(t, Tensor):
        return t.values
    if hasattr(t, "detach"):
        return t.detach().float().cpu().flatten().tolist()
    raise TypeError(f"expected a torch tensor or k2demo.export.Tensor, got {type(t).__name__}")


def _stored_tensors(name: str, shape, config: ModelConfig):
    """The checkpoint tensors one model tensor becomes: [(stored name, dtype, shape)]."""
    if ModelConfig.is_routed_expert(name):
        rows, cols = shape
        module = name[: -len(".weight")]
        g = config.group_size
        return [(module + ".weight_packed", "I32", [rows, cols // 8]),
                (module + ".weight_scale", "BF16", [rows, cols // g]),
                (module + ".weight_shape", "I32", [2])]
    if name.endswith(".e_score_correction_bias"):
        return [(name, "F32", list(shape))]
    return [(name, "BF16", list(shape))]


def _convert(name: str, shape, values, config: ModelConfig) -> list:
    """(stored name, dtype, shape, bytes) for one model tensor."""
    planned = _stored_tensors(name, shape, config)
    if len(planned) == 3:
        rows, cols = shape
        q, scales = quantize_matrix(values, rows, cols, config.group_size, name)
        blobs = [little_endian_bytes(pack_int4(q)),
                 little_endian_bytes(bf16_bits(scales, name)),
                 little_endian_bytes(array("i", [rows, cols]))]
    elif planned[0][1] == "F32":
        blobs = [little_endian_bytes(float32_array(values, name))]
    else:
        blobs = [little_endian_bytes(bf16_bits(values, name))]
    return [(n, dtype, s, blob) for (n, dtype, s), blob in zip(planned, blobs)]


def _check_names(tensors, expected: dict):
    problems = []
    for name, shape in expected.items():
        if name not in tensors:
            problems.append(f"missing tensor '{name}' (shape {shape})")
        elif list(tensors[name].shape) != shape:
            problems.append(f"tensor '{name}': shape {list(tensors[name].shape)}, config implies {shape}")
    problems += [f"tensor '{n}' is not part of the model the config describes" for n in tensors if n not in expected]
    if problems:
        raise ValueError(f"export: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems))


def _nbytes(dtype: str, shape) -> int:
    n = safetensors_file.DTYPE_SIZES[dtype]
    for d in shape:
        n *= d
    return n


def _plan_shards(names, expected: dict, config: ModelConfig, max_shard_bytes: int) -> list:
    """Model tensor names grouped into shards; a tensor's stored parts (an INT4 triple) stay together."""
    shards, used = [], 0
    for name in names:
        size = sum(_nbytes(dtype, shape) for _, dtype, shape in _stored_tensors(name, expected[name], config))
        if not shards or (used > 0 and used + size > max_shard_bytes):
            shards.append([])
            used = 0
        shards[-1].append(name)
        used += size
    return shards


def _copy_tokenizer(tokenizer_dir: str, out_dir: str, config: ModelConfig):
    for file in TOKENIZER_FILES:
        source = os.path.join(tokenizer_dir, file)
        if not os.path.isfile(source):
            raise FileNotFoundError(f"export: tokenizer file {source} not found")
    with open(os.path.join(tokenizer_dir, "tiktoken.model"), "rb") as f:
        ranks = sum(1 for line in f if line.strip())
    if ranks != config.bpe_ranks:
        raise ValueError(f"export: {tokenizer_dir}/tiktoken.model has {ranks} ranks, ModelConfig.bpe_ranks is {config.bpe_ranks}")
    for file in TOKENIZER_FILES + OPTIONAL_TOKENIZER_FILES:
        source = os.path.join(tokenizer_dir, file)
        if os.path.isfile(source):
            shutil.copyfile(source, os.path.join(out_dir, file))


def export_checkpoint(tensors, config: ModelConfig, out_dir: str, *, tokenizer_dir=None, demo_tools=None,
                      eval_jsonl=None, max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES) -> list:
    """Writes the checkpoint into out_dir (created; stale safetensors removed). Returns the files written, sorted."""
    if max_shard_bytes < 1:
        raise ValueError("export: max_shard_bytes must be positive")
    expected = config.parameter_shapes()
    _check_names(tensors, expected)
    os.makedirs(out_dir, exist_ok=True)
    for stale in os.listdir(out_dir):
        if stale.endswith(".safetensors") or stale == INDEX_FILE:
            os.remove(os.path.join(out_dir, stale))

    shards = _plan_shards(list(expected), expected, config, max_shard_bytes)
    written, weight_map, total = [], {}, 0
    for i, shard in enumerate(shards):
        file = SINGLE_FILE if len(shards) == 1 else f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        stored = []
        for name in shard:
            stored += _convert(name, expected[name], tensor_values(tensors[name]), config)
        total += safetensors_file.write(os.path.join(out_dir, file), stored)
        weight_map.update((n, file) for n, _, _, _ in stored)
        written.append(file)
    if len(shards) > 1:
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        _write_json(os.path.join(out_dir, INDEX_FILE), index)
        written.append(INDEX_FILE)

    _write_json(os.path.join(out_dir, "config.json"), config.hf_config())
    written.append("config.json")
    if tokenizer_dir is not None:
        _copy_tokenizer(tokenizer_dir, out_dir, config)
        written += [f for f in TOKENIZER_FILES + OPTIONAL_TOKENIZER_FILES if os.path.isfile(os.path.join(tokenizer_dir, f))]
    if demo_tools is not None:
        with open(demo_tools, encoding="utf-8") as f:
            json.load(f)
        shutil.copyfile(demo_tools, os.path.join(out_dir, "demo_tools.json"))
        written.append("demo_tools.json")
    if eval_jsonl is not None:
        shutil.copyfile(eval_jsonl, os.path.join(out_dir, "eval.jsonl"))
        written.append("eval.jsonl")
    return sorted(written)


def _write_json(path: str, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
