// Vectorized building blocks over raw float/bf16 memory: dot products, bf16 widening, element-wise ops.
// Each element-wise op is an operator struct with one step per width (an element, a Vector256, a Vector512);
// Map owns the loop and the scalar tail. Dot is one row for RowDriver (RowDriver.cs), whose operators below own
// its steps. Callers pick the width (Simd.Best).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using K2Native.Numerics;

namespace K2Native.Backends.Cpu;

/// <summary>One element-wise operation over memory, one step per width; VectorMath.Map runs it.</summary>
internal interface IElementOp
{
    /// <summary>Element i.</summary>
    void Step(int i);

    /// <summary>Elements [i, i + 8).</summary>
    void Step256(int i);

    /// <summary>Elements [i, i + 16).</summary>
    void Step512(int i);
}

internal static unsafe class VectorMath
{
    /// <summary>Σ a[i]·b[i].</summary>
    public static float Dot(float* a, float* b, int n, SimdWidth width)
    {
        var d = new FloatDot(a, b, n);
        if (width == SimdWidth.V512 && n >= 16)
            return RowDriver<DotVector<Float512>, FloatDot, NoBlock, DotAcc<Float512>>.Row(d, 0);
        if (width >= SimdWidth.V256 && n >= 8)
            return RowDriver<DotVector<Float256>, FloatDot, NoBlock, DotAcc<Float256>>.Row(d, 0);
        return RowDriver<DotScalar, FloatDot, NoBlock, float>.Row(d, 0);
    }

    /// <summary>Σ x[i]².</summary>
    public static float SumOfSquares(float* x, int n, SimdWidth width) => Dot(x, x, n, width);

    /// <summary>dst[i] = float(src[i]).</summary>
    public static void WidenBf16(ushort* src, float* dst, int n, SimdWidth width) => Map(new Widen(src, dst), n, width);

    /// <summary>acc[i] += delta[i].</summary>
    public static void Add(float* acc, float* delta, int n, SimdWidth width) => Map(new AddOp(acc, delta), n, width);

    /// <summary>acc[i] += scale·x[i].</summary>
    public static void AddScaled(float* acc, float* x, float scale, int n, SimdWidth width) =>
        Map(new AddScaledOp(acc, x, scale), n, width);

    /// <summary>y[i] = silu(gate[i])·up[i] = gate/(1+exp(-gate))·up; y may alias either input.</summary>
    public static void SiluMul(float* gate, float* up, float* y, int n, SimdWidth width) =>
        Map(new SiluMulOp(gate, up, y), n, width);

    /// <summary>x[i] *= scale.</summary>
    public static void Scale(float* x, float scale, int n, SimdWidth width) => Map(new ScaleOp(x, scale), n, width);

    /// <summary>Runs op over [0, n): whole vectors of the width, then element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Map<TOp>(TOp op, int n, SimdWidth width) where TOp : struct, IElementOp
    {
        int i = 0;
        if (width == SimdWidth.V512)
            for (; i + 16 <= n; i += 16) op.Step512(i);
        else if (width == SimdWidth.V256)
            for (; i + 8 <= n; i += 8) op.Step256(i);
        for (; i < n; i++) op.Step(i);
    }

