"""Reads and writes safetensors files in pure Python: u64 little-endian header length, a JSON header
(space-padded to 8 bytes) mapping names to dtype/shape/data_offsets, then the tensors' bytes in order."""
import json
import struct

DTYPE_SIZES = {"BF16": 2, "F16": 2, "F32": 4, "I32": 4, "I64": 8, "I8": 1, "U8": 1}


def write(path: str, tensors, metadata=None) -> int:
    """tensors: list of (name, dtype, shape, data bytes) in file order. Returns the bytes of tensor data."""
    header = {"__metadata__": dict(metadata or {"format": "pt"})}
    offset = 0
    for name, dtype, shape, data in tensors:
        expected = DTYPE_SIZES[dtype]
        for d in shape:
            expected *= d
        if len(data) != expected:
            raise ValueError(f"{path}: tensor '{name}' has {len(data)} bytes, shape {list(shape)} x {dtype} needs {expected}")
        if name in header:
            raise ValueError(f"{path}: tensor '{name}' given twice")
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, data in tensors:
            f.write(data)
    return offset


def read(path: str) -> dict:
    """name -> (dtype, shape, bytes), validating the header against the file's length."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: {len(blob)} bytes, shorter than the 8-byte header length")
    (length,) = struct.unpack_from("<Q", blob, 0)
    if length > len(blob) - 8:
        raise ValueError(f"{path}: header length {length} runs past the end of the file ({len(blob)} bytes)")
    header = json.loads(blob[8:8 + length].decode("utf-8"))
    data = memoryview(blob)[8 + length:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        size = DTYPE_SIZES[entry["dtype"]]
        for d in entry["shape"]:
            size *= d
        if end - begin != size or end > len(data):
            raise ValueError(f"{path}: tensor '{name}': data_offsets [{begin}, {end}] do not fit shape {entry['shape']} "
                             f"x {entry['dtype']} within {len(data)} data bytes")
        out[name] = (entry["dtype"], list(entry["shape"]), bytes(data[begin:end]))
    return out
