// The fast decodes of Fp8V512: 16 e4m3fn codes to one float32 vector, each float holding the code's sign, its four
// exponent bits as the float's low exponent bits and its three mantissa bits on top of the float's, nothing else:
// the code's value times 2^-120 exactly (a subnormal code becomes a denormal float, exact too). Two decoders give
// the same floats with different instructions, because CPUs differ in what is cheap:
// - Permute (GFNI + VBMI): one broadcast load, one GF(2) affine bit map that writes byte 2 of each float into the
//   first 16 bytes and byte 3 into the next 16 (zeros above), one byte permute that puts them in place: two ALU
//   instructions per 16 codes besides the FMA. On Intel cores 1.5x the shift decode's rate (docs/perf.md).
// - Shift: a sign-extending load to 32-bit lanes, a shift and a mask: three. On Zen 4, whose 512-bit permutes and
//   affine maps are slow, 1.3x the permute decode's rate (docs/perf.md).
// Denormal floats cost FMA a microcode assist on Intel cores and nothing on Zen 4 (measured, docs/perf.md), so where
// ChecksExponentZero is true the kernels send 64-code stretches holding a zero or subnormal code down an exact step
// that never forms a denormal (Fp8V512.ExactDot); the products, and so the results, are the same either way.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace K2Native.Backends.Cpu;

/// <summary>A fast FP8 decode of Fp8V512 (see the file's head); an instance holds its constants in registers.</summary>
internal unsafe interface IFp8Decode<TSelf> where TSelf : struct, IFp8Decode<TSelf>
{
    /// <summary>True when stretches with exponent-0 codes must take the exact step (denormals are slow here).</summary>
    static abstract bool ChecksExponentZero { get; }

    static abstract TSelf Create();

    /// <summary>Codes w[0..15] as float32 times 2^-120.</summary>
    Vector512<float> Decode16(byte* w);
}

/// <summary>The decoder the kernels use on this machine.</summary>
internal enum Fp8DecodeKind
{
    /// <summary>GF(2) affine map and byte permute, stretches with exponent-0 codes on the exact step.</summary>
    Permute,

    /// <summary>Shift and mask, stretches with exponent-0 codes on the exact step.</summary>
    Shift,

    /// <summary>Shift and mask, every stretch on the fast decode (denormal FMA operands cost nothing here).</summary>
    ShiftUnchecked,
}

internal static class Fp8Decode
{
    /// <summary>True on AMD CPUs: FMA takes denormal operands at full speed, and 512-bit permutes are slow.</summary>
    public static readonly bool IsAmd = IsVendor("AuthenticAMD");

    /// <summary>The decoder for this machine: shifts on AMD, the permute decode elsewhere where it runs.</summary>
    public static readonly Fp8DecodeKind Best =
        IsAmd ? Fp8DecodeKind.ShiftUnchecked :
        Fp8PermuteDecode.IsSupported ? Fp8DecodeKind.Permute : Fp8DecodeKind.Shift;

    /// <summary>How `k2 bench kernels` names a decoder.</summary>
    public static string Describe(Fp8DecodeKind kind) => kind switch
    {
        Fp8DecodeKind.Permute => "FP8 decode GFNI affine + vpermb",
        Fp8DecodeKind.Shift => "FP8 decode shift and mask",
        _ => "FP8 decode shift and mask, denormal operands on the fast path",
    };

    private static bool IsVendor(string vendor)
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<int> words = [ebx, edx, ecx];
        return System.Text.Encoding.ASCII.GetString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words))
            == vendor;
    }
}

internal readonly unsafe struct Fp8PermuteDecode : IFp8Decode<Fp8PermuteDecode>
{
    // Per 64-bit lane of the broadcast codes s eeee mmm: lanes 0-1 give byte 2 = e0 m2 m1 m0 0000, lanes 2-3
    // byte 3 = s 0000 e3 e2 e1, lanes 4-7 zero (row i of an 8x8 bit matrix is its byte 7 - i).
    private readonly Vector512<byte> _matrix = Vector512.Create(
        0x0000000001020408UL, 0x0000000001020408UL, 0x1020400000000080UL, 0x1020400000000080UL, 0, 0, 0, 0).AsByte();

    // Float j takes bytes [32, 32, j, 16 + j]: two zeros, then bytes 2 and 3.
    private readonly Vector512<byte> _index =
        (Vector512<uint>.Indices * 0x01010000u + Vector512.Create(0x10002020u)).AsByte();

    public Fp8PermuteDecode()
    {
    }

    /// <summary>True when this CPU runs the decode (GFNI and AVX-512 VBMI; the shift decodes need AVX-512F).</summary>
    public static bool IsSupported => Gfni.V512.IsSupported && Avx512Vbmi.IsSupported;

    public static bool ChecksExponentZero => true;

    public static Fp8PermuteDecode Create() => new();

    // The 128-bit broadcast, not a 256-bit one for 32 codes and one affine map per 32: .NET 10.0.12 encodes
    // BroadcastVector256ToVector512 with a displacement scaled for 16 bytes, so [w + 32] reads w + 64.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Decode16(byte* w)
    {
        var codes = Avx512F.BroadcastVector128ToVector512((uint*)w).AsByte();
        return Avx512Vbmi.PermuteVar64x8(Gfni.V512.GaloisFieldAffineTransform(codes, _matrix, 0), _index).AsSingle();
    }
}

internal readonly unsafe struct Fp8ShiftDecode : IFp8Decode<Fp8ShiftDecode>
{
    public static bool ChecksExponentZero => true;

    public static Fp8ShiftDecode Create() => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Decode16(byte* w) => Decode(w);

    /// <summary>
    /// The sign-extended code's bits 11..0 shifted to the float's 31..20; the mask clears the sign's copies.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Decode(byte* w) =>
        (Vector512.ShiftLeft(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)w)).AsUInt32(), 20)
            & Vector512.Create(0x87F00000u)).AsSingle();
}

/// <summary>The shift decode for CPUs where denormal FMA operands cost nothing: no exponent-0 check.</summary>
internal readonly unsafe struct Fp8ShiftUncheckedDecode : IFp8Decode<Fp8ShiftUncheckedDecode>
{
    public static bool ChecksExponentZero => false;

    public static Fp8ShiftUncheckedDecode Create() => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Decode16(byte* w) => Fp8ShiftDecode.Decode(w);
}