    private readonly struct Widen(ushort* src, float* dst) : IElementOp
    {
        public void Step(int i) => dst[i] = Bf16.ToFloat(src[i]);

        public void Step256(int i) =>
            Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(src + i).ToVector256Unsafe()), 16).AsSingle()
                .Store(dst + i);

        public void Step512(int i) =>
            Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load(src + i).ToVector512Unsafe()), 16).AsSingle()
                .Store(dst + i);
    }

    private readonly struct AddOp(float* acc, float* delta) : IElementOp
    {
        public void Step(int i) => acc[i] += delta[i];

        public void Step256(int i) => (Vector256.Load(acc + i) + Vector256.Load(delta + i)).Store(acc + i);

        public void Step512(int i) => (Vector512.Load(acc + i) + Vector512.Load(delta + i)).Store(acc + i);
    }

    private readonly struct AddScaledOp(float* acc, float* x, float scale) : IElementOp
    {
        public void Step(int i) => acc[i] = MathF.FusedMultiplyAdd(x[i], scale, acc[i]);

        public void Step256(int i) =>
            Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Create(scale), Vector256.Load(acc + i))
                .Store(acc + i);

        public void Step512(int i) =>
            Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Create(scale), Vector512.Load(acc + i))
                .Store(acc + i);
    }

    private readonly struct SiluMulOp(float* gate, float* up, float* y) : IElementOp
    {
        public void Step(int i)
        {
            float g = gate[i];
            y[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }

        public void Step256(int i)
        {
            var g = Vector256.Load(gate + i);
            (g / (Vector256<float>.One + Vector256.Exp(-g)) * Vector256.Load(up + i)).Store(y + i);
        }

        public void Step512(int i)
        {
            var g = Vector512.Load(gate + i);
            (g / (Vector512<float>.One + Vector512.Exp(-g)) * Vector512.Load(up + i)).Store(y + i);
        }
    }

    private readonly struct ScaleOp(float* x, float scale) : IElementOp
    {
        public void Step(int i) => x[i] *= scale;

        public void Step256(int i) => (Vector256.Load(x + i) * Vector256.Create(scale)).Store(x + i);

        public void Step512(int i) => (Vector512.Load(x + i) * Vector512.Create(scale)).Store(x + i);
    }

    /// <summary>Dot's problem: a and b of n floats (one "row", a).</summary>
    private readonly struct FloatDot(float* a, float* b, int n) : IRowProblem
    {
        public float* A { get; } = a;

        public float* B { get; } = b;

        public int N { get; } = n;

        public int Cols => N;

        public WeightRow Row(int r) => new(A);
    }

    /// <summary>Two vector sums (alternate vectors) and, once the last elements have run, the scalar total.</summary>
    private readonly record struct DotAcc<TVector>(TVector A0, TVector A1, float Rest) where TVector : struct;

    private readonly struct DotScalar : IRowOp<FloatDot, NoBlock, float>
    {
        public static int RowsPerPass => 1;

        public static int BlockCols => 1;

        public static float Step(in FloatDot d, in NoBlock x, WeightRow w, int i, float acc) =>
            MathF.FusedMultiplyAdd(d.A[i], d.B[i], acc);

        public static float Sum(float acc) => acc;
    }

    /// <summary>Blocks of 2·Count; the last block: one more vector if it fits, then element by element.</summary>
    private readonly struct DotVector<TVector> : IRowOp<FloatDot, NoBlock, DotAcc<TVector>>
        where TVector : struct, IFloatVector<TVector>
    {
        public static int RowsPerPass => 1;

        public static int BlockCols => 2 * TVector.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static DotAcc<TVector> Step(in FloatDot d, in NoBlock x, WeightRow w, int j, DotAcc<TVector> acc)
        {
            float* a = d.A + j * BlockCols, b = d.B + j * BlockCols;
            return acc with
            {
                A0 = TVector.FusedMultiplyAdd(TVector.Load(a), TVector.Load(b), acc.A0),
                A1 = TVector.FusedMultiplyAdd(TVector.Load(a + TVector.Count), TVector.Load(b + TVector.Count), acc.A1),
            };
        }

        public static DotAcc<TVector> StepTail(in FloatDot d, in NoBlock x, WeightRow w, int j, int count,
            DotAcc<TVector> acc)
        {
            int i = j * BlockCols;
            var a0 = acc.A0;
            if (count >= TVector.Count)
            {
                a0 = TVector.FusedMultiplyAdd(TVector.Load(d.A + i), TVector.Load(d.B + i), a0);
                i += TVector.Count;
            }
            float sum = TVector.Sum(a0 + acc.A1);
            for (; i < d.N; i++) sum = DotScalar.Step(d, x, w, i, sum);
            return new(default, default, sum);
        }

        public static float Sum(DotAcc<TVector> acc) => TVector.Sum(acc.A0 + acc.A1) + acc.Rest;
    }
}
