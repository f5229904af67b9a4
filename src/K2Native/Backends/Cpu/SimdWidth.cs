// Which vector width a CPU kernel runs at. Kernels take it as a parameter so tests can drive every
// path (scalar, Vector256, Vector512) on one machine; production code passes Best. IFloatVector lets an operator
// whose Vector256 and Vector512 steps differ only in the width be written once.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace K2Native.Backends.Cpu;

/// <summary>Vector width of the CPU kernels.</summary>
public enum SimdWidth
{
    /// <summary>Plain scalar code.</summary>
    Scalar,

    /// <summary>System.Runtime.Intrinsics.Vector256 (AVX2).</summary>
    V256,

    /// <summary>System.Runtime.Intrinsics.Vector512 (AVX-512).</summary>
    V512,
}

internal static class Simd
{
    /// <summary>The widest accelerated width of this machine.</summary>
    public static readonly SimdWidth Best =
        Vector512.IsHardwareAccelerated ? SimdWidth.V512 :
        Vector256.IsHardwareAccelerated ? SimdWidth.V256 : SimdWidth.Scalar;

    /// <summary>Every width this machine can run, for tests.</summary>
    public static IEnumerable<SimdWidth> Supported()
    {
        yield return SimdWidth.Scalar;
        if (Vector256.IsHardwareAccelerated) yield return SimdWidth.V256;
        if (Vector512.IsHardwareAccelerated) yield return SimdWidth.V512;
    }
}

/// <summary>
/// A float vector of one width (Float256, Float512: wrappers of Vector256 and Vector512), the operations that
/// width-generic operators use.
/// </summary>
internal unsafe interface IFloatVector<TSelf> where TSelf : struct, IFloatVector<TSelf>
{
    /// <summary>Lanes.</summary>
    static abstract int Count { get; }

    static abstract TSelf Load(float* p);

    static abstract TSelf FusedMultiplyAdd(TSelf a, TSelf b, TSelf addend);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract float Sum(TSelf v);

    /// <summary>
    /// Lane l: Σ_i (nibble i of words[l] - 8)·x[i·Count + l], i = 0..7, one fused multiply-add at a time: an INT4
    /// block of Count packed words against activations in the order Int4Kernels.PermuteActivations gives.
    /// </summary>
    static abstract TSelf Int4Block(uint* words, float* x);
}

/// <summary>Vector512&lt;float&gt; as an IFloatVector.</summary>
internal readonly unsafe struct Float512(Vector512<float> v) : IFloatVector<Float512>
{
    public Vector512<float> V { get; } = v;

    public static int Count => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Load(float* p) => new(Vector512.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 FusedMultiplyAdd(Float512 a, Float512 b, Float512 addend) =>
        new(Vector512.FusedMultiplyAdd(a.V, b.V, addend.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 operator +(Float512 a, Float512 b) => new(a.V + b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Float512 v) => Vector512.Sum(v.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 Int4Block(uint* words, float* x)
    {
        var q = Vector512.Load(words);
        var part = Vector512<float>.Zero;
        for (int i = 0; i < 8; i++)
        {
            var nibble = (Vector512.ShiftRightLogical(q, 4 * i) & Vector512.Create(0xFu)).AsInt32()
                - Vector512.Create(8);
            part = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(nibble), Vector512.Load(x + 16 * i), part);
        }
        return new(part);
    }
}

/// <summary>Vector256&lt;float&gt; as an IFloatVector.</summary>
internal readonly unsafe struct Float256(Vector256<float> v) : IFloatVector<Float256>
{
    public Vector256<float> V { get; } = v;

    public static int Count => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Load(float* p) => new(Vector256.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 FusedMultiplyAdd(Float256 a, Float256 b, Float256 addend) =>
        new(Vector256.FusedMultiplyAdd(a.V, b.V, addend.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 operator +(Float256 a, Float256 b) => new(a.V + b.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Float256 v) => Vector256.Sum(v.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 Int4Block(uint* words, float* x)
    {
        var q = Vector256.Load(words);
        var part = Vector256<float>.Zero;
        for (int i = 0; i < 8; i++)
        {
            var nibble = (Vector256.ShiftRightLogical(q, 4 * i) & Vector256.Create(0xFu)).AsInt32()
                - Vector256.Create(8);
            part = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(nibble), Vector256.Load(x + 8 * i), part);
        }
        return new(part);
    }
}
