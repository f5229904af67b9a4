// The typed error of a forward pass whose activations stop being finite numbers: a checkpoint that loads can still
// hold one bf16 -Inf, or a config whose math overflows. The model checks its residual stream at layer boundaries
// (Model/ActivationCheck.cs) and names the layer and the first operation whose output is not finite; a backend's
// router throws it with the layer left for the model to fill in.
namespace K2Native.Backends;

/// <summary>NaN or ±Inf appeared in the activations of a forward pass.</summary>
public sealed class NonFiniteActivationException : InvalidOperationException
{
    public NonFiniteActivationException(int layer, string operation, string detail)
        : base(Format(layer, operation, detail))
    {
        Layer = layer;
        Operation = operation;
        Detail = detail;
    }

    /// <summary>The decoder layer (0-based), or -1 outside the layers (embedding, final norm, lm_head) or when not yet
    /// known.</summary>
    public int Layer { get; }

    /// <summary>The first operation whose output is not finite, named as in the checkpoint (e.g.
    /// "self_attn.q_b_proj").</summary>
    public string Operation { get; }

    /// <summary>How many values, and where the first one is.</summary>
    public string Detail { get; }

    /// <summary>The same problem, placed in <paramref name="layer"/>.</summary>
    public NonFiniteActivationException InLayer(int layer) => new(layer, Operation, Detail);

    private static string Format(int layer, string operation, string detail) =>
        $"{(layer >= 0 ? $"layer {layer}: " : "")}non-finite activations (NaN or Inf) first appear in the output of "
        + $"{operation}: {detail}";
}
