// `k2 check`'s scan: reads every tensor of a checkpoint once and names each one holding values a forward pass cannot
// use, which the loader does not look for because it never reads the weights' values: NaN or ±Inf in a float tensor
// (BF16, F16, F32, and FP8 e4m3's NaN codes 0x7F/0xFF), and zero, negative or non-finite INT4 group scales
// (`*.weight_scale`) or FP8 block scales (`*.weight_scale_inv`). INT4 packed words cannot be wrong: all 16 codes of a
// nibble are values (-8..7), so they are not scanned.
using System.Numerics;
using System.Runtime.InteropServices;

namespace K2Native.Checkpoint;

/// <summary>One tensor whose values a forward pass cannot use.</summary>
internal sealed record TensorProblem(string File, string Tensor, string Problem)
{
    public override string ToString() => $"{File}: tensor '{Tensor}': {Problem}";
}

/// <summary>Scans tensor values for non-finite numbers and impossible scales.</summary>
internal static unsafe class TensorScan
{
    private const int ChunkBytes = 1 << 26;

    /// <summary>Scans every tensor of <paramref name="tensors"/>; <paramref name="progress"/> gets (bytes done, bytes
    /// in all) after each chunk.</summary>
    public static List<TensorProblem> Run(SafetensorsCheckpoint tensors, Action<long, long>? progress = null)
    {
        var all = tensors.Names.Order(StringComparer.Ordinal).Select(n => tensors.Get(n)).ToList();
        long total = all.Sum(t => t.Info.ByteLength), done = 0;
        var problems = new List<TensorProblem>();
        foreach (var (file, info) in all)
        {
            var counts = new Counts();
            bool isScale = info.Name.EndsWith(".weight_scale", StringComparison.Ordinal)
                || info.Name.EndsWith(".weight_scale_inv", StringComparison.Ordinal);
            byte* data = file.Pointer(info);
            for (long offset = 0; offset < info.ByteLength; offset += ChunkBytes)
            {
                int n = (int)Math.Min(ChunkBytes, info.ByteLength - offset);
                Scan(info.DType, new ReadOnlySpan<byte>(data + offset, n), isScale, ref counts);
                done += n;
                progress?.Invoke(done, total);
            }
            string? problem = counts.Describe(info.ElementCount, info.DType);
            if (problem is not null) problems.Add(new TensorProblem(file.Path, info.Name, problem));
        }
        return problems;
    }

    /// <summary>Counts the unusable values of one span of a tensor (whole elements only).</summary>
    internal static void Scan(DType dtype, ReadOnlySpan<byte> bytes, bool isScale, ref Counts counts)
    {
        switch (dtype)
        {
            case DType.BF16:
                var bf16 = MemoryMarshal.Cast<byte, ushort>(bytes);
                if (!isScale && !AnyExponentAllOnes(bf16, 0x7F80)) { counts.Skip(bf16.Length); return; }
                foreach (ushort u in bf16) counts.Add(BitConverter.Int32BitsToSingle(u << 16), isScale);
                break;
            case DType.F16:
                var f16 = MemoryMarshal.Cast<byte, ushort>(bytes);
                if (!isScale && !AnyExponentAllOnes(f16, 0x7C00)) { counts.Skip(f16.Length); return; }
                foreach (ushort u in f16) counts.Add((float)BitConverter.UInt16BitsToHalf(u), isScale);
                break;
            case DType.F32:
                foreach (float f in MemoryMarshal.Cast<byte, float>(bytes)) counts.Add(f, isScale);
                break;
            case DType.F8_E4M3:
                foreach (byte b in bytes) counts.Add((b & 0x7F) == 0x7F ? float.NaN : 0, isScale: false);
                break;
        }
    }

    /// <summary>Whether any 16-bit float has every exponent bit set (Inf or NaN); vectorized, since nearly all tensors
    /// have none.</summary>
    private static bool AnyExponentAllOnes(ReadOnlySpan<ushort> values, ushort exponent)
    {
        var mask = new Vector<ushort>(exponent);
        int i = 0;
        for (; i <= values.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            if (Vector.EqualsAny(new Vector<ushort>(values[i..]) & mask, mask)) return true;
        for (; i < values.Length; i++)
            if ((values[i] & exponent) == exponent) return true;
        return false;
    }

    internal struct Counts
    {
        public long NotFinite;
        public long NotPositive;
        public long FirstBad;
        private long _seen;

        public void Add(float value, bool isScale)
        {
            if (!float.IsFinite(value)) { Mark(); NotFinite++; }
            else if (isScale && value <= 0) { Mark(); NotPositive++; }
            _seen++;
        }

        public void Skip(long values) => _seen += values;

        private void Mark()
        {
            if (NotFinite + NotPositive == 0) FirstBad = _seen;
        }

        public readonly string? Describe(long elements, DType dtype)
        {
            var parts = new List<string>();
            if (NotFinite > 0) parts.Add($"{NotFinite} of {elements} {DTypes.Name(dtype)} values are NaN or infinite");
            if (NotPositive > 0) parts.Add($"{NotPositive} of {elements} scales are zero or negative");
            if (parts.Count == 0) return null;
            return string.Join("; ", parts) + $" (the first at element {FirstBad})";
        }
    }
}
