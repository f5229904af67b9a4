"""Reads a K2-format checkpoint back into float tensors named as the model names them (pure Python).

    config, tensors = load_checkpoint("dir")   # tensors: name -> export.Tensor, INT4 experts dequantized

bf16 and float32 tensors widen exactly; `weight_packed`/`weight_scale`/`weight_shape` triples become the
module's `.weight` as q * scale (float32-exact). Used by perplexity.py (so PyTorch evaluates the very bytes
the engine reads) and by the exporter's tests.
"""
import json
import os
from array import array

from . import safetensors_file
from .export import INDEX_FILE, SINGLE_FILE, Tensor
from .int4 import dequantize, unpack_int4


def _floats(dtype: str, data: bytes, name: str) -> list:
    if dtype == "F32":
        out = array("f")
        out.frombytes(data)
    elif dtype == "BF16":
        halves = array("H")
        halves.frombytes(data)
        out = array("f")
        out.frombytes(array("I", [h << 16 for h in halves]).tobytes())
    else:
        raise ValueError(f"tensor '{name}': dtype {dtype} is not a float type")
    return out.tolist()


def _ints(dtype: str, data: bytes, name: str) -> list:
    codes = {"I32": "i", "I64": "q"}
    if dtype not in codes:
        raise ValueError(f"tensor '{name}': dtype {dtype}, expected I32 or I64")
    out = array(codes[dtype])
    out.frombytes(data)
    return out.tolist()


def read_raw(directory: str) -> dict:
    """Stored name -> (dtype, shape, bytes) over the single file or every shard of the index."""
    index = os.path.join(directory, INDEX_FILE)
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = [SINGLE_FILE]
    raw = {}
    for file in files:
        raw.update(safetensors_file.read(os.path.join(directory, file)))
    return raw


def load_checkpoint(directory: str):
    """(config.json as a dict, model tensor name -> Tensor of floats)."""
    with open(os.path.join(directory, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    group = config["quantization_config"]["config_groups"]["group_0"]["weights"]["group_size"]
    raw = read_raw(directory)
    tensors = {}
    for name, (dtype, shape, data) in raw.items():
        if name.endswith((".weight_scale", ".weight_shape")):
            continue
        if name.endswith(".weight_packed"):
            module = name[: -len(".weight_packed")]
            shape_dtype, _, shape_data = raw[module + ".weight_shape"]
            rows, cols = _ints(shape_dtype, shape_data, module + ".weight_shape")
            scale_dtype, _, scale_data = raw[module + ".weight_scale"]
            q = unpack_int4(_ints(dtype, data, name))
            tensors[module + ".weight"] = Tensor([rows, cols], dequantize(q, _floats(scale_dtype, scale_data, module), group))
        else:
            tensors[name] = Tensor(shape, _floats(dtype, data, name))
    return config, tensors
