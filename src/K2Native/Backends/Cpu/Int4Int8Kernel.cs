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
    /// <summary>y[i·stride] = row r + i·stride of w dotted with activation row t of x, i = 0..3.</summary>
    static abstract void Rows4(Int4Rows w, int r, int stride, Int8Activations x, int t, float* y);

    /// <summary>Row r of w dotted with activation row t of x.</summary>
    static abstract float Row(Int4Rows w, int r, Int8Activations x, int t);
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

internal readonly unsafe struct Int4Int8Scalar : IInt4Int8Op
{
    public static void Rows4(Int4Rows w, int r, int stride, Int8Activations x, int t, float* y)
    {
        for (int i = 0; i < 4; i++) y[i * stride] = Row(w, r + i * stride, x, t);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(Int4Rows w, int r, Int8Activations x, int t)
    {
        byte* p = w.PackedRow(r);
        ushort* ws = w.ScaleRow(r);
        var a = new ActivationRow(x, t);
        int k = x.Terms == 2 ? Int8Activations.SecondTermScale : 1;
        float acc = 0;
        for (int word = 0; word < w.Cols / 8; word++)
        {
            int sum = a.Correction[word];
            for (int i = 0; i < 4; i++)
            {
                int b = 4 * word + i;
                int even = k * a.Even[b] + (a.Even2 == null ? 0 : a.Even2[b]);
                int odd = k * a.Odd[b] + (a.Odd2 == null ? 0 : a.Odd2[b]);
                sum += (p[b] & 0xF) * even + (p[b] >> 4) * odd;
            }
            acc = MathF.FusedMultiplyAdd(sum * a.Scale[word], Bf16.ToFloat(ws[word / 4]), acc);
        }
        return acc;
    }
}

internal readonly unsafe struct Int4Int8V512 : IInt4Int8Op
{
    public static void Rows4(Int4Rows w, int r, int stride, Int8Activations x, int t, float* y)
    {
        if (x.Terms == 2) Rows4<TwoPlanes>(w, r, stride, new ActivationRow(x, t), y);
        else Rows4<OnePlane>(w, r, stride, new ActivationRow(x, t), y);
    }

    public static float Row(Int4Rows w, int r, Int8Activations x, int t) =>
        x.Terms == 2 ? Row<TwoPlanes>(w, r, new ActivationRow(x, t)) : Row<OnePlane>(w, r, new ActivationRow(x, t));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4<TPlanes>(Int4Rows w, int r, int stride, ActivationRow x, float* y) where TPlanes : IPlanes
    {
        byte* p0 = w.PackedRow(r), p1 = w.PackedRow(r + stride), p2 = w.PackedRow(r + 2 * stride), p3 = w.PackedRow(r + 3 * stride);
        ushort* s0 = w.ScaleRow(r), s1 = w.ScaleRow(r + stride), s2 = w.ScaleRow(r + 2 * stride), s3 = w.ScaleRow(r + 3 * stride);
        var a0 = Vector512<float>.Zero;
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int blocks = w.Cols / 128;
        for (int j = 0; j < blocks; j++)
        {
            var b = Block.Load<TPlanes>(x, j);
            a0 = Step<TPlanes>(Vector512.Load(p0 + 64 * j), GroupScales(s0 + 4 * j), b, a0);
            a1 = Step<TPlanes>(Vector512.Load(p1 + 64 * j), GroupScales(s1 + 4 * j), b, a1);
            a2 = Step<TPlanes>(Vector512.Load(p2 + 64 * j), GroupScales(s2 + 4 * j), b, a2);
            a3 = Step<TPlanes>(Vector512.Load(p3 + 64 * j), GroupScales(s3 + 4 * j), b, a3);
        }
        if (w.Cols % 128 != 0)
        {
            int tail = (w.Cols % 128) / Int8Activations.Group;
            var mask = TailMask(tail);
            var b = Block.Load<TPlanes>(x, blocks);
            a0 = Step<TPlanes>(Avx512BW.MaskLoad(p0 + 64 * blocks, mask, default), TailScales(s0 + 4 * blocks, tail), b, a0);
            a1 = Step<TPlanes>(Avx512BW.MaskLoad(p1 + 64 * blocks, mask, default), TailScales(s1 + 4 * blocks, tail), b, a1);
            a2 = Step<TPlanes>(Avx512BW.MaskLoad(p2 + 64 * blocks, mask, default), TailScales(s2 + 4 * blocks, tail), b, a2);
            a3 = Step<TPlanes>(Avx512BW.MaskLoad(p3 + 64 * blocks, mask, default), TailScales(s3 + 4 * blocks, tail), b, a3);
        }
        y[0] = Vector512.Sum(a0);
        y[stride] = Vector512.Sum(a1);
        y[2 * stride] = Vector512.Sum(a2);
        y[3 * stride] = Vector512.Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Row<TPlanes>(Int4Rows w, int r, ActivationRow x) where TPlanes : IPlanes
    {
        byte* p = w.PackedRow(r);
        ushort* ws = w.ScaleRow(r);
        var acc = Vector512<float>.Zero;
        int blocks = w.Cols / 128;
        for (int j = 0; j < blocks; j++)
            acc = Step<TPlanes>(Vector512.Load(p + 64 * j), GroupScales(ws + 4 * j), Block.Load<TPlanes>(x, j), acc);
        if (w.Cols % 128 != 0)
        {
            int tail = (w.Cols % 128) / Int8Activations.Group;
            acc = Step<TPlanes>(Avx512BW.MaskLoad(p + 64 * blocks, TailMask(tail), default), TailScales(ws + 4 * blocks, tail), Block.Load<TPlanes>(x, blocks), acc);
        }
        return Vector512.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Step<TPlanes>(Vector512<byte> q, Vector512<float> wscale, Block b, Vector512<float> acc) where TPlanes : IPlanes
    {
        var nibble = Vector512.Create((byte)0x0F);
        var lo = q & nibble;
        // GF(2) affine map: bits 4..7 of each byte to bits 0..3, zeros above (one instruction for shift + mask).
        var hi = Gfni.V512.IsSupported ? Gfni.V512.GaloisFieldAffineTransform(q, Vector512.Create(0x1020408000000000UL).AsByte(), 0)
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

    /// <summary>The bf16 scales of four consecutive groups, each widened to float in the four lanes of its 128-bit lane.</summary>
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

    /// <summary>Byte shuffle: 128-bit lane L takes bf16 L of the broadcast qword into the high half of each dword (0x80 zeroes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Spread() => Vector512.Create(
        0x0100_8080u, 0x0100_8080u, 0x0100_8080u, 0x0100_8080u, 0x0302_8080u, 0x0302_8080u, 0x0302_8080u, 0x0302_8080u,
        0x0504_8080u, 0x0504_8080u, 0x0504_8080u, 0x0504_8080u, 0x0706_8080u, 0x0706_8080u, 0x0706_8080u, 0x0706_8080u).AsByte();

    private static Vector512<byte> TailMask(int groups) =>
        Vector512.LessThan(Vector512<byte>.Indices, Vector512.Create((byte)(16 * groups)));

    /// <summary>The activation vectors of block j (128 columns), loaded once and shared by the rows of a pass.</summary>
    private readonly struct Block
    {
        public Vector512<sbyte> Even { get; init; }

        public Vector512<sbyte> Odd { get; init; }

        public Vector512<sbyte> Even2 { get; init; }

        public Vector512<sbyte> Odd2 { get; init; }

        public Vector512<int> Correction { get; init; }

        public Vector512<float> Scale { get; init; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block Load<TPlanes>(ActivationRow x, int j) where TPlanes : IPlanes => new()
        {
            Even = Vector512.Load(x.Even + 64 * j),
            Odd = Vector512.Load(x.Odd + 64 * j),
            Even2 = TPlanes.Two ? Vector512.Load(x.Even2 + 64 * j) : default,
            Odd2 = TPlanes.Two ? Vector512.Load(x.Odd2 + 64 * j) : default,
            Correction = Vector512.Load(x.Correction + 16 * j),
            Scale = Vector512.Load(x.Scale + 16 * j),
        };
    }
}

internal readonly unsafe struct Int4Int8V256 : IInt4Int8Op
{
    public static void Rows4(Int4Rows w, int r, int stride, Int8Activations x, int t, float* y)
    {
        for (int i = 0; i < 4; i++) y[i * stride] = Row(w, r + i * stride, x, t);
    }

    public static float Row(Int4Rows w, int r, Int8Activations x, int t) =>
        x.Terms == 2 ? Row<TwoPlanes>(w, r, new ActivationRow(x, t)) : Row<OnePlane>(w, r, new ActivationRow(x, t));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Row<TPlanes>(Int4Rows w, int r, ActivationRow x) where TPlanes : IPlanes
    {
        byte* p = w.PackedRow(r);
        ushort* ws = w.ScaleRow(r);
        var acc = Vector256<float>.Zero;
        int blocks = (w.Cols + 63) / 64;
        bool half = w.Cols % 64 != 0;
        for (int j = 0; j < blocks; j++)
        {
            bool last = half && j == blocks - 1;
            var q = last ? Vector256.Create(Vector128.Load(p + 32 * j), Vector128<byte>.Zero) : Vector256.Load(p + 32 * j);
            uint scaleBits = last ? ws[2 * j] : *(uint*)(ws + 2 * j);
            var spread = Vector256.Create(0x0100_8080u, 0x0100_8080u, 0x0100_8080u, 0x0100_8080u, 0x0302_8080u, 0x0302_8080u, 0x0302_8080u, 0x0302_8080u).AsByte();
            var wscale = Avx2.Shuffle(Vector256.Create(scaleBits).AsByte(), spread).AsSingle();
            var nibble = Vector256.Create((byte)0x0F);
            var lo = q & nibble;
            var hi = Vector256.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & nibble;
            var s16 = Avx2.MultiplyAddAdjacent(lo, Vector256.Load(x.Even + 32 * j)) + Avx2.MultiplyAddAdjacent(hi, Vector256.Load(x.Odd + 32 * j));
            Vector256<int> s32;
            if (TPlanes.Two)
            {
                var t16 = Avx2.MultiplyAddAdjacent(lo, Vector256.Load(x.Even2 + 32 * j)) + Avx2.MultiplyAddAdjacent(hi, Vector256.Load(x.Odd2 + 32 * j));
                s32 = Avx2.MultiplyAddAdjacent(s16, Vector256.Create((short)Int8Activations.SecondTermScale)) + Avx2.MultiplyAddAdjacent(t16, Vector256<short>.One);
            }
            else
            {
                s32 = Avx2.MultiplyAddAdjacent(s16, Vector256<short>.One);
            }
            s32 += Vector256.Load(x.Correction + 8 * j);
            acc = Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(s32) * Vector256.Load(x.Scale + 8 * j), wscale, acc);
        }
        return Vector256.Sum(acc);
    }
}
