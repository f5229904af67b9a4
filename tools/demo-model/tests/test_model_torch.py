"""Tests of the PyTorch model (k2demo/model.py) where torch is installed (the GPU machine); skipped elsewhere.

- its fake quantizer equals the exporter's pure-Python int4_quantize bit for bit, on random and adversarial groups;
- its parameter names and shapes are the checkpoint's;
- its float32 logits on an exported random checkpoint match the C# engine's `k2 logits` (when the k2 binary exists).
Run: cd tools/demo-model && python3 -m unittest discover -s tests -v
"""
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest
from array import array

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

try:
    import torch
except ImportError:
    torch = None

from k2demo.int4 import f32, fake_quantize_matrix  # noqa: E402
from k2demo.export import export_checkpoint  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


@unittest.skipIf(torch is None, "torch is not installed (these tests run on the GPU machine)")
class ModelTests(unittest.TestCase):
    def test_fake_quant_twin_is_bit_exact(self):
        from k2demo.model import int4_fake_quant_values
        rng = random.Random(3)
        rows = []
        for trial in range(300):
            magnitude = 10.0 ** rng.uniform(-20, 20)
            rows.append([f32(rng.gauss(0, magnitude)) for _ in range(32)])
        rows.append([0.0] * 32)
        rows.append([7.5, -7.5, 2.5, -2.5, 0.5, 1.5] + [0.0] * 26)
        rows.append([f32(1e-40)] * 32)
        values = [v for row in rows for v in row]
        expected = torch.tensor(fake_quantize_matrix(values, len(rows), 32, 32), dtype=torch.float32)
        for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
            got = int4_fake_quant_values(torch.tensor(values, dtype=torch.float32, device=device).view(len(rows), 32), 32)
            self.assertTrue(torch.equal(got.cpu().flatten(), expected), device)

    def test_names_and_shapes_are_the_checkpoints(self):
        from test_export import TINY
        from k2demo.model import K2ForCausalLM
        state = K2ForCausalLM(TINY).state_dict()
        self.assertEqual({n: list(t.shape) for n, t in state.items()}, TINY.parameter_shapes())

    def test_logits_match_the_engine(self):
        from test_export import TINY
        from k2demo.model import K2ForCausalLM
        binary = os.environ.get("K2_BIN") or os.path.join(REPO, "src", "K2Bench", "bin", "Release", "net10.0", "k2")
        if not os.path.isfile(binary):
            self.skipTest(f"no k2 binary at {binary}")
        torch.manual_seed(5)
        model = K2ForCausalLM(TINY)
        model.reset_parameters(std=0.1)
        with torch.no_grad():
            for router in model.routers():
                router.e_score_correction_bias.uniform_(-0.05, 0.05)
        root = tempfile.mkdtemp(prefix="k2demo-model-")
        try:
            export_checkpoint(model.export_tensors(), TINY, root)
            from perplexity import load_model
            exported = load_model(root, torch.device("cpu"))
            ids = [256, 5, 77, 200, 3, 258, 511, 42, 42, 9]
            ours = exported.logits(ids)
            out = os.path.join(root, "logits.f32")
            subprocess.run([binary, "logits", "--model", root, "--tokens", " ".join(map(str, ids)), "--out", out],
                           check=True, capture_output=True)
            theirs = array("f")
            with open(out, "rb") as f:
                theirs.frombytes(f.read())
            theirs = torch.tensor(theirs).view(len(ids), TINY.vocab_size)
            rel = ((ours - theirs).norm() / theirs.norm()).item()
            self.assertLess(rel, 1e-3, f"relative L2 error {rel:.3e}")
            self.assertTrue(math.isfinite(rel))
        finally:
            shutil.rmtree(root)


if __name__ == "__main__":
    unittest.main()
