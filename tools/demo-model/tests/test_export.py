"""Tests of the pure-Python exporter: INT4 quantization and packing, bf16 rounding, the checkpoint's files, and
that the repository's engine (`k2 info`, `k2 logits`) accepts what it writes.

Run: cd tools/demo-model && python3 -m unittest discover -s tests -v
The engine tests use K2_BIN if set, else src/K2Bench/bin/Release/net10.0/k2 (build it first with
`dotnet build src/K2Bench -c Release`), else `dotnet run`; they skip with a message when none is available.
"""
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
from array import array

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from k2demo import safetensors_file  # noqa: E402
from k2demo.checkpoint import load_checkpoint, read_raw  # noqa: E402
from k2demo.config import ModelConfig  # noqa: E402
from k2demo.export import INDEX_FILE, Tensor, export_checkpoint  # noqa: E402
from k2demo.int4 import (bf16_bits, bf16_round, f32, fake_quantize_matrix, int4_quantize,  # noqa: E402
                         pack_int4, unpack_int4)

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))

TINY = ModelConfig(bpe_ranks=256, hidden_size=64, num_hidden_layers=3, first_k_dense_replace=1, intermediate_size=96,
                   moe_intermediate_size=32, n_routed_experts=8, num_experts_per_tok=2, n_shared_experts=1, n_group=2,
                   topk_group=1, num_attention_heads=2, q_lora_rank=32, kv_lora_rank=32, qk_nope_head_dim=16,
                   qk_rope_head_dim=8, v_head_dim=16, max_position_embeddings=256)


def bits32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def random_model(config: ModelConfig, seed: int) -> dict:
    """Random float32 weights for every tensor of the config: norms near 1, matrices ~ 1/sqrt(fan_in)."""
    rng = random.Random(seed)
    tensors = {}
    for name, shape in config.parameter_shapes().items():
        count = math.prod(shape)
        if len(shape) == 1 and name.endswith("norm.weight"):
            values = [1.0 + rng.uniform(-0.1, 0.1) for _ in range(count)]
        elif len(shape) == 1:
            values = [rng.uniform(-0.05, 0.05) for _ in range(count)]
        else:
            std = 1.0 if name == "model.embed_tokens.weight" else 1.0 / math.sqrt(shape[1])
            values = [rng.uniform(-std, std) * math.sqrt(3) for _ in range(count)]
        tensors[name] = Tensor(shape, array("f", values).tolist())
    return tensors


class FakeTorchTensor:
    """Duck-types the torch calls the exporter makes (detach/float/cpu/flatten/tolist)."""

    def __init__(self, tensor: Tensor):
        self.shape, self._values = tensor.shape, tensor.values

    def detach(self):
        return self

    def float(self):
        return self

    def cpu(self):
        return self

    def flatten(self):
        return self

    def tolist(self):
        return list(self._values)


