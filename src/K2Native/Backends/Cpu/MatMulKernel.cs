// y[T, N] = x[T, K] · W[N, K]^T for bf16, INT4 and FP8 weights read in place from the checkpoint: the driver
// of the row kernels (Bf16Kernel.cs, Int4Int8Kernel.cs, Int4Kernels.cs, Fp8Kernel.cs; RowDriver.cs owns the loop
// over a chunk's rows, except for FP8, which still has its own eight-row loop). Output rows are cut into chunks
// of contiguous rows (a multiple of 16, so no two threads write one cache line of y) that the worker
// pool's threads claim one by one. Every token is run over a chunk before the next chunk starts: the
// chunk is read from memory once and from L2 for the other tokens. Within a chunk the four rows of a
// kernel pass are a quarter of the chunk apart (rows i, i+m, i+2m, i+3m; FP8's eight an eighth apart), so
// each pass walks long sequential streams instead of short adjacent rows: prefetchers lose track at every
// row end of a 1-3.5 KiB row (kv_b, q_b, INT4 experts), which cost up to half the bandwidth.
using System.Runtime.CompilerServices;
using K2Native.Checkpoint;

namespace K2Native.Backends.Cpu;

internal static unsafe class MatMulKernel
{
    /// <summary>
    /// Weight bytes per chunk: a quarter of a 1 MiB L2, so a chunk stays cached while every token passes.
    /// </summary>
    private const long ChunkBytes = 256 << 10;

    public static void Run(StridedView x, MatrixSource w, StridedView y, KernelContext context)
    {
        if (x.Rows == 0 || w.Rows == 0) return;
        int rows = RowsPerChunk(w, context.Pool.Threads);
        int chunks = (w.Rows + rows - 1) / rows;
        if (w.Format == WeightFormat.Bf16)
        {
            float* memory = context.Activations.Get<float>(Bf16Activations.FloatsNeeded(x.Rows, x.Cols));
            var a = Bf16Activations.Split(x, memory, context.Width);
            switch (context.Width)
            {
                case SimdWidth.V512: RunJob(new Bf16Job<Bf16V512>(w, a, y, rows), chunks, context); break;
                case SimdWidth.V256: RunJob(new Bf16Job<Bf16V256>(w, a, y, rows), chunks, context); break;
                default: RunJob(new Bf16Job<Bf16Scalar>(w, a, y, rows), chunks, context); break;
            }
        }
        else if (w.Format == WeightFormat.Fp8)
        {
            switch (context.Width)
            {
                case SimdWidth.V512:
                    switch (Fp8Decode.Best)
                    {
                        case Fp8DecodeKind.Permute: RunFp8V512<Fp8PermuteDecode>(x, w, y, rows, chunks, context); break;
                        case Fp8DecodeKind.Shift: RunFp8V512<Fp8ShiftDecode>(x, w, y, rows, chunks, context); break;
                        default: RunFp8V512<Fp8ShiftUncheckedDecode>(x, w, y, rows, chunks, context); break;
                    }
                    break;
                case SimdWidth.V256:
                    RunJob(new Fp8Job<Fp8V256>(new Fp8Rows(w), w.Rows, x, null, y, rows), chunks, context);
                    break;
                default:
                    RunJob(new Fp8Job<Fp8Scalar>(new Fp8Rows(w), w.Rows, x, null, y, rows), chunks, context);
                    break;
            }
        }
        else if (UsesIntegerPath(w, context))
        {
            int terms = context.Int8Terms;
            byte* memory = context.Activations.Get<byte>(Int8Activations.BytesNeeded(x.Rows, x.Cols, terms));
            var q = Int8Activations.Quantize(x, memory, terms, context.Width);
            RunInteger(Rows(w), w.Rows, q, y, rows, context);
        }
        else
        {
            float* permuted = context.Activations.Get<float>((long)x.Rows * x.Cols);
            for (int t = 0; t < x.Rows; t++)
                Int4Kernels.PermuteActivations(x.Row(t), permuted + (long)t * x.Cols, x.Cols, context.Width);
            var xp = new StridedView(permuted, x.Rows, x.Cols, x.Cols);
            switch (context.Width)
            {
                case SimdWidth.V512:
                    RunJob(new Int4FloatJob<Int4FloatVector<Float512>, Int4FloatAcc<Float512>>(w, xp, y, rows), chunks,
                        context);
                    break;
                case SimdWidth.V256:
                    RunJob(new Int4FloatJob<Int4FloatVector<Float256>, Int4FloatAcc<Float256>>(w, xp, y, rows), chunks,
                        context);
                    break;
                default:
                    RunJob(new Int4FloatJob<Int4FloatScalar, float>(w, xp, y, rows), chunks, context);
                    break;
            }
        }
    }

    /// <summary>
    /// True when INT4 products of this weight use the integer path (the context asks for it and the group size fits).
    /// </summary>
    public static bool UsesIntegerPath(MatrixSource w, KernelContext context) =>
        w.Format == WeightFormat.Int4 && context.Int4Activations != Int4Activations.Float32
        && w.GroupSize == Int8Activations.Group;

    public static Int4Rows Rows(MatrixSource w) => new((byte*)w.Data, w.Scales, w.Cols);

