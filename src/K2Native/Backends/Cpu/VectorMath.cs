// Vectorized building blocks over raw float/bf16 memory: dot products, bf16 widening, element-wise ops.
// Each has a Vector512 body, a Vector256 body and a scalar tail; callers pick the width (Simd.Best).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using K2Native.Numerics;

namespace K2Native.Backends.Cpu;

internal static unsafe class VectorMath
{
    /// <summary>Σ a[i]·b[i].</summary>
    public static float Dot(float* a, float* b, int n, SimdWidth width)
    {
        int i = 0;
        float sum = 0;
        if (width == SimdWidth.V512 && n >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), acc1);
            }
            for (; i + 16 <= n; i += 16)
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (width >= SimdWidth.V256 && n >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), acc1);
            }
            for (; i + 8 <= n; i += 8)
                acc0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }

    /// <summary>dst[i] = float(src[i]).</summary>
    public static void WidenBf16(ushort* src, float* dst, int n, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            for (; i + 32 <= n; i += 32)
            {
                var (lo, hi) = WidenBf16(Vector512.Load(src + i));
                lo.Store(dst + i);
                hi.Store(dst + i + 16);
            }
        }
        else if (width == SimdWidth.V256)
        {
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = WidenBf16(Vector256.Load(src + i));
                lo.Store(dst + i);
                hi.Store(dst + i + 8);
            }
        }
        for (; i < n; i++) dst[i] = Bf16.ToFloat(src[i]);
    }

    /// <summary>acc[i] += delta[i].</summary>
    public static void Add(float* acc, float* delta, int n, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.V512)
            for (; i + 16 <= n; i += 16) (Vector512.Load(acc + i) + Vector512.Load(delta + i)).Store(acc + i);
        else if (width == SimdWidth.V256)
            for (; i + 8 <= n; i += 8) (Vector256.Load(acc + i) + Vector256.Load(delta + i)).Store(acc + i);
        for (; i < n; i++) acc[i] += delta[i];
    }

    /// <summary>acc[i] += scale·x[i].</summary>
    public static void AddScaled(float* acc, float* x, float scale, int n, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            var s = Vector512.Create(scale);
            for (; i + 16 <= n; i += 16) Vector512.FusedMultiplyAdd(Vector512.Load(x + i), s, Vector512.Load(acc + i)).Store(acc + i);
        }
        else if (width == SimdWidth.V256)
        {
            var s = Vector256.Create(scale);
            for (; i + 8 <= n; i += 8) Vector256.FusedMultiplyAdd(Vector256.Load(x + i), s, Vector256.Load(acc + i)).Store(acc + i);
        }
        for (; i < n; i++) acc[i] = MathF.FusedMultiplyAdd(x[i], scale, acc[i]);
    }

    /// <summary>y[i] = silu(gate[i])·up[i] = gate/(1+exp(-gate))·up; y may alias either input.</summary>
    public static void SiluMul(float* gate, float* up, float* y, int n, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            for (; i + 16 <= n; i += 16)
            {
                var g = Vector512.Load(gate + i);
                (g / (Vector512<float>.One + Vector512.Exp(-g)) * Vector512.Load(up + i)).Store(y + i);
            }
        }
        else if (width == SimdWidth.V256)
        {
            for (; i + 8 <= n; i += 8)
            {
                var g = Vector256.Load(gate + i);
                (g / (Vector256<float>.One + Vector256.Exp(-g)) * Vector256.Load(up + i)).Store(y + i);
            }
        }
        for (; i < n; i++)
        {
            float g = gate[i];
            y[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary>x[i] *= scale.</summary>
    public static void Scale(float* x, float scale, int n, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            var s = Vector512.Create(scale);
            for (; i + 16 <= n; i += 16) (Vector512.Load(x + i) * s).Store(x + i);
        }
        else if (width == SimdWidth.V256)
        {
            var s = Vector256.Create(scale);
            for (; i + 8 <= n; i += 8) (Vector256.Load(x + i) * s).Store(x + i);
        }
        for (; i < n; i++) x[i] *= scale;
    }

    /// <summary>Σ x[i]².</summary>
    public static float SumOfSquares(float* x, int n, SimdWidth width) => Dot(x, x, n, width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> Lo, Vector512<float> Hi) WidenBf16(Vector512<ushort> bits) =>
        (Vector512.ShiftLeft(Vector512.WidenLower(bits), 16).AsSingle(), Vector512.ShiftLeft(Vector512.WidenUpper(bits), 16).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Lo, Vector256<float> Hi) WidenBf16(Vector256<ushort> bits) =>
        (Vector256.ShiftLeft(Vector256.WidenLower(bits), 16).AsSingle(), Vector256.ShiftLeft(Vector256.WidenUpper(bits), 16).AsSingle());
}
