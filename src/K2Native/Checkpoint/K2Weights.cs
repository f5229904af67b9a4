// Typed view of every weight the K2 forward pass reads, addressed in place in the mapped checkpoint.
// Vectors (norms, router bias) are tiny and held as float32 arrays; matrices stay where they are.
namespace K2Native.Checkpoint;

/// <summary>down(silu(gate(x)) * up(x)): the dense MLP of the first layers, each routed expert, the shared
/// expert.</summary>
public sealed record MlpWeights(MatrixSource Gate, MatrixSource Up, MatrixSource Down);

/// <summary>Multi-head latent attention. Either QA/QANorm/QB (q-LoRA) or Q is present.</summary>
public sealed record AttentionWeights(
    MatrixSource? QA,
    float[]? QANorm,
    MatrixSource? QB,
    MatrixSource? Q,
    MatrixSource KvA,
    float[] KvANorm,
    MatrixSource KvB,
    MatrixSource O);

/// <summary>Router (sigmoid scores + correction bias) and the experts of one MoE layer.</summary>
public sealed record MoeWeights(MatrixSource Router, float[] CorrectionBias, MlpWeights[] Experts, MlpWeights? Shared);

/// <summary>One decoder layer: exactly one of Dense and Moe is set.</summary>
public sealed record LayerWeights(
    float[] InputNorm,
    AttentionWeights Attention,
    float[] PostAttentionNorm,
    MlpWeights? Dense,
    MoeWeights? Moe);

/// <summary>All weights of a K2-format model.</summary>
public sealed record K2Weights(MatrixSource Embedding, LayerWeights[] Layers, float[] FinalNorm, MatrixSource LmHead);