    /// <summary>
    /// y = q · W^T over quantized activations, for the rows of w in chunks of <paramref name="rowsPerChunk"/>.
    /// </summary>
    public static void RunInteger(Int4Rows w, int outRows, Int8Activations q, StridedView y, int rowsPerChunk,
        KernelContext context)
    {
        int chunks = (outRows + rowsPerChunk - 1) / rowsPerChunk;
        switch (context.Width)
        {
            case SimdWidth.V512:
                RunJob(new IntegerJob<Int4Int8V512>(w, outRows, q, y, rowsPerChunk), chunks, context);
                break;
            case SimdWidth.V256:
                RunJob(new IntegerJob<Int4Int8V256>(w, outRows, q, y, rowsPerChunk), chunks, context);
                break;
            default:
                RunJob(new IntegerJob<Int4Int8Scalar>(w, outRows, q, y, rowsPerChunk), chunks, context);
                break;
        }
    }

    /// <summary>
    /// Rows per chunk: about ChunkBytes of weights, a multiple of 16, and at least four chunks per thread when the
    /// matrix allows.
    /// </summary>
    public static int RowsPerChunk(MatrixSource w, int threads)
    {
        long rowBytes = Math.Max(1, w.ByteSize / Math.Max(1, w.Rows));
        int byBytes = (int)Math.Max(16, ChunkBytes / rowBytes / 16 * 16);
        int byBalance = Math.Max(16, (w.Rows / (4 * threads) + 15) / 16 * 16);
        return Math.Min(byBytes, byBalance);
    }

    /// <summary>y[n - n0] = row n of w · activation row t, n in [n0, n1), four sequential streams at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void IntegerRows<TOp>(Int4Rows w, int n0, int n1, Int8Activations x, int t, float* y)
        where TOp : IInt4Int8Op => TOp.Rows(w, n0, n1, x, t, y);

    private static void RunJob<TJob>(TJob job, int chunks, KernelContext context) where TJob : struct, IParallelJob =>
        context.Pool.Run(ref job, chunks);

    private readonly struct Bf16Job<TOp>(MatrixSource w, Bf16Activations x, StridedView y, int rowsPerChunk)
        : IParallelJob where TOp : IBf16Op
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int chunk)
        {
            int n0 = chunk * rowsPerChunk, n1 = Math.Min(w.Rows, n0 + rowsPerChunk);
            for (int t = 0; t < y.Rows; t++)
                TOp.Rows(new Bf16Dot((ushort*)w.Data, w.Cols, x, t), n0, n1, y.Row(t) + n0);
        }
    }

    private readonly struct IntegerJob<TOp>(Int4Rows w, int outRows, Int8Activations x, StridedView y, int rowsPerChunk)
        : IParallelJob where TOp : IInt4Int8Op
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int chunk)
        {
            int n0 = chunk * rowsPerChunk, n1 = Math.Min(outRows, n0 + rowsPerChunk);
            for (int t = 0; t < y.Rows; t++) IntegerRows<TOp>(w, n0, n1, x, t, y.Row(t) + n0);
        }
    }

    /// <summary>
    /// FP8 at Vector512 with one decoder: the activation rows as the AVX-512 body reads them (Fp8V512.ScaleInput),
    /// scaled once per call, not per chunk.
    /// </summary>
    private static void RunFp8V512<TDecode>(StridedView x, MatrixSource w, StridedView y, int rows, int chunks,
        KernelContext context) where TDecode : struct, IFp8Decode<TDecode>
    {
        float* scaled = context.Activations.Get<float>((long)x.Rows * x.Cols + x.Rows);
        float* us = scaled + (long)x.Rows * x.Cols;
        for (int t = 0; t < x.Rows; t++) us[t] = Fp8V512.ScaleInput(x.Row(t), x.Cols, scaled + (long)t * x.Cols);
        var xs = new StridedView(scaled, x.Rows, x.Cols, x.Cols);
        RunJob(new Fp8Job<Fp8V512<TDecode>>(new Fp8Rows(w), w.Rows, xs, us, y, rows), chunks, context);
    }

    /// <summary>FP8 rows; us (when not null) holds each row of x's u: x is then already as ScaleInput leaves it.</summary>
    private readonly struct Fp8Job<TOp>(Fp8Rows w, int outRows, StridedView x, float* us, StridedView y,
        int rowsPerChunk) : IParallelJob where TOp : IFp8Op
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int chunk)
        {
            int n0 = chunk * rowsPerChunk, n1 = Math.Min(outRows, n0 + rowsPerChunk);
            float** xs = stackalloc float*[4];
            float** ys = stackalloc float*[4];
            for (int t = 0; t < y.Rows; t += 4)
            {
                int count = Math.Min(4, y.Rows - t);
                for (int k = 0; k < count; k++)
                {
                    xs[k] = x.Row(t + k);
                    ys[k] = y.Row(t + k) + n0;
                }
                if (us is null) Fp8Kernel.RowsTokens<TOp>(w, n0, n1, xs, ys, count);
                else Fp8Kernel.ScaledRowsTokens<TOp>(w, n0, n1, xs, us + t, ys, count);
            }
        }
    }

    /// <summary>
    /// The exact float32 INT4 path: rows dotted straight from the packed layout with permuted activations.
    /// </summary>
    private readonly struct Int4FloatJob<TOp, TAcc>(MatrixSource w, StridedView xp, StridedView y, int rowsPerChunk)
        : IParallelJob where TOp : IRowOp<Int4FloatDot, NoBlock, TAcc> where TAcc : struct
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int chunk)
        {
            int n0 = chunk * rowsPerChunk, n1 = Math.Min(w.Rows, n0 + rowsPerChunk);
            float* sv = stackalloc float[16];
            for (int t = 0; t < xp.Rows; t++)
            {
                var d = new Int4FloatDot((int*)w.Data, w.Scales, w.Cols, w.GroupSize, xp.Row(t), sv);
                RowDriver<TOp, Int4FloatDot, NoBlock, TAcc>.Rows(d, n0, n1, y.Row(t) + n0);
            }
        }
    }
}
