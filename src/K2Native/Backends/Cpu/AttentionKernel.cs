// Expanded causal multi-head latent attention on the CPU, one (token, head) pair per work item:
// score(s) = (q_nope·k_nope[s] + q_rope·k_rope[s]) * scale for keys s <= position, softmax in float32,
// output = Σ p(s)·v[s]. Keys and values come from kv_b(latent); k_rope is shared by all heads.
namespace K2Native.Backends.Cpu;

internal static unsafe class AttentionKernel
{
    public static void Run(
        StridedView q,
        StridedView kv,
        StridedView kpe,
        AttentionShape shape,
        int[] positions,
        StridedView output,
        SimdWidth width,
        WorkerPool pool)
    {
        int heads = shape.Heads, dn = shape.NopeDim, dr = shape.RopeDim, dv = shape.ValueDim;
        int tokens = q.Rows;
        pool.For(tokens * heads, item =>
        {
            int t = item / heads, h = item % heads;
            int keys = positions[t] + 1;
            float* scores = ThreadScratch.Get(keys);
            float* qn = q.Row(t) + h * shape.QueryHeadDim;
            float* qr = qn + dn;
            float max = float.NegativeInfinity;
            for (int s = 0; s < keys; s++)
            {
                float* k = kv.Row(s) + h * shape.KvHeadDim;
                float score = (VectorMath.Dot(qn, k, dn, width) + VectorMath.Dot(qr, kpe.Row(s), dr, width))
                    * shape.SoftmaxScale;
                scores[s] = score;
                if (score > max) max = score;
            }
            float sum = 0;
            for (int s = 0; s < keys; s++)
            {
                float e = MathF.Exp(scores[s] - max);
                scores[s] = e;
                sum += e;
            }
            float inv = 1f / sum;
            float* o = output.Row(t) + h * dv;
            new Span<float>(o, dv).Clear();
            for (int s = 0; s < keys; s++)
                VectorMath.AddScaled(o, kv.Row(s) + h * shape.KvHeadDim + dn, scores[s] * inv, dv, width);
        });
    }
}
