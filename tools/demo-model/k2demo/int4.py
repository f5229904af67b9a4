"""bfloat16 rounding and K2's INT4 group quantization (compressed-tensors pack-quantized), in pure Python.

`int4_quantize` is THE quantizer: quantization-aware training (model.py's `fake_quant_int4`, its vectorized
twin in torch) and the exporter must give the same integers and scales bit for bit, so that the exported INT4
experts are exactly the weights the model was trained with. Its arithmetic is float32 throughout, as torch's:
  scale = bf16(f32(absmax / 7.5));  q = clamp(round_half_even(f32(w / scale)), -8, 7)
(a scale that rounds to 0 quantizes the whole group to 0). Computing a float32 quotient as a double and then
rounding it to float32 gives the correctly rounded float32 quotient (53 >= 2*24 + 2), so Python's doubles
reproduce torch's float32 results exactly.

Packing (K2-SPEC section 3): input column 8c+i is nibble i (bits 4i..4i+3) of int32 word c, holding q + 8.
"""
import math
import struct
import sys
from array import array

INT4_MIN, INT4_MAX = -8, 7
# absmax / 7.5 maps the group's extreme onto the half-step beyond +-7, K2's published re-quantization rule.
ABSMAX_DIVISOR = 7.5

_F32 = struct.Struct("<f")


def f32(x: float) -> float:
    """Rounds a double to the nearest float32 (half to even); raises OverflowError beyond float32's range."""
    return _F32.unpack(_F32.pack(x))[0]


def bf16_bits_of_f32_bits(bits: int) -> int:
    """Round-to-nearest-even float32 -> bfloat16 on the raw bits; NaN stays a quiet NaN."""
    if bits & 0x7F800000 == 0x7F800000 and bits & 0x007FFFFF:
        return (bits >> 16) | 0x0040
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF


def bf16_round(x: float) -> float:
    """x rounded to float32, then to the nearest bfloat16 (half to even), as a Python float."""
    bits = struct.unpack("<I", _F32.pack(x))[0]
    return struct.unpack("<f", struct.pack("<I", bf16_bits_of_f32_bits(bits) << 16))[0]


def float32_array(values, name: str) -> array:
    """values as float32 (array 'f'); refuses values that are not finite in float32, naming the tensor and index."""
    out = array("f", values)
    for i, v in enumerate(out):
        if not math.isfinite(v):
            raise ValueError(f"tensor '{name}': element {i} is {v} in float32 (not finite)")
    return out


def bf16_bits(values, name: str) -> array:
    """float values -> array('H') of bfloat16 bits (via float32, round to nearest even)."""
    words = array("I")
    words.frombytes(float32_array(values, name).tobytes())
    return array("H", [bf16_bits_of_f32_bits(b) for b in words])


def int4_quantize(group):
    """One group of float32-representable weights -> (q: list of ints in [-8, 7], scale: bfloat16-representable float)."""
    absmax = max(abs(w) for w in group)
    scale = bf16_round(f32(absmax / ABSMAX_DIVISOR))
    divisor = scale if scale != 0.0 else 1.0
    q = [min(INT4_MAX, max(INT4_MIN, round(f32(w / divisor)))) for w in group]
    return q, scale


def quantize_matrix(values, rows: int, cols: int, group_size: int, name: str):
    """Row-major [rows, cols] weights -> (q: flat list of ints, scales: flat list [rows, cols/group_size])."""
    if cols % group_size != 0:
        raise ValueError(f"tensor '{name}': {cols} input columns are not a multiple of group_size {group_size}")
    w = float32_array(values, name)
    if len(w) != rows * cols:
        raise ValueError(f"tensor '{name}': {len(w)} values for shape [{rows}, {cols}]")
    q, scales = [], []
    for start in range(0, rows * cols, group_size):
        gq, gs = int4_quantize(w[start:start + group_size])
        q += gq
        scales.append(gs)
    return q, scales


def dequantize(q, scales, group_size: int) -> list:
    """w = q * scale for each group; exact in float32 (a 4-bit integer times an 8-bit mantissa)."""
    return [v * scales[i // group_size] for i, v in enumerate(q)]


def fake_quantize_matrix(values, rows: int, cols: int, group_size: int, name: str = "weight") -> list:
    """What the model computes with during QAT: the weights after an INT4 round trip."""
    q, scales = quantize_matrix(values, rows, cols, group_size, name)
    return dequantize(q, scales, group_size)


def pack_int4(q) -> array:
    """Flat ints in [-8, 7] (row-major, a multiple of 8 long) -> array('i') of packed words (compressed-tensors order)."""
    words = array("i")
    for c in range(0, len(q), 8):
        word = 0
        for i in range(8):
            word |= ((q[c + i] + 8) & 0xF) << (4 * i)
        words.append(word - (1 << 32) if word >= 1 << 31 else word)
    return words


def unpack_int4(words) -> list:
    """Inverse of pack_int4: signed or unsigned 32-bit words -> flat ints in [-8, 7]."""
    return [((w >> (4 * i)) & 0xF) - 8 for w in words for i in range(8)]


def little_endian_bytes(a: array) -> bytes:
    """The array's bytes in little-endian order (safetensors' byte order) on any host."""
    if sys.byteorder == "big":
        a = array(a.typecode, a)
        a.byteswap()
    return a.tobytes()
