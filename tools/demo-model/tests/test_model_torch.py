"""Tests of the PyTorch model (k2demo/model.py) where torch is installed (the GPU machine); skipped elsewhere.

- its fake quantizer equals the exporter's pure-Python int4_quantize bit for bit, on random and adversarial groups;
- its parameter names and shapes are the checkpoint's;
- its router equals a plain port of the engine's RouterKernel (groups included), its MoE a per-token loop, its
  gradient through the fake quantizer is straight-through;
- a batch with right padding gives each sequence's own logits, and so does the shared-prefix packed layout training
  uses; one CPU training step (and one bf16 autocast step on
  CUDA, and one on the CPU as --bf16 asks) runs, counts router load and moves the correction biases the aux-loss-free way;
- its float32 logits match transformers' on the shared tiny-k2 fixture (K2_SHARED=DIR, ../shared beside the
  repository, or shared/ inside it: copy ../shared/fixtures/tiny-k2, 2.5 MB, there for the GPU machine), and the
  C# engine's `k2 logits` on an exported random checkpoint (when the k2 binary exists).
Run: cd tools/demo-model && python3 -m unittest discover -s tests -v
"""
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

try:
    import torch
except ImportError:
    torch = None

from k2demo.int4 import f32, fake_quantize_matrix  # noqa: E402
from k2demo.export import export_checkpoint  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


def tiny_k2_fixture():
    """The shared tiny-k2 fixture (under K2_SHARED, ../shared beside the repository or shared/ inside it), or None."""
    for shared in (os.environ.get("K2_SHARED"), os.path.join(REPO, "..", "shared"), os.path.join(REPO, "shared")):
        if shared and os.path.isdir(os.path.join(shared, "fixtures", "tiny-k2")):
            return os.path.join(shared, "fixtures", "tiny-k2")
    return None