class Int4Tests(unittest.TestCase):
    def test_zero_group_quantizes_to_zero_with_zero_scale(self):
        q, scale = int4_quantize([0.0] * 32)
        self.assertEqual(q, [0] * 32)
        self.assertEqual(scale, 0.0)

    def test_extremes_map_to_minus_8_and_7(self):
        group = [0.0] * 32
        group[3], group[9] = -3.0, 3.0
        q, scale = int4_quantize(group)
        self.assertEqual(scale, 0.400390625)  # 3/7.5 = 0.4; the nearest bfloat16 is 0.400390625
        self.assertEqual(q[3], -7)            # -3/0.40039 = -7.49 -> -7
        self.assertEqual(q[9], 7)
        q, scale = int4_quantize([-7.5] + [7.5] + [0.0] * 30)
        self.assertEqual(scale, 1.0)
        self.assertEqual((q[0], q[1]), (-8, 7))  # -7.5 rounds half to even (-8); +7.5 -> 8 clamps to 7

    def test_scale_is_bf16_and_codes_in_range(self):
        rng = random.Random(1)
        for trial in range(200):
            magnitude = 10.0 ** rng.uniform(-30, 30)
            group = [f32(rng.gauss(0, magnitude)) for _ in range(32)]
            q, scale = int4_quantize(group)
            self.assertEqual(bf16_round(scale), scale, f"trial {trial}")
            self.assertTrue(all(-8 <= v <= 7 for v in q), f"trial {trial}: {q}")
            # Half a step, plus what the clamp at +7 costs when the bf16 scale rounded below absmax / 7.5.
            self.assertLessEqual(max(abs(w - v * scale) for w, v in zip(group, q)), scale * (0.5 + 7.5 / 256),
                                 f"trial {trial}: error beyond half a step")

    def test_rounding_is_half_to_even(self):
        q, scale = int4_quantize([7.5, 2.5, 1.5, -0.5, 0.5, -2.5] + [0.0] * 26)
        self.assertEqual(scale, 1.0)
        self.assertEqual(q[:6], [7, 2, 2, 0, 0, -2])

    def test_pack_nibble_order_and_round_trip(self):
        self.assertEqual(list(pack_int4(list(range(-8, 0)))), [0x76543210])
        self.assertEqual(list(pack_int4([7] * 8)), [-1])  # 0xFFFFFFFF as a signed word
        rng = random.Random(2)
        q = [rng.randint(-8, 7) for _ in range(8 * 50)]
        words = pack_int4(q)
        self.assertTrue(any(w < 0 for w in words))
        self.assertEqual(unpack_int4(words), q)
        self.assertEqual(unpack_int4([w & 0xFFFFFFFF for w in words]), q)

    def test_bf16_round_to_nearest_even(self):
        def from_bits(b):
            return struct.unpack("<f", struct.pack("<I", b))[0]
        cases = {0x3F800000: 0x3F80, 0x3F808000: 0x3F80, 0x3F818000: 0x3F82, 0x3F808001: 0x3F81,
                 0xBF818000: 0xBF82, 0x7F7FFFFF: 0x7F80, 0x00008000: 0x0000, 0x00018000: 0x0002}
        for f32_bits, expected in cases.items():
            self.assertEqual(bf16_bits([from_bits(f32_bits)], "t")[0], expected, hex(f32_bits))

    def test_non_finite_weights_are_refused_with_their_place(self):
        with self.assertRaisesRegex(ValueError, r"tensor 'w': element 2 is nan"):
            bf16_bits([1.0, 2.0, float("nan")], "w")
        with self.assertRaisesRegex(ValueError, r"tensor 'w': element 0 is inf"):
            fake_quantize_matrix([1e39] + [0.0] * 31, 1, 32, 32, "w")


class ExportTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tensors = random_model(TINY, seed=7)
        cls.root = tempfile.mkdtemp(prefix="k2demo-export-")
        cls.single = os.path.join(cls.root, "single")
        cls.sharded = os.path.join(cls.root, "sharded")
        tokenizer = os.path.join(cls.root, "tokenizer")
        os.makedirs(tokenizer)
        with open(os.path.join(tokenizer, "tiktoken.model"), "w") as f:
            f.writelines(f"{__import__('base64').b64encode(bytes([b])).decode()} {b}\n" for b in range(256))
        with open(os.path.join(tokenizer, "tokenizer_config.json"), "w") as f:
            json.dump({"added_tokens_decoder": {}}, f)
        cls.tokenizer = tokenizer
        cls.demo_tools = os.path.join(REPO, "tools", "demo-model", "demo_tools.json")
        cls.eval_jsonl = os.path.join(cls.root, "eval.jsonl")
        with open(cls.eval_jsonl, "w") as f:
            f.write('{"id": "eval-00000", "messages": []}\n')
        cls.single_files = export_checkpoint(cls.tensors, TINY, cls.single, tokenizer_dir=tokenizer,
                                             demo_tools=cls.demo_tools, eval_jsonl=cls.eval_jsonl)
        torch_like = {n: FakeTorchTensor(t) for n, t in cls.tensors.items()}
        cls.sharded_files = export_checkpoint(torch_like, TINY, cls.sharded, max_shard_bytes=40_000)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root)

    def test_files(self):
        self.assertEqual(self.single_files, ["config.json", "demo_tools.json", "eval.jsonl", "model.safetensors",
                                             "tiktoken.model", "tokenizer_config.json"])
        shards = [f for f in self.sharded_files if f.endswith(".safetensors")]
        self.assertGreater(len(shards), 2)
        self.assertEqual(shards[0], f"model-00001-of-{len(shards):05d}.safetensors")
        with open(os.path.join(self.sharded, INDEX_FILE)) as f:
            index = json.load(f)
        raw = read_raw(self.sharded)
        self.assertEqual(set(index["weight_map"]), set(raw))
        self.assertEqual(index["metadata"]["total_size"], sum(len(d) for _, _, d in raw.values()))
        for shard in shards:
            held = safetensors_file.read(os.path.join(self.sharded, shard))
            data = sum(len(d) for _, _, d in held.values())
            self.assertTrue(data <= 40_000 or len(held) == 1, f"{shard}: {len(held)} tensors, {data} bytes")

    def test_config_json(self):
        with open(os.path.join(self.single, "config.json")) as f:
            config = json.load(f)
        self.assertEqual(config["model_type"], "kimi_k2")
        self.assertEqual(config["vocab_size"], 512)
        self.assertEqual((config["bos_token_id"], config["eos_token_id"]), (256, 258))
        self.assertEqual(config["rope_scaling"]["type"], "yarn")
        q = config["quantization_config"]
        self.assertEqual((q["quant_method"], q["format"]), ("compressed-tensors", "pack-quantized"))
        self.assertEqual(q["config_groups"]["group_0"]["weights"]["group_size"], 32)
        self.assertIn("lm_head", q["ignore"])
        self.assertIn("model.layers.0.mlp.down_proj", q["ignore"])
        self.assertIn("model.layers.2.mlp.shared_experts.up_proj", q["ignore"])
        self.assertIn("model.layers.1.self_attn.q_b_proj", q["ignore"])
        self.assertFalse(any(".experts." in name for name in q["ignore"]))

    def test_stored_dtypes_and_shapes(self):
        raw = read_raw(self.single)
        self.assertEqual(raw["model.layers.1.mlp.experts.3.down_proj.weight_packed"][:2], ("I32", [64, 4]))
        self.assertEqual(raw["model.layers.1.mlp.experts.3.down_proj.weight_scale"][:2], ("BF16", [64, 1]))
        dtype, shape, data = raw["model.layers.1.mlp.experts.3.gate_proj.weight_shape"]
        self.assertEqual((dtype, shape, list(array("i", data))), ("I32", [2], [32, 64]))
        self.assertEqual(raw["model.layers.2.mlp.gate.e_score_correction_bias"][:2], ("F32", [8]))
        self.assertEqual(raw["model.layers.2.mlp.gate.weight"][:2], ("BF16", [8, 64]))
        self.assertNotIn("model.layers.1.mlp.experts.3.down_proj.weight", raw)

    def test_dequantized_experts_equal_fake_quantized_weights_bit_exactly(self):
        _, loaded = load_checkpoint(self.single)
        experts = [n for n in self.tensors if ModelConfig.is_routed_expert(n)]
        self.assertEqual(len(experts), 2 * 8 * 3)
        for name in experts:
            rows, cols = self.tensors[name].shape
            expected = fake_quantize_matrix(self.tensors[name].values, rows, cols, 32, name)
            self.assertEqual([bits32(v) for v in loaded[name].values], [bits32(v) for v in expected], name)

    def test_other_tensors_are_bf16_rounded_and_bias_exact(self):
        _, loaded = load_checkpoint(self.single)
        self.assertEqual(set(loaded), set(self.tensors))
        for name, tensor in self.tensors.items():
            if ModelConfig.is_routed_expert(name):
                continue
            if name.endswith("e_score_correction_bias"):
                expected = tensor.values
            else:
                expected = [bf16_round(v) for v in tensor.values]
            self.assertEqual(loaded[name].values, expected, name)

    def test_sharded_and_single_hold_the_same_model(self):
        _, single = load_checkpoint(self.single)
        _, sharded = load_checkpoint(self.sharded)
        self.assertEqual({n: t.values for n, t in single.items()}, {n: t.values for n, t in sharded.items()})

    def test_copies(self):
        with open(os.path.join(self.single, "demo_tools.json")) as f, open(self.demo_tools) as g:
            self.assertEqual(f.read(), g.read())

    def test_bad_inputs_are_named(self):
        broken = dict(self.tensors)
        del broken["model.layers.1.mlp.experts.0.up_proj.weight"]
        broken["model.layers.0.self_attn.o_proj.weight"] = Tensor([64, 31], [0.0] * 64 * 31)
        broken["model.layers.9.extra.weight"] = Tensor([1], [0.0])
        with self.assertRaises(ValueError) as caught:
            export_checkpoint(broken, TINY, os.path.join(self.root, "broken"))
        text = str(caught.exception)
        self.assertIn("missing tensor 'model.layers.1.mlp.experts.0.up_proj.weight'", text)
        self.assertIn("'model.layers.0.self_attn.o_proj.weight': shape [64, 31], config implies [64, 32]", text)
        self.assertIn("'model.layers.9.extra.weight' is not part of the model", text)
        with self.assertRaisesRegex(ValueError, "has 256 ranks, ModelConfig.bpe_ranks is 300"):
            config = ModelConfig(**{**TINY.to_dict(), "bpe_ranks": 300})
            export_checkpoint(random_model(config, 1), config, os.path.join(self.root, "ranks"), tokenizer_dir=self.tokenizer)
        with self.assertRaisesRegex(ValueError, "moe_intermediate_size 40 is not a multiple of group_size 32"):
            ModelConfig(**{**TINY.to_dict(), "moe_intermediate_size": 40})

    def test_fixture_round_trip_keeps_its_format(self):
        """Re-exporting ../shared/fixtures/tiny-k2 (written by transformers + compressed-tensors) gives its config.json,
        its tensor names, dtypes and shapes, and its non-expert bytes; re-quantized experts move by at most ~half a step."""
        fixture = os.path.join(REPO, "..", "shared", "fixtures", "tiny-k2")
        if not os.path.isdir(fixture):
            self.skipTest(f"{fixture} not present (shared fixtures live beside the repository)")
        config, tensors = load_checkpoint(fixture)
        out = os.path.join(self.root, "fixture")
        export_checkpoint(tensors, ModelConfig.from_hf_config(config), out)
        with open(os.path.join(out, "config.json")) as f:
            written = json.load(f)
        for key in set(config) | set(written):
            if key not in ("transformers_version", "pad_token_id"):
                self.assertEqual(written.get(key), config.get(key), key)
        theirs, ours = read_raw(fixture), read_raw(out)
        self.assertEqual(set(theirs), set(ours))
        for name, (dtype, shape, data) in theirs.items():
            self.assertEqual(ours[name][:2], (dtype, shape), name)
            if ".experts." not in name or name.endswith("weight_shape"):
                self.assertEqual(ours[name][2], data, name)
        _, again = load_checkpoint(out)
        for name in (n for n in tensors if ".experts." in n):
            worst = max(abs(a - b) for a, b in zip(tensors[name].values, again[name].values))
            absmax = max(abs(v) for v in tensors[name].values)
            self.assertLessEqual(worst, absmax / 7.5 * 0.54, name)

    def engine(self, *args) -> subprocess.CompletedProcess:
        binary = os.environ.get("K2_BIN") or os.path.join(REPO, "src", "K2Bench", "bin", "Release", "net10.0", "k2")
        if os.path.isfile(binary):
            command = [binary]
        elif shutil.which("dotnet"):
            command = ["dotnet", "run", "--project", os.path.join(REPO, "src", "K2Bench"), "-c", "Release", "--"]
        else:
            self.skipTest("no k2 binary (set K2_BIN or run `dotnet build src/K2Bench -c Release`) and no dotnet")
        return subprocess.run(command + list(args), capture_output=True, text=True, timeout=600)

    def test_engine_accepts_the_checkpoints(self):
        for directory in (self.single, self.sharded):
            info = self.engine("info", "--model", directory)
            self.assertEqual(info.returncode, 0, info.stdout + info.stderr)
            self.assertIn("INT4 pack-quantized (compressed-tensors), symmetric, group 32", info.stdout)
            self.assertIn("8 routed of width 32, 2 per token, 1 shared", info.stdout)
            self.assertNotIn("warning:", info.stderr)

            out = os.path.join(self.root, "logits.f32")
            ids = [256, 5, 77, 200, 3, 258, 511, 42]
            logits = self.engine("logits", "--model", directory, "--tokens", " ".join(map(str, ids)), "--out", out)
            self.assertEqual(logits.returncode, 0, logits.stdout + logits.stderr)
            values = array("f")
            with open(out, "rb") as f:
                values.frombytes(f.read())
            self.assertEqual(len(values), len(ids) * TINY.vocab_size)
            self.assertTrue(all(math.isfinite(v) for v in values))
            self.assertGreater(max(abs(v) for v in values), 0.0)


if __name__ == "__main__":
    unittest.main()
