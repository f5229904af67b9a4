"""Pure-Python checks of the formulas the PyTorch model (k2demo/model.py) takes from k2demo: YaRN frequencies and
softmax scale against the engine's numbers (src/K2Native/Model/Yarn.cs, tests OpsTests.YarnMatchesK2ThinkingNumbers),
and why the fake quantizer's twin divides in float64 (the division CUDA performs for a tensor / Python scalar is a
multiplication by the float32 reciprocal, which moves some bf16 scales).
Run: cd tools/demo-model && python3 -m unittest discover -s tests -v
"""
import math
import os
import random
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from k2demo.config import ModelConfig  # noqa: E402
from k2demo.int4 import ABSMAX_DIVISOR, bf16_round, f32, int4_quantize  # noqa: E402

K2_THINKING_ATTENTION = dict(num_attention_heads=64, q_lora_rank=1536, kv_lora_rank=512, qk_nope_head_dim=128,
                             qk_rope_head_dim=64, v_head_dim=128)


def from_bits(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


class RopeTests(unittest.TestCase):
    def test_k2_thinking_numbers(self):
        config = ModelConfig(**K2_THINKING_ATTENTION)
        inv = config.rope_inverse_frequencies()
        self.assertEqual(len(inv), 32)
        for i, got in enumerate(inv):
            base = 1 / 50000 ** (2 * i / 64)
            self.assertAlmostEqual(got, base if i <= 19 else base / 64, delta=base * 1e-12)
        self.assertAlmostEqual(config.softmax_scale(), 0.14467963, delta=1e-7)

    def test_demo_numbers(self):
        # corr(1) = 16 ln(4096 / 2pi) / (2 ln 50000) = 4.79: pairs 0..4 keep their frequency, 5..7 are divided by 64.
        config = ModelConfig()
        inv = config.rope_inverse_frequencies()
        self.assertEqual(len(inv), 8)
        for i, got in enumerate(inv):
            base = 1 / 50000 ** (2 * i / 16)
            self.assertAlmostEqual(got, base if i <= 4 else base / 64, delta=base * 1e-12)
        m = 0.1 * math.log(64) + 1
        self.assertAlmostEqual(config.softmax_scale(), 48 ** -0.5 * m * m, delta=1e-12)

    def test_ramp_between_low_and_high(self):
        # factor 8 over 128 positions, d 16 (the shared tiny-k2 fixture): corr(1) = 2.23, so low 2, high 3; with
        # original positions 4096 and d 64, corr(1) = 19.16 (K2 Thinking). A wider range needs beta_fast > 1, which
        # K2 does not use; the ramp is then a plain step, checked at both ends.
        config = ModelConfig(yarn_factor=8.0, yarn_original_max_position_embeddings=128, max_position_embeddings=1024)
        inv = config.rope_inverse_frequencies()
        self.assertAlmostEqual(inv[2], 1 / 50000 ** (4 / 16), delta=1e-15)
        self.assertAlmostEqual(inv[3], 1 / 50000 ** (6 / 16) / 8, delta=1e-15)

    def test_no_scaling_when_factor_is_one(self):
        config = ModelConfig(yarn_factor=1.0)
        self.assertEqual(config.rope_inverse_frequencies(), [1 / 50000 ** (2 * i / 16) for i in range(8)])
        self.assertEqual(config.softmax_scale(), 48 ** -0.5)

    def test_from_hf_config_refuses_other_yarn_betas(self):
        hf = ModelConfig().hf_config()
        self.assertEqual(ModelConfig.from_hf_config(hf), ModelConfig())
        hf["rope_scaling"]["beta_fast"] = 32.0
        with self.assertRaisesRegex(ValueError, "beta_fast"):
            ModelConfig.from_hf_config(hf)


class QuantizerDivisionTests(unittest.TestCase):
    RECIPROCAL = f32(1 / ABSMAX_DIVISOR)

    def test_reciprocal_division_moves_a_scale(self):
        # absmax / 7.5 as CUDA computes it for a Python scalar (absmax * f32(1/7.5)) lands on the other side of a bf16
        # rounding boundary for this group; int4_quantize (and the float64 twin) keep the correctly rounded quotient.
        absmax = from_bits(0x40F2CFFF)
        _, scale = int4_quantize([absmax] + [0.0] * 31)
        self.assertEqual(scale, 1.0078125)
        self.assertEqual(bf16_round(f32(absmax * self.RECIPROCAL)), 1.015625)
        self.assertEqual(bf16_round(f32(absmax * (1 / ABSMAX_DIVISOR))), scale)   # float64 reciprocal: still right

    def test_float64_quotient_rounds_like_float32_division(self):
        # The twin forms absmax / 7.5 in float64 (possibly as absmax * (1/7.5) in float64) and rounds to float32:
        # always the correctly rounded float32 quotient, subnormals included.
        rng = random.Random(11)
        samples = [from_bits(rng.getrandbits(31)) for _ in range(200000)]
        samples += [from_bits(b) for b in range(1, 5000)] + [from_bits(0x40F2CFFF), from_bits(0x7F7FFFFF)]
        for a in samples:
            if not math.isfinite(a):
                continue
            exact = f32(a / ABSMAX_DIVISOR)
            self.assertEqual(f32(a * (1 / ABSMAX_DIVISOR)), exact, a)


if __name__ == "__main__":
    unittest.main()
