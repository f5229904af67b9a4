// Dot products of INT4 weight rows (compressed-tensors layout, read in place, group size 32) with int8
// activation rows (Int8Activations.cs). Packed byte b of a row holds columns 2b (low nibble) and 2b+1
// (high nibble), so the low nibbles of 64 bytes meet Even[b] and the high nibbles Odd[b], byte for byte:
//   s16  = maddubs(lo, even) + maddubs(hi, odd)       (u8 x s8 pairs: |s16| <= 4·15·127, no saturation)
//   s32  = maddwd(s16, 1) + correction                  (one lane per packed word = 8 columns; the -8 offset)
//          [two terms: maddwd(s16, 254) + maddwd(s16 of the second planes, 1) + correction]
//   acc += float(s32) · xscale · wscale                 (a 128-bit lane is one group of 32 columns)
// No VNNI: .NET 10 exposes VPDPBUSD only in the VEX form (AvxVnni), which AVX-512 Zen 4 lacks; AvxVnni.V512
// arrives in .NET 11. The Vector512 operator reads four rows per pass (activation loads shared, tails masked);
// the Vector256 one (machines without AVX-512) one row at a time, a half block for a 32-column tail.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using K2Native.Numerics;

namespace K2Native.Backends.Cpu;

/// <summary>One INT4 matrix in place: packed bytes [rows, cols/2], bf16 scales [rows, cols/32].</summary>
internal readonly unsafe struct Int4Rows(byte* packed, ushort* scales, int cols)
{
    public byte* Packed { get; } = packed;

    public ushort* Scales { get; } = scales;

    public int Cols { get; } = cols;

    public byte* PackedRow(int r) => Packed + (long)r * (Cols / 2);

    public ushort* ScaleRow(int r) => Scales + (long)r * (Cols / Int8Activations.Group);
}

/// <summary>The INT4 x int8 row kernels at one vector width.</summary>
internal unsafe interface IInt4Int8Op
{
    /// <summary>y[n - n0] = row n of w · activation row t of x, n in [n0, n1) (RowDriver.Rows).</summary>
    static abstract void Rows(Int4Rows w, int n0, int n1, Int8Activations x, int t, float* y);
}

/// <summary>The INT4 x int8 problem of one activation row.</summary>
internal readonly unsafe struct Int4Int8Dot(Int4Rows w, ActivationRow x) : IRowProblem
{
    public Int4Rows W { get; } = w;

    public ActivationRow X { get; } = x;

    public int Cols => W.Cols;

    public WeightRow Row(int r) => new(W.PackedRow(r), W.ScaleRow(r));

    /// <summary>Rows of w · activation row t of x with TOne (one plane) or TTwo (two), as x has.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rows<TOne, TTwo, TBlock, TAcc>(Int4Rows w, int n0, int n1, Int8Activations x, int t, float* y)
        where TOne : IRowOp<Int4Int8Dot, TBlock, TAcc>
        where TTwo : IRowOp<Int4Int8Dot, TBlock, TAcc>
        where TBlock : struct
        where TAcc : struct
    {
        var d = new Int4Int8Dot(w, new ActivationRow(x, t));
        if (x.Terms == 2) RowDriver<TTwo, Int4Int8Dot, TBlock, TAcc>.Rows(d, n0, n1, y);
        else RowDriver<TOne, Int4Int8Dot, TBlock, TAcc>.Rows(d, n0, n1, y);
    }
}

/// <summary>Compile-time choice of one or two activation planes, so each kernel loop is specialized.</summary>
internal interface IPlanes
{
    static abstract bool Two { get; }
}

internal readonly struct OnePlane : IPlanes
{
    public static bool Two => false;
}

internal readonly struct TwoPlanes : IPlanes
{
    public static bool Two => true;
}

/// <summary>One token's activation vectors for a block of packed words (both planes when there are two).</summary>
internal readonly unsafe struct ActivationRow(Int8Activations x, int t)
{
    public sbyte* Even { get; } = x.EvenRow(t);

    public sbyte* Odd { get; } = x.OddRow(t);

    public sbyte* Even2 { get; } = x.Terms == 2 ? x.Even2Row(t) : null;

    public sbyte* Odd2 { get; } = x.Terms == 2 ? x.Odd2Row(t) : null;

    public int* Correction { get; } = x.CorrectionRow(t);

    public float* Scale { get; } = x.ScaleRow(t);
}

