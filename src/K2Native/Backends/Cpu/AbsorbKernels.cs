// The two halves of kv_b applied per head in absorbed MLA (K2-SPEC section 2): the k_nope half folded into the
// query (qLatent = W_UKᵀ·q_nope) and the v half applied to the attended latent (out = W_UV·oLatent). kv_b is
// [H·(Dn+Dv), Rkv]: head h owns rows h·(Dn+Dv) .. +Dn (k_nope) and the Dv rows after them (v).
// Work items are heads; each weight row is widened once and used by every token, and a token's result does
// not depend on how many tokens share the call.
using K2Native.Checkpoint;

namespace K2Native.Backends.Cpu;

internal static unsafe class AbsorbKernels
{
    /// <summary>qLatent[t, h, :] = Σ_d q[t, h, d]·kvB[h·(Dn+Dv) + d, :] over the Dn non-rotated columns.</summary>
    public static void AbsorbQuery(
        StridedView q, MatrixSource kvB, AttentionShape shape, StridedView qLatent, KernelContext context)
    {
        var job = new QueryJob(q, kvB, shape, qLatent, context.Width);
        context.Pool.Run(ref job, shape.Heads);
    }

    /// <summary>output[t, h, v] = Σ_r kvB[h·(Dn+Dv) + Dn + v, r]·oLatent[t, h, r].</summary>
    public static void ExpandValues(
        StridedView oLatent, MatrixSource kvB, AttentionShape shape, StridedView output, KernelContext context)
    {
        var job = new ValueJob(oLatent, kvB, shape, output, context.Width);
        context.Pool.Run(ref job, shape.Heads);
    }

    private readonly struct QueryJob(
        StridedView q, MatrixSource kvB, AttentionShape shape, StridedView qLatent, SimdWidth width) : IParallelJob
    {
        public void Execute(int h)
        {
            int rkv = kvB.Cols;
            float* row = ThreadScratch.Get(rkv);
            for (int t = 0; t < q.Rows; t++) new Span<float>(qLatent.Row(t) + (long)h * rkv, rkv).Clear();
            for (int d = 0; d < shape.NopeDim; d++)
            {
                WeightRows.Read(kvB, h * shape.KvHeadDim + d, row, width);
                for (int t = 0; t < q.Rows; t++)
                    VectorMath.AddScaled(
                        qLatent.Row(t) + (long)h * rkv, row, q.Row(t)[h * shape.QueryHeadDim + d], rkv, width);
            }
        }
    }

    private readonly struct ValueJob(
        StridedView oLatent, MatrixSource kvB, AttentionShape shape, StridedView output, SimdWidth width) : IParallelJob
    {
        public void Execute(int h)
        {
            int rkv = kvB.Cols, dv = shape.ValueDim;
            float* row = ThreadScratch.Get(rkv);
            for (int v = 0; v < dv; v++)
            {
                WeightRows.Read(kvB, h * shape.KvHeadDim + shape.NopeDim + v, row, width);
                for (int t = 0; t < oLatent.Rows; t++)
                    output.Row(t)[h * dv + v] = VectorMath.Dot(row, oLatent.Row(t) + (long)h * rkv, rkv, width);
            }
        }
    }
}