def reference_route(logits, bias, c):
    """One token's (ids, weights) as src/K2Native/Backends/Cpu/RouterKernel.cs computes them, in plain Python."""
    e, per = c.n_routed_experts, c.n_routed_experts // c.n_group
    scores = [1 / (1 + math.exp(-x)) for x in logits]
    choice = [s + b for s, b in zip(scores, bias)]
    if c.n_group > 1:
        group_scores = [sum(sorted(choice[g * per:(g + 1) * per], reverse=True)[:2]) for g in range(c.n_group)]
        keep = sorted(range(c.n_group), key=lambda g: (-group_scores[g], g))[:c.topk_group]
        choice = [v if i // per in keep else -math.inf for i, v in enumerate(choice)]
    ids = sorted(range(e), key=lambda i: (-choice[i], i))[:c.num_experts_per_tok]
    total = sum(scores[i] for i in ids)
    return ids, [scores[i] / (total + 1e-20) * c.routed_scaling_factor for i in ids]


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
        # absmax whose float32 quotient by 7.5 differs from absmax * f32(1/7.5) across a bf16 rounding boundary
        rows.append([struct.unpack("<f", struct.pack("<I", 0x40F2CFFF))[0]] + [0.5] * 31)
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

    def test_router_matches_the_engines_kernel(self):
        from test_export import TINY
        from k2demo.model import Router
        torch.manual_seed(7)
        router = Router(TINY).eval()
        torch.nn.init.normal_(router.weight, std=0.5)
        router.e_score_correction_bias.uniform_(-0.05, 0.05)
        x = torch.randn(64, TINY.hidden_size)
        idx, weights = router(x)
        logits = (x @ router.weight.t()).tolist()
        bias = router.e_score_correction_bias.tolist()
        for row in range(x.shape[0]):
            ids, expected = reference_route(logits[row], bias, TINY)
            got = dict(zip(idx[row].tolist(), weights[row].tolist()))
            self.assertEqual(sorted(got), sorted(ids), row)
            for i, w in zip(ids, expected):
                self.assertAlmostEqual(got[i], w, delta=1e-5)

    def test_moe_equals_a_per_token_loop(self):
        from test_export import TINY
        from k2demo.model import Moe
        torch.manual_seed(8)
        moe = Moe(TINY).eval()
        for p in moe.parameters():
            torch.nn.init.normal_(p, std=0.2)
        x = torch.randn(2, 5, TINY.hidden_size)
        with torch.no_grad():
            got = moe(x)
            flat = x.reshape(-1, TINY.hidden_size)
            idx, weights = moe.gate(flat)
            for t in range(flat.shape[0]):
                want = moe.shared_experts(flat[t:t + 1])[0]
                for k in range(TINY.num_experts_per_tok):
                    want = want + weights[t, k] * moe.experts[int(idx[t, k])](flat[t:t + 1])[0]
                self.assertTrue(torch.allclose(got.reshape(-1, TINY.hidden_size)[t], want, atol=1e-5), t)

    def test_fake_quant_gradient_is_straight_through(self):
        from k2demo.model import Mlp, int4_fake_quant_values
        torch.manual_seed(9)
        mlp = Mlp(64, 32, group_size=32)
        x = torch.randn(6, 64)
        (mlp(x) ** 2).sum().backward()
        leaves = [int4_fake_quant_values(m.weight, 32).requires_grad_() for m in (mlp.gate_proj, mlp.up_proj, mlp.down_proj)]
        gate, up, down = leaves
        y = torch.nn.functional.linear(torch.nn.functional.silu(torch.nn.functional.linear(x, gate)) * torch.nn.functional.linear(x, up), down)
        (y ** 2).sum().backward()
        for m, leaf in zip((mlp.gate_proj, mlp.up_proj, mlp.down_proj), leaves):
            self.assertTrue(torch.allclose(m.weight.grad, leaf.grad, atol=1e-6))
            self.assertGreater(m.weight.grad.abs().sum().item(), 0)

    def test_padded_batch_gives_each_sequences_logits(self):
        from test_export import TINY
        from k2demo.model import K2ForCausalLM
        torch.manual_seed(10)
        model = K2ForCausalLM(TINY)
        model.reset_parameters(std=0.1)
        short, long = [3, 17, 260, 45, 9, 300, 12], [5, 6, 7, 8, 200, 201, 3, 4, 99, 98, 97, 10]
        batch = torch.full((2, len(long)), TINY.bpe_ranks + 255, dtype=torch.long)
        batch[0, :len(short)] = torch.tensor(short)
        batch[1] = torch.tensor(long)
        model.eval()
        with torch.no_grad():
            both = model(batch)
        self.assertEqual(list(both.shape), [2, len(long), TINY.vocab_size])
        self.assertTrue(torch.allclose(both[0, :len(short)], model.logits(short), atol=1e-4))
        self.assertTrue(torch.allclose(both[1], model.logits(long), atol=1e-4))

    def test_shared_prefix_packing_gives_each_conversations_logits(self):
        """forward_shared (one prefix, rows of continuations of different lengths, padding at the end) equals the
        plain causal pass over each conversation alone, at the positions where a loss is taken."""
        from test_export import TINY
        from k2demo.model import K2ForCausalLM
        from train import Packed, batch_width, common_prefix, length_sorted_order, pack_rows
        torch.manual_seed(11)
        model = K2ForCausalLM(TINY)
        model.reset_parameters(std=0.1)
        model.eval()
        rng = random.Random(5)
        shared = [rng.randrange(TINY.bpe_ranks) for _ in range(9)]
        examples = []
        for n in (4, 11, 2, 15, 7, 1):
            ids = shared + [rng.randrange(TINY.bpe_ranks) for _ in range(n)]
            examples.append((ids, [i >= 9 and rng.random() < 0.7 for i in range(len(ids))]))
        prefix = common_prefix(examples)
        self.assertEqual(prefix, shared[:8])                                       # less one: every row has an input
        order = length_sorted_order(examples, 3, 0, rows=4, window=2)
        self.assertEqual(sorted(order), list(range(len(examples))))
        cursor, got, want = 0, [], []
        while cursor < len(order):
            groups, cursor = pack_rows(examples, order, cursor, len(prefix), 4, 64)
            batch = Packed(prefix, groups, batch_width(groups, len(prefix)), TINY.bpe_ranks + 255, torch.device("cpu"))
            with torch.no_grad():
                got.append(batch.logits(model))
            for group in groups:
                for ids, train in group:
                    logits = model.logits(ids)[len(prefix):-1]
                    want.append(logits[torch.tensor(train[len(prefix) + 1:])])
        got, want = torch.cat(got), torch.cat(want)
        self.assertEqual(got.shape, want.shape)
        self.assertGreater(got.shape[0], 10)
        self.assertTrue(torch.allclose(got, want, atol=1e-4), (got - want).abs().max().item())

    def test_training_step_and_bias_update(self):
        from test_export import TINY
        from k2demo.model import K2ForCausalLM
        from train import TrainConfig, learning_rate, make_batch
        t = TrainConfig()
        self.assertAlmostEqual(learning_rate(0, t), t.lr / t.warmup_steps)
        self.assertAlmostEqual(learning_rate(t.warmup_steps, t), t.lr)
        self.assertAlmostEqual(learning_rate(t.steps - 1, t), t.lr * t.min_lr_ratio, delta=t.lr * 1e-4)
        rng = random.Random(12)
        examples = []
        for n in (9, 14, 5):
            ids = [rng.randrange(TINY.bpe_ranks) for _ in range(n)]
            examples.append((ids, [i >= n // 2 for i in range(n)]))
        devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
        for device in devices:
            torch.manual_seed(13)
            model = K2ForCausalLM(TINY).to(device)
            self.assertNotIn("model.layers.1.mlp.gate.e_score_correction_bias", dict(model.named_parameters()))
            inputs, targets, mask = make_batch(examples, TINY.bpe_ranks + 255, device)
            self.assertEqual(list(inputs.shape), [3, 13])
            self.assertEqual(int(mask.sum()), sum(sum(train[1:]) for _, train in examples))
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                logits = model(inputs)
            loss = torch.nn.functional.cross_entropy(logits[mask], targets[mask])
            loss.backward()
            self.assertTrue(math.isfinite(loss.item()), device)
            expert = model.model.layers[1].mlp.experts
            self.assertTrue(any(e.gate_proj.weight.grad is not None and e.gate_proj.weight.grad.abs().sum() > 0 for e in expert))
            for router in model.routers():
                self.assertEqual(int(router.load.sum().item()), inputs.numel() * TINY.num_experts_per_tok)
                load = router.load.clone().cpu()
                model.update_router_biases(1e-3)
                want = 1e-3 * torch.sign(load.mean() - load)
                self.assertTrue(torch.equal(router.e_score_correction_bias.cpu(), want), device)
                self.assertEqual(router.load.sum().item(), 0)
                break

    def test_cpu_bf16_autocast_step(self):
        """--bf16: the same packed step with bfloat16 matmuls on the CPU stays near the float32 one, its loss and
        gradients float32; without the flag the CPU computes in float32 (autocast off)."""
        from test_export import TINY
        from k2demo.model import K2ForCausalLM
        from train import Packed, TrainConfig, autocast, batch_width, common_prefix, pack_rows
        cpu = torch.device("cpu")
        self.assertFalse(autocast(cpu, TrainConfig())._enabled)
        self.assertTrue(autocast(cpu, TrainConfig(bf16=True))._enabled)
        rng = random.Random(21)
        shared = [rng.randrange(TINY.bpe_ranks) for _ in range(6)]
        examples = []
        for n in (5, 9, 3):
            ids = shared + [rng.randrange(TINY.bpe_ranks) for _ in range(n)]
            examples.append((ids, [i >= 6 for i in range(len(ids))]))
        prefix = common_prefix(examples)
        groups, _ = pack_rows(examples, [0, 1, 2], 0, len(prefix), 3, 32)
        batch = Packed(prefix, groups, batch_width(groups, len(prefix)), TINY.bpe_ranks + 255, cpu)
        results = []
        for bf16 in (False, True):
            torch.manual_seed(22)
            model = K2ForCausalLM(TINY)                                             # training's init, std 0.02
            with autocast(cpu, TrainConfig(bf16=bf16)):
                logits = batch.logits(model)
            loss = torch.nn.functional.cross_entropy(logits, batch.targets[batch.loss_mask])
            loss.backward()
            self.assertEqual(loss.dtype, torch.float32)
            self.assertTrue(math.isfinite(loss.item()), bf16)
            self.assertTrue(all(p.grad is None or p.grad.dtype == torch.float32 for p in model.parameters()))
            results.append(logits.detach())
        exact, bf16 = results
        self.assertFalse(torch.equal(exact, bf16))                                  # autocast did change the matmuls
        self.assertLess(((bf16 - exact).norm() / exact.norm()).item(), 2e-2)    # 4e-3 here

    def test_logits_match_transformers_on_the_fixture(self):
        fixture = tiny_k2_fixture()
        if fixture is None:
            self.skipTest("shared/fixtures/tiny-k2 not found (set K2_SHARED to the folder holding fixtures/)")
        from perplexity import load_model
        model = load_model(fixture, torch.device("cpu"))
        with open(os.path.join(fixture, "reference", "logits_tokens.txt"), encoding="utf-8") as f:
            ids = [int(x) for x in f.read().split()]
        theirs = array("f")
        with open(os.path.join(fixture, "reference", "logits.f32"), "rb") as f:
            theirs.frombytes(f.read())
        theirs = torch.tensor(theirs).view(len(ids), -1)
        ours = model.logits(ids)
        rel = ((ours - theirs).norm() / theirs.norm()).item()
        self.assertLess(rel, 1e-4, f"relative L2 error {rel:.3e}")


if __name__ == "__main__":
    unittest.main()