internal readonly unsafe struct Int4Int8Scalar : IInt4Int8Op, IRowOp<Int4Int8Dot, NoBlock, float>
{
    public static int RowsPerPass => 1;

    /// <summary>One packed word.</summary>
    public static int BlockCols => 8;

    public static void Rows(Int4Rows w, int n0, int n1, Int8Activations x, int t, float* y) =>
        RowDriver<Int4Int8Scalar, Int4Int8Dot, NoBlock, float>.Rows(new(w, new(x, t)), n0, n1, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Step(in Int4Int8Dot d, in NoBlock x, WeightRow w, int word, float acc)
    {
        var a = d.X;
        byte* p = w.Data;
        int k = a.Even2 == null ? 1 : Int8Activations.SecondTermScale;
        int sum = a.Correction[word];
        for (int i = 0; i < 4; i++)
        {
            int b = 4 * word + i;
            int even = k * a.Even[b] + (a.Even2 == null ? 0 : a.Even2[b]);
            int odd = k * a.Odd[b] + (a.Odd2 == null ? 0 : a.Odd2[b]);
            sum += (p[b] & 0xF) * even + (p[b] >> 4) * odd;
        }
        return MathF.FusedMultiplyAdd(sum * a.Scale[word], Bf16.ToFloat(((ushort*)w.Scales)[word / 4]), acc);
    }

    public static float Sum(float acc) => acc;
}

/// <summary>Vector512: four rows per pass share each block's activation loads; the last block is masked.</summary>
internal readonly unsafe struct Int4Int8V512 : IInt4Int8Op
{
    public static void Rows(Int4Rows w, int n0, int n1, Int8Activations x, int t, float* y) =>
        Int4Int8Dot.Rows<Int4Int8V512<OnePlane>, Int4Int8V512<TwoPlanes>, Int4Block512, Vector512<float>>(
            w, n0, n1, x, t, y);
}

internal readonly unsafe struct Int4Int8V512<TPlanes> : IRowOp<Int4Int8Dot, Int4Block512, Vector512<float>>
    where TPlanes : IPlanes
{
    public static int RowsPerPass => 4;

    /// <summary>64 packed bytes: four groups, one per 128-bit lane.</summary>
    public static int BlockCols => 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int4Block512 Load(in Int4Int8Dot d, int j) => Int4Block512.Load<TPlanes>(d.X, j, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int4Block512 LoadTail(in Int4Int8Dot d, int j, int count) =>
        Int4Block512.Load<TPlanes>(
            d.X, j, Vector512.LessThan(Vector512<byte>.Indices, Vector512.Create((byte)(count / 2))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Step(in Int4Int8Dot d, in Int4Block512 x, WeightRow w, int j,
        Vector512<float> acc) =>
        Fma(Vector512.Load(w.Data + 64 * j), GroupScales((ushort*)w.Scales + 4 * j), x, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> StepTail(in Int4Int8Dot d, in Int4Block512 x, WeightRow w, int j, int count,
        Vector512<float> acc) =>
        Fma(Avx512BW.MaskLoad(w.Data + 64 * j, x.Mask, default),
            TailScales((ushort*)w.Scales + 4 * j, count / Int8Activations.Group), x, acc);

    public static float Sum(Vector512<float> acc) => Vector512.Sum(acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<byte> q, Vector512<float> wscale, in Int4Block512 b,
        Vector512<float> acc)
    {
        var nibble = Vector512.Create((byte)0x0F);
        var lo = q & nibble;
        // GF(2) affine map: bits 4..7 of each byte to bits 0..3, zeros above (one instruction for shift + mask).
        var hi = Gfni.V512.IsSupported
            ? Gfni.V512.GaloisFieldAffineTransform(q, Vector512.Create(0x1020408000000000UL).AsByte(), 0)
            : Vector512.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & nibble;
        var s16 = Avx512BW.MultiplyAddAdjacent(lo, b.Even) + Avx512BW.MultiplyAddAdjacent(hi, b.Odd);
        Vector512<int> s32;
        if (TPlanes.Two)
        {
            var t16 = Avx512BW.MultiplyAddAdjacent(lo, b.Even2) + Avx512BW.MultiplyAddAdjacent(hi, b.Odd2);
            s32 = Avx512BW.MultiplyAddAdjacent(s16, Vector512.Create((short)Int8Activations.SecondTermScale))
                + Avx512BW.MultiplyAddAdjacent(t16, Vector512<short>.One) + b.Correction;
        }
        else
        {
            s32 = Avx512BW.MultiplyAddAdjacent(s16, Vector512<short>.One) + b.Correction;
        }
        return Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(s32) * b.Scale, wscale, acc);
    }

    /// <summary>
    /// The bf16 scales of four consecutive groups, each widened to float in the four lanes of its 128-bit lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> GroupScales(ushort* scales) =>
        Avx512BW.Shuffle(Vector512.Create(*(ulong*)scales).AsByte(), Spread()).AsSingle();

    /// <summary>GroupScales for the 1..3 groups of a row's last block, without reading past the row's scales.</summary>
    private static Vector512<float> TailScales(ushort* scales, int groups)
    {
        ulong bits = 0;
        for (int g = 0; g < groups; g++) bits |= (ulong)scales[g] << (16 * g);
        return Avx512BW.Shuffle(Vector512.Create(bits).AsByte(), Spread()).AsSingle();
    }

    /// <summary>
    /// Byte shuffle: 128-bit lane L takes bf16 L of the broadcast qword into the high half of each dword (0x80
    /// zeroes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Spread() => Vector512.Create(
        0x0100_8080u, 0x0100_8080u, 0x0100_8080u, 0x0100_8080u, 0x0302_8080u, 0x0302_8080u, 0x0302_8080u, 0x0302_8080u,
        0x0504_8080u, 0x0504_8080u, 0x0504_8080u, 0x0504_8080u, 0x0706_8080u, 0x0706_8080u, 0x0706_8080u,
        0x0706_8080u).AsByte();
}

/// <summary>
/// The activation vectors of one 128-column block, loaded once and shared by the rows of a pass; in the last block,
/// the mask of the packed bytes that exist.
/// </summary>
internal readonly unsafe struct Int4Block512
{
    public Vector512<sbyte> Even { get; init; }

    public Vector512<sbyte> Odd { get; init; }

    public Vector512<sbyte> Even2 { get; init; }

    public Vector512<sbyte> Odd2 { get; init; }

    public Vector512<int> Correction { get; init; }

    public Vector512<float> Scale { get; init; }

    public Vector512<byte> Mask { get; init; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int4Block512 Load<TPlanes>(ActivationRow x, int j, Vector512<byte> mask)
        where TPlanes : IPlanes => new()
    {
        Even = Vector512.Load(x.Even + 64 * j),
        Odd = Vector512.Load(x.Odd + 64 * j),
        Even2 = TPlanes.Two ? Vector512.Load(x.Even2 + 64 * j) : default,
        Odd2 = TPlanes.Two ? Vector512.Load(x.Odd2 + 64 * j) : default,
        Correction = Vector512.Load(x.Correction + 16 * j),
        Scale = Vector512.Load(x.Scale + 16 * j),
        Mask = mask,
    };
}

/// <summary>Vector256 (machines without AVX-512): one row at a time, a half block for a 32-column tail.</summary>
internal readonly unsafe struct Int4Int8V256 : IInt4Int8Op
{
    public static void Rows(Int4Rows w, int n0, int n1, Int8Activations x, int t, float* y) =>
        Int4Int8Dot.Rows<Int4Int8V256<OnePlane>, Int4Int8V256<TwoPlanes>, NoBlock, Vector256<float>>(
            w, n0, n1, x, t, y);
}

internal readonly unsafe struct Int4Int8V256<TPlanes> : IRowOp<Int4Int8Dot, NoBlock, Vector256<float>>
    where TPlanes : IPlanes
{
    public static int RowsPerPass => 1;

    /// <summary>32 packed bytes: two groups, one per 128-bit lane.</summary>
    public static int BlockCols => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Step(in Int4Int8Dot d, in NoBlock x, WeightRow w, int j, Vector256<float> acc) =>
        Fma(d.X, Vector256.Load(w.Data + 32 * j), *(uint*)((ushort*)w.Scales + 2 * j), j, acc);

    /// <summary>The last 32 columns: the low half of a block (the upper half's scale is zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> StepTail(in Int4Int8Dot d, in NoBlock x, WeightRow w, int j, int count,
        Vector256<float> acc) =>
        Fma(d.X, Vector256.Create(Vector128.Load(w.Data + 32 * j), Vector128<byte>.Zero), ((ushort*)w.Scales)[2 * j], j,
            acc);

    public static float Sum(Vector256<float> acc) => Vector256.Sum(acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(in ActivationRow x, Vector256<byte> q, uint scaleBits, int j,
        Vector256<float> acc)
    {
        var spread = Vector256.Create(
            0x0100_8080u, 0x0100_8080u, 0x0100_8080u, 0x0100_8080u, 0x0302_8080u, 0x0302_8080u, 0x0302_8080u,
            0x0302_8080u).AsByte();
        var wscale = Avx2.Shuffle(Vector256.Create(scaleBits).AsByte(), spread).AsSingle();
        var nibble = Vector256.Create((byte)0x0F);
        var lo = q & nibble;
        var hi = Vector256.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & nibble;
        var s16 = Avx2.MultiplyAddAdjacent(lo, Vector256.Load(x.Even + 32 * j))
            + Avx2.MultiplyAddAdjacent(hi, Vector256.Load(x.Odd + 32 * j));
        Vector256<int> s32;
        if (TPlanes.Two)
        {
            var t16 = Avx2.MultiplyAddAdjacent(lo, Vector256.Load(x.Even2 + 32 * j))
                + Avx2.MultiplyAddAdjacent(hi, Vector256.Load(x.Odd2 + 32 * j));
            s32 = Avx2.MultiplyAddAdjacent(s16, Vector256.Create((short)Int8Activations.SecondTermScale))
                + Avx2.MultiplyAddAdjacent(t16, Vector256<short>.One);
        }
        else
        {
            s32 = Avx2.MultiplyAddAdjacent(s16, Vector256<short>.One);
        }
        s32 += Vector256.Load(x.Correction + 8 * j);
        var scaled = Avx.ConvertToVector256Single(s32) * Vector256.Load(x.Scale + 8 * j);
        return Vector256.FusedMultiplyAdd(scaled, wscale, acc);
    }
}
