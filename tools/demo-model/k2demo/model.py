"""Kimi K2 / DeepSeek-V3 in PyTorch (K2-SPEC section 2), for training the demo model with INT4 QAT.

Parameter names equal the checkpoint's (K2-SPEC section 3), so `model.state_dict()` goes straight to
`export.export_checkpoint`, and a checkpoint read back by `checkpoint.load_checkpoint` loads with
`load_state_dict(strict=True)`. Routed experts compute with INT4 group-32 fake-quantized weights (the twin of
`int4.int4_quantize`, bit-exact; straight-through gradient); `set_fake_quant(False)` turns that off for
weights that are already dequantized INT4 (re-quantizing them would move them). The router's correction bias is
a buffer moved the aux-loss-free way by `update_router_biases` after each optimizer step.

Dimension legend: B batch, T tokens, D hidden, H heads, N nope dim, R rope dim, V v dim, C kv_lora_rank,
E routed experts, K experts per token, G expert groups.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import ModelConfig
from .int4 import ABSMAX_DIVISOR, INT4_MAX, INT4_MIN

# transformers builds q_a_layernorm and kv_a_layernorm with eps 1e-6 whatever rms_norm_eps says; the engine follows.
LATENT_NORM_EPS = 1e-6


@torch.no_grad()
def int4_fake_quant_values(w: torch.Tensor, group_size: int) -> torch.Tensor:
    """w [out, in] -> q * scale, float32; the vectorized twin of int4.int4_quantize.

    Both quotients are formed in float64 and rounded once to float32: that is the correctly rounded float32 quotient
    int4.py computes, on every device. (CUDA divides by a Python scalar by multiplying with its float32 reciprocal,
    one ulp off for most groups; about one group in 1e5 then gets another bf16 scale, e.g. absmax 7.587890148162842.)
    """
    groups = w.detach().reshape(-1, group_size).double()                            # [out*in/g, g], exact
    scale = (groups.abs().amax(dim=1, keepdim=True) / ABSMAX_DIVISOR).float().to(torch.bfloat16).float()
    divisor = torch.where(scale == 0, torch.ones_like(scale), scale).double()
    q = torch.round((groups / divisor).float()).clamp_(INT4_MIN, INT4_MAX)         # half to even, like Python's round
    return (q * scale).reshape(w.shape)


class _FakeQuantInt4(torch.autograd.Function):
    """Forward: the INT4 round trip, bit-exact. Backward: the gradient unchanged (straight-through estimator)."""

    @staticmethod
    def forward(ctx, w, group_size):
        return int4_fake_quant_values(w, group_size)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def fake_quant_int4(w: torch.Tensor, group_size: int) -> torch.Tensor:
    return _FakeQuantInt4.apply(w, group_size)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        x = x.float()                                                               # statistics in float32
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class Mlp(nn.Module):
    """down(silu(gate(x)) * up(x)); with group_size set, the weights are INT4 fake-quantized (a routed expert)."""

    def __init__(self, hidden: int, inner: int, group_size: int = 0):
        super().__init__()
        self.gate_proj = nn.Linear(hidden, inner, bias=False)
        self.up_proj = nn.Linear(hidden, inner, bias=False)
        self.down_proj = nn.Linear(inner, hidden, bias=False)
        self.group_size = group_size
        self.fake_quant = group_size > 0

    def _w(self, linear: nn.Linear):
        return fake_quant_int4(linear.weight, self.group_size) if self.fake_quant else linear.weight

    def forward(self, x):
        return F.linear(F.silu(F.linear(x, self._w(self.gate_proj))) * F.linear(x, self._w(self.up_proj)), self._w(self.down_proj))


def rotate_interleaved(x, cos, sin):
    """RoPE on interleaved pairs (x[2i], x[2i+1]); x [..., R], cos/sin broadcast to [..., R/2]."""
    x0, x1 = x[..., 0::2].float(), x[..., 1::2].float()
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1).flatten(-2)


class Attention(nn.Module):
    """Multi-head latent attention (naive form: keys and values expanded from the latent)."""

    def __init__(self, c: ModelConfig):
        super().__init__()
        self.c = c
        h, n, r, v = c.num_attention_heads, c.qk_nope_head_dim, c.qk_rope_head_dim, c.v_head_dim
        if c.q_lora_rank is None:
            self.q_proj = nn.Linear(c.hidden_size, h * (n + r), bias=False)
        else:
            self.q_a_proj = nn.Linear(c.hidden_size, c.q_lora_rank, bias=False)
            self.q_a_layernorm = RMSNorm(c.q_lora_rank, LATENT_NORM_EPS)
            self.q_b_proj = nn.Linear(c.q_lora_rank, h * (n + r), bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(c.hidden_size, c.kv_lora_rank + r, bias=False)
        self.kv_a_layernorm = RMSNorm(c.kv_lora_rank, LATENT_NORM_EPS)
        self.kv_b_proj = nn.Linear(c.kv_lora_rank, h * (n + v), bias=False)
        self.o_proj = nn.Linear(h * v, c.hidden_size, bias=False)

    def forward(self, x, cos, sin, softmax_scale):
        c = self.c
        b, t, _ = x.shape
        h, n, r, v = c.num_attention_heads, c.qk_nope_head_dim, c.qk_rope_head_dim, c.v_head_dim
        q = self.q_proj(x) if c.q_lora_rank is None else self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x)))
        q = q.view(b, t, h, n + r)                                                   # [B, T, H, N+R]
        q_pe = rotate_interleaved(q[..., n:], cos[:, None, :], sin[:, None, :])     # [B, T, H, R]
        kv_a = self.kv_a_proj_with_mqa(x)                                           # [B, T, C+R]
        latent = self.kv_a_layernorm(kv_a[..., :c.kv_lora_rank])                    # [B, T, C]
        k_pe = rotate_interleaved(kv_a[..., c.kv_lora_rank:], cos, sin)             # [B, T, R], shared by all heads
        kv = self.kv_b_proj(latent).view(b, t, h, n + v)                            # [B, T, H, N+V]
        dtype = kv.dtype
        query = torch.cat([q[..., :n], q_pe.to(q.dtype)], dim=-1).transpose(1, 2)   # [B, H, T, N+R]
        key = torch.cat([kv[..., :n], k_pe.to(dtype)[:, :, None, :].expand(b, t, h, r)], dim=-1).transpose(1, 2)
        value = kv[..., n:].transpose(1, 2)                                         # [B, H, T, V]
        query, key, value = query.to(dtype), key.to(dtype), value.to(dtype)
        out = attend(query, key, value, None, softmax_scale)
        return self.o_proj(out.transpose(1, 2).reshape(b, t, h * v))                # [B, T, D]

    def _project(self, x, cos, sin):
        """x [B, T, D] -> query [B, H, T, N+R], key [B, H, T, N+R], value [B, H, T, V] (cos/sin [B or 1, T, R/2])."""
        c = self.c
        b, t, _ = x.shape
        h, n, r = c.num_attention_heads, c.qk_nope_head_dim, c.qk_rope_head_dim
        q = self.q_proj(x) if c.q_lora_rank is None else self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x)))
        q = q.view(b, t, h, n + r)
        q_pe = rotate_interleaved(q[..., n:], cos[:, :, None, :], sin[:, :, None, :])
        kv_a = self.kv_a_proj_with_mqa(x)
        latent = self.kv_a_layernorm(kv_a[..., :c.kv_lora_rank])
        k_pe = rotate_interleaved(kv_a[..., c.kv_lora_rank:], cos, sin)
        kv = self.kv_b_proj(latent).view(b, t, h, n + c.v_head_dim)
        dtype = kv.dtype
        query = torch.cat([q[..., :n], q_pe.to(q.dtype)], dim=-1).transpose(1, 2).to(dtype)
        key = torch.cat([kv[..., :n], k_pe.to(dtype)[:, :, None, :].expand(b, t, h, r)], dim=-1).transpose(1, 2)
        return query, key.to(dtype), kv[..., n:].transpose(1, 2).to(dtype)

    def forward_shared(self, xp, xr, rope_p, rope_r, mask_r, softmax_scale):
        """A shared prefix and packed rows that all continue it.

        xp [1, P, D]: the prefix; xr [R, S, D]: rows, each holding several sequences that continue the prefix;
        rope_p ([1, P, R/2] cos, sin), rope_r ([R, S, R/2] cos, sin); mask_r [R, S, S] bool: row token i may see row
        token j. Every row token also sees the whole prefix; the prefix is causal on its own. Equal to running each
        sequence (prefix + its tokens) alone, at a fraction of the cost."""
        c = self.c
        h, v = c.num_attention_heads, c.v_head_dim
        qp, kp, vp = self._project(xp, *rope_p)                                     # [1, H, P, .]
        qr, kr, vr = self._project(xr, *rope_r)                                     # [R, H, S, .]
        rows = xr.shape[0]
        out_p = attend(qp, kp, vp, None, softmax_scale)
        key = torch.cat([kp.expand(rows, -1, -1, -1), kr], dim=2)                   # [R, H, P+S, N+R]
        value = torch.cat([vp.expand(rows, -1, -1, -1), vr], dim=2)
        prefix_visible = torch.ones(rows, xr.shape[1], xp.shape[1], dtype=torch.bool, device=xr.device)
        mask = torch.cat([prefix_visible, mask_r], dim=2)[:, None]                 # [R, 1, S, P+S]
        out_r = attend(qr, key, value, mask, softmax_scale)
        return (self.o_proj(out_p.transpose(1, 2).reshape(1, xp.shape[1], h * v)),
                self.o_proj(out_r.transpose(1, 2).reshape(rows, xr.shape[1], h * v)))


def attend(query, key, value, mask, scale):
    """softmax(q k^T * scale + mask) v; mask None means causal, else a bool tensor (True = visible) that broadcasts
    to [B, H, Tq, Tk]. Written out (torch 1.13 has no scaled_dot_product_attention; newer versions give the same
    result), scores in float32."""
    scores = torch.matmul(query.float() * scale, key.float().transpose(-1, -2))   # [B, H, Tq, Tk]
    if mask is None:
        tq, tk = scores.shape[-2], scores.shape[-1]
        mask = torch.ones(tq, tk, dtype=torch.bool, device=scores.device).tril(tk - tq)
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), value.float()).to(value.dtype)


class Router(nn.Module):
    """Sigmoid scores; noaux_tc selection on score + e_score_correction_bias within the best groups."""

    def __init__(self, c: ModelConfig):
        super().__init__()
        self.c = c
        self.weight = nn.Parameter(torch.empty(c.n_routed_experts, c.hidden_size))
        self.register_buffer("e_score_correction_bias", torch.zeros(c.n_routed_experts, dtype=torch.float32))
        self.load = torch.zeros(c.n_routed_experts, dtype=torch.float32)            # tokens per expert since the last update

    def forward(self, x):                                                           # x [M, D]
        c = self.c
        with torch.autocast(x.device.type, enabled=False):
            scores = torch.sigmoid(x.float() @ self.weight.float().t())            # [M, E] float32
        choice = scores.detach() + self.e_score_correction_bias
        if c.n_group > 1:
            grouped = choice.view(-1, c.n_group, c.n_routed_experts // c.n_group)   # [M, G, E/G]
            group_scores = grouped.topk(2, dim=-1).values.sum(-1)                   # [M, G]
            keep = torch.zeros_like(group_scores, dtype=torch.bool)
            keep.scatter_(1, group_scores.topk(c.topk_group, dim=-1).indices, True)
            choice = choice.masked_fill(~keep.repeat_interleave(c.n_routed_experts // c.n_group, dim=1), float("-inf"))
        idx = choice.topk(c.num_experts_per_tok, dim=-1).indices                    # [M, K]
        weights = scores.gather(1, idx)                                             # [M, K], unbiased scores
        weights = weights / (weights.sum(-1, keepdim=True) + 1e-20)                 # norm_topk_prob
        if self.training:
            self.load = self.load.to(idx.device) + torch.bincount(idx.flatten(), minlength=c.n_routed_experts).float()
        return idx, weights * c.routed_scaling_factor


class Moe(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.gate = Router(c)
        self.experts = nn.ModuleList(Mlp(c.hidden_size, c.moe_intermediate_size, c.group_size) for _ in range(c.n_routed_experts))
        self.shared_experts = (Mlp(c.hidden_size, c.moe_intermediate_size * c.n_shared_experts)
                               if c.n_shared_experts > 0 else None)

    def forward(self, x):                                                           # x [B, T, D]
        flat = x.reshape(-1, x.shape[-1])                                           # [M, D]
        idx, weights = self.gate(flat)                                              # [M, K] each
        out = torch.zeros(flat.shape, dtype=torch.float32, device=flat.device)
        for e, expert in enumerate(self.experts):
            token, slot = torch.nonzero(idx == e, as_tuple=True)
            if token.numel() == 0:
                continue
            y = expert(flat[token]).float() * weights[token, slot, None]
            out.index_add_(0, token, y)
        if self.shared_experts is not None:
            out = out + self.shared_experts(flat).float()
        return out.view(x.shape)


class DecoderLayer(nn.Module):
    def __init__(self, c: ModelConfig, layer: int):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.mlp = Moe(c) if c.is_moe_layer(layer) else Mlp(c.hidden_size, c.intermediate_size)

    def forward(self, x, cos, sin, softmax_scale):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, softmax_scale).float()
        return x + self.mlp(self.post_attention_layernorm(x)).float()

    def forward_shared(self, xp, xr, rope_p, rope_r, mask_r, softmax_scale):
        ap, ar = self.self_attn.forward_shared(self.input_layernorm(xp), self.input_layernorm(xr), rope_p, rope_r,
                                               mask_r, softmax_scale)
        xp, xr = xp + ap.float(), xr + ar.float()
        flat = torch.cat([xp.reshape(-1, xp.shape[-1]), xr.reshape(-1, xr.shape[-1])])  # one MLP/MoE pass for all tokens
        y = self.mlp(self.post_attention_layernorm(flat)[None]).float()[0]
        return xp + y[:xp.shape[1]].view(xp.shape), xr + y[xp.shape[1]:].view(xr.shape)


class Backbone(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(c, l) for l in range(c.num_hidden_layers))
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)


class K2ForCausalLM(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.model = Backbone(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.softmax_scale = config.softmax_scale()
        self.register_buffer("inv_freq", torch.tensor(config.rope_inverse_frequencies(), dtype=torch.float64), persistent=False)
        self.reset_parameters()

    def reset_parameters(self, std: float = 0.02):
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=std)
            elif isinstance(module, Router):
                nn.init.normal_(module.weight, std=std)
                module.e_score_correction_bias.zero_()
            elif isinstance(module, RMSNorm):
                nn.init.ones_(module.weight)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids [B, T] -> logits [B, T, vocab] float32 (causal)."""
        t = ids.shape[1]
        if t > self.config.max_position_embeddings:
            raise ValueError(f"{t} tokens exceed max_position_embeddings {self.config.max_position_embeddings}")
        angles = torch.arange(t, device=ids.device, dtype=torch.float64)[:, None] * self.inv_freq[None, :]
        cos, sin = angles.cos().float(), angles.sin().float()                      # [T, R/2]
        x = self.model.embed_tokens(ids).float()                                    # [B, T, D]
        for layer in self.model.layers:
            x = layer(x, cos, sin, self.softmax_scale)
        return self.lm_head(self.model.norm(x)).float()                             # [B, T, vocab]

    def _rope(self, positions):
        angles = positions.to(torch.float64)[..., None] * self.inv_freq               # [..., T, R/2]
        return angles.cos().float(), angles.sin().float()

    def forward_shared(self, prefix, rows, positions, mask_r, select):
        """Training view of many sequences that share one prefix (the chat template's tool declarations and system
        prompt): prefix [P] ids; rows [R, S] ids packed with several continuations each; positions [R, S] absolute
        positions; mask_r [R, S, S] which row tokens see which; select [R, S] bool, where to compute logits.
        Returns logits [select.sum(), vocab] float32 (the lm_head runs only where a loss is taken)."""
        p = prefix.shape[0]
        if int(positions.max()) >= self.config.max_position_embeddings:
            raise ValueError(f"positions exceed max_position_embeddings {self.config.max_position_embeddings}")
        rope_p = self._rope(torch.arange(p, device=prefix.device)[None])
        rope_r = self._rope(positions)
        xp = self.model.embed_tokens(prefix[None]).float()
        xr = self.model.embed_tokens(rows).float()
        for layer in self.model.layers:
            xp, xr = layer.forward_shared(xp, xr, rope_p, rope_r, mask_r, self.softmax_scale)
        return self.lm_head(self.model.norm(xr[select])).float()

    @torch.no_grad()
    def logits(self, ids) -> torch.Tensor:
        """One sequence of ids -> logits [T, vocab] float32, in eval mode."""
        was_training = self.training
        self.eval()
        try:
            device = self.lm_head.weight.device
            return self.forward(torch.as_tensor(ids, dtype=torch.long, device=device)[None])[0]
        finally:
            self.train(was_training)

    def routers(self):
        return [layer.mlp.gate for layer in self.model.layers if isinstance(layer.mlp, Moe)]

    def set_fake_quant(self, enabled: bool):
        for module in self.modules():
            if isinstance(module, Mlp) and module.group_size > 0:
                module.fake_quant = enabled

    @torch.no_grad()
    def update_router_biases(self, rate: float):
        """Aux-loss-free balancing (DeepSeek-V3): bias += rate * sign(mean load - load); then the counts restart."""
        for router in self.routers():
            load = router.load.to(router.e_score_correction_bias.device)
            router.e_score_correction_bias += rate * torch.sign(load.mean() - load)
            router.load = torch.zeros_like(load)

    @torch.no_grad()
    def export_tensors(self) -> dict:
        """name -> float32 CPU tensor of every checkpoint tensor (routed experts unquantized: the exporter quantizes)."""
        return {name: t.detach().float().cpu() for name, t in self.state_dict().items()}

    @torch.no_grad()
    def fake_quantized_expert_weights(self) -> dict:
        """name -> the INT4 round trip of each routed-expert weight, as the forward pass uses it."""
        return {name: int4_fake_quant_values(p, self.config.group_size).cpu()
                for name, p in self.named_parameters() if ModelConfig.is_routed_expert(name)}
