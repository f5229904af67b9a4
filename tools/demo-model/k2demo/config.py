"""The demo model's architecture in one dataclass, and the K2 Thinking config.json it becomes.

Pure Python (no torch), so the exporter and its tests run anywhere. Field names follow config.json
(DeepSeek-V3 names, K2-SPEC section 1); `parameter_shapes()` lists every tensor of the checkpoint in
the model's own (unquantized) naming, which the PyTorch model and the exporter both follow.
"""
import math
from dataclasses import dataclass, asdict
from typing import Optional

# K2 reserves 256 ids after the BPE ranks for special tokens (K2-SPEC section 4).
SPECIAL_IDS = 256
BOS_OFFSET, IM_END_OFFSET, PAD_OFFSET = 0, 2, 255


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a K2-format model; defaults are the bundled demo model (~7 MB exported)."""
    bpe_ranks: int = 4096
    hidden_size: int = 256
    num_hidden_layers: int = 4
    first_k_dense_replace: int = 1
    intermediate_size: int = 512
    moe_intermediate_size: int = 128
    n_routed_experts: int = 16
    num_experts_per_tok: int = 4
    n_shared_experts: int = 1
    n_group: int = 4
    topk_group: int = 2
    routed_scaling_factor: float = 2.827
    num_attention_heads: int = 4
    q_lora_rank: Optional[int] = 128
    kv_lora_rank: int = 64
    qk_nope_head_dim: int = 32
    qk_rope_head_dim: int = 16
    v_head_dim: int = 32
    rope_theta: float = 50000.0
    yarn_factor: float = 64.0
    yarn_original_max_position_embeddings: int = 4096
    max_position_embeddings: int = 4096
    rms_norm_eps: float = 1e-5
    group_size: int = 32

    def __post_init__(self):
        problems = []
        def need(ok, text):
            if not ok:
                problems.append(text)
        need(self.hidden_size % self.group_size == 0, f"hidden_size {self.hidden_size} is not a multiple of group_size {self.group_size}")
        need(self.moe_intermediate_size % self.group_size == 0,
             f"moe_intermediate_size {self.moe_intermediate_size} is not a multiple of group_size {self.group_size}")
        need(self.group_size % 8 == 0, f"group_size {self.group_size} is not a multiple of 8 (eight INT4 values per int32)")
        need(self.qk_rope_head_dim % 2 == 0, f"qk_rope_head_dim {self.qk_rope_head_dim} is odd; RoPE rotates pairs")
        need(0 <= self.first_k_dense_replace <= self.num_hidden_layers, "first_k_dense_replace exceeds num_hidden_layers")
        need(self.n_routed_experts % self.n_group == 0, f"n_group {self.n_group} does not divide n_routed_experts {self.n_routed_experts}")
        need(self.n_group == 1 or self.n_routed_experts // self.n_group >= 2, "group scores need at least 2 experts per group")
        need(1 <= self.topk_group <= self.n_group, f"topk_group {self.topk_group} is not in 1..n_group {self.n_group}")
        need(self.num_experts_per_tok <= self.topk_group * (self.n_routed_experts // self.n_group),
             "num_experts_per_tok exceeds the experts that topk_group groups leave selectable")
        need(self.bpe_ranks >= 256, "bpe_ranks must cover the 256 single bytes")
        if problems:
            raise ValueError("ModelConfig: " + "; ".join(problems))

    @property
    def vocab_size(self) -> int:
        return self.bpe_ranks + SPECIAL_IDS

    @property
    def bos_token_id(self) -> int:
        return self.bpe_ranks + BOS_OFFSET

    @property
    def eos_token_id(self) -> int:
        return self.bpe_ranks + IM_END_OFFSET

    def is_moe_layer(self, layer: int) -> bool:
        return layer >= self.first_k_dense_replace

    def rope_inverse_frequencies(self) -> list:
        """RoPE inv_freq per rotated pair, YaRN-adjusted as K2 does (beta_fast = beta_slow = 1, the values config.json
        declares): theta^(-2i/d), divided by the factor above the correction range, a linear ramp across it."""
        d, theta, factor = self.qk_rope_head_dim, self.rope_theta, self.yarn_factor
        base = [1.0 / theta ** (2 * i / d) for i in range(d // 2)]
        if factor <= 1.0:
            return base
        def correction(rotations):
            return d * math.log(self.yarn_original_max_position_embeddings / (rotations * 2 * math.pi)) / (2 * math.log(theta))
        low = max(math.floor(correction(1.0)), 0)
        high = min(math.ceil(correction(1.0)), d - 1)
        if low == high:
            high += 0.001
        out = []
        for i, freq in enumerate(base):
            ramp = min(max((i - low) / (high - low), 0.0), 1.0)
            out.append(freq / factor * ramp + freq * (1 - ramp))
        return out

    def softmax_scale(self) -> float:
        """(nope + rope)^-0.5, times mscale^2 with mscale = 0.1 * mscale_all_dim * ln(factor) + 1 under YaRN (mscale_all_dim
        and mscale are both 1, so cos and sin stay unscaled)."""
        scale = (self.qk_nope_head_dim + self.qk_rope_head_dim) ** -0.5
        if self.yarn_factor <= 1.0:
            return scale
        m = 0.1 * math.log(self.yarn_factor) + 1.0
        return scale * m * m

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_hf_config(cls, c: dict) -> "ModelConfig":
        """The architecture of a K2-format config.json (special ids assumed to be the 256 after the BPE ranks)."""
        rope = c.get("rope_scaling") or {}
        if rope and rope.get("type", rope.get("rope_type")) != "yarn":
            raise ValueError(f"config.json: rope_scaling type {rope.get('type', rope.get('rope_type'))!r}; only yarn is supported")
        for key in ("beta_fast", "beta_slow", "mscale", "mscale_all_dim"):
            if rope.get(key, 1.0) != 1.0:
                raise ValueError(f"config.json: rope_scaling.{key} is {rope[key]}; this model implements K2's value 1 only")
        group = c["quantization_config"]["config_groups"]["group_0"]["weights"]["group_size"]
        return cls(bpe_ranks=c["vocab_size"] - SPECIAL_IDS, hidden_size=c["hidden_size"],
                   num_hidden_layers=c["num_hidden_layers"], first_k_dense_replace=c["first_k_dense_replace"],
                   intermediate_size=c["intermediate_size"], moe_intermediate_size=c["moe_intermediate_size"],
                   n_routed_experts=c["n_routed_experts"], num_experts_per_tok=c["num_experts_per_tok"],
                   n_shared_experts=c["n_shared_experts"], n_group=c["n_group"], topk_group=c["topk_group"],
                   routed_scaling_factor=c["routed_scaling_factor"], num_attention_heads=c["num_attention_heads"],
                   q_lora_rank=c["q_lora_rank"], kv_lora_rank=c["kv_lora_rank"], qk_nope_head_dim=c["qk_nope_head_dim"],
                   qk_rope_head_dim=c["qk_rope_head_dim"], v_head_dim=c["v_head_dim"], rope_theta=c["rope_theta"],
                   yarn_factor=rope.get("factor", 1.0),
                   yarn_original_max_position_embeddings=rope.get("original_max_position_embeddings", c["max_position_embeddings"]),
                   max_position_embeddings=c["max_position_embeddings"], rms_norm_eps=c["rms_norm_eps"], group_size=group)

    @staticmethod
    def is_routed_expert(name: str) -> bool:
        """True for the weights stored as INT4: Linear layers of routed experts (not the shared expert, not the router)."""
        return ".mlp.experts." in name and name.endswith("_proj.weight")

    def parameter_shapes(self) -> dict:
        """Every tensor name of the model -> shape, in checkpoint order; routed experts as float `.weight`."""
        d, h = self.hidden_size, self.num_attention_heads
        shapes = {"model.embed_tokens.weight": [self.vocab_size, d]}
        def mlp(prefix, inner):
            shapes[prefix + ".gate_proj.weight"] = [inner, d]
            shapes[prefix + ".up_proj.weight"] = [inner, d]
            shapes[prefix + ".down_proj.weight"] = [d, inner]
        for layer in range(self.num_hidden_layers):
            p = f"model.layers.{layer}"
            a = p + ".self_attn"
            shapes[p + ".input_layernorm.weight"] = [d]
            q_out = h * (self.qk_nope_head_dim + self.qk_rope_head_dim)
            if self.q_lora_rank is None:
                shapes[a + ".q_proj.weight"] = [q_out, d]
            else:
                shapes[a + ".q_a_proj.weight"] = [self.q_lora_rank, d]
                shapes[a + ".q_a_layernorm.weight"] = [self.q_lora_rank]
                shapes[a + ".q_b_proj.weight"] = [q_out, self.q_lora_rank]
            shapes[a + ".kv_a_proj_with_mqa.weight"] = [self.kv_lora_rank + self.qk_rope_head_dim, d]
            shapes[a + ".kv_a_layernorm.weight"] = [self.kv_lora_rank]
            shapes[a + ".kv_b_proj.weight"] = [h * (self.qk_nope_head_dim + self.v_head_dim), self.kv_lora_rank]
            shapes[a + ".o_proj.weight"] = [d, h * self.v_head_dim]
            shapes[p + ".post_attention_layernorm.weight"] = [d]
            if not self.is_moe_layer(layer):
                mlp(p + ".mlp", self.intermediate_size)
                continue
            shapes[p + ".mlp.gate.weight"] = [self.n_routed_experts, d]
            shapes[p + ".mlp.gate.e_score_correction_bias"] = [self.n_routed_experts]
            for e in range(self.n_routed_experts):
                mlp(f"{p}.mlp.experts.{e}", self.moe_intermediate_size)
            if self.n_shared_experts > 0:
                mlp(p + ".mlp.shared_experts", self.moe_intermediate_size * self.n_shared_experts)
        shapes["model.norm.weight"] = [d]
        shapes["lm_head.weight"] = [self.vocab_size, d]
        return shapes

    def unquantized_linears(self) -> list:
        """The ignore list of quantization_config: every Linear module except the routed experts (K2 Thinking's layout)."""
        names = ["lm_head"]
        attention = (["kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "q_proj"] if self.q_lora_rank is None
                     else ["kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "q_a_proj", "q_b_proj"])
        for layer in range(self.num_hidden_layers):
            names += [f"model.layers.{layer}.self_attn.{proj}" for proj in attention]
            mlp = (f"model.layers.{layer}.mlp" if not self.is_moe_layer(layer)
                   else f"model.layers.{layer}.mlp.shared_experts" if self.n_shared_experts > 0 else None)
            if mlp is not None:
                names += [f"{mlp}.{proj}" for proj in ("gate_proj", "up_proj", "down_proj")]
        return names

    def hf_config(self) -> dict:
        """config.json exactly as K2 Thinking lays it out, with this model's numbers."""
        return {
            "architectures": ["DeepseekV3ForCausalLM"],
            "model_type": "kimi_k2",
            "auto_map": {
                "AutoConfig": "configuration_deepseek.DeepseekV3Config",
                "AutoModel": "modeling_deepseek.DeepseekV3Model",
                "AutoModelForCausalLM": "modeling_deepseek.DeepseekV3ForCausalLM",
            },
            "bos_token_id": self.bos_token_id,
            "eos_token_id": self.eos_token_id,
            "pad_token_id": self.bpe_ranks + PAD_OFFSET,
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "moe_intermediate_size": self.moe_intermediate_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_nextn_predict_layers": 0,
            "first_k_dense_replace": self.first_k_dense_replace,
            "moe_layer_freq": 1,
            "n_routed_experts": self.n_routed_experts,
            "n_shared_experts": self.n_shared_experts,
            "num_experts_per_tok": self.num_experts_per_tok,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.num_attention_heads,
            "q_lora_rank": self.q_lora_rank,
            "kv_lora_rank": self.kv_lora_rank,
            "qk_nope_head_dim": self.qk_nope_head_dim,
            "qk_rope_head_dim": self.qk_rope_head_dim,
            "v_head_dim": self.v_head_dim,
            "n_group": self.n_group,
            "topk_group": self.topk_group,
            "topk_method": "noaux_tc",
            "scoring_func": "sigmoid",
            "norm_topk_prob": True,
            "routed_scaling_factor": self.routed_scaling_factor,
            "aux_loss_alpha": 0.001,
            "seq_aux": True,
            "hidden_act": "silu",
            "initializer_range": 0.02,
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "rope_scaling": {
                "type": "yarn",
                "factor": self.yarn_factor,
                "original_max_position_embeddings": self.yarn_original_max_position_embeddings,
                "beta_fast": 1.0,
                "beta_slow": 1.0,
                "mscale": 1.0,
                "mscale_all_dim": 1.0,
            },
            "max_position_embeddings": self.max_position_embeddings,
            "attention_bias": False,
            "attention_dropout": 0.0,
            "tie_word_embeddings": False,
            "use_cache": True,
            "torch_dtype": "bfloat16",
            "ep_size": 1,
            "quantization_config": {
                "quant_method": "compressed-tensors",
                "format": "pack-quantized",
                "quantization_status": "compressed",
                "config_groups": {
                    "group_0": {
                        "targets": ["Linear"],
                        "input_activations": None,
                        "output_activations": None,
                        "weights": {
                            "num_bits": 4,
                            "type": "int",
                            "symmetric": True,
                            "strategy": "group",
                            "group_size": self.group_size,
                            "dynamic": False,
                            "actorder": None,
                            "observer": "minmax",
                            "observer_kwargs": {},
                            "block_structure": None,
                        },
                    }
                },
                "ignore": self.unquantized_linears(),
                "kv_cache_scheme": None,
                "sparsity_config": {},
                "version": "0.11.0",
            },
        }
