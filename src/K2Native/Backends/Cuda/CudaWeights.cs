// Weights on the GPU: each checkpoint matrix uploaded once at Load in its own format (bf16, INT4 words and bf16
// group scales exactly as compressed-tensors stores them, or FP8 e4m3 bytes and float32 128x128 block scales as
// DeepSeek-V3/K2 Instruct stores them: the kernels read those layouts directly), described by a
// k2_matrix; float vectors (norms, router bias) as float32.
using K2Native.Backends.Cuda.Native.Generated;
using K2Native.Checkpoint;

namespace K2Native.Backends.Cuda;

internal sealed unsafe class CudaWeight : Weight
{
    public CudaWeight(CudaContext context, MatrixSource source) : base(source)
    {
        k2_matrix m = default;
        m.struct_size = (uint)sizeof(k2_matrix);
        m.rows = source.Rows;
        m.cols = source.Cols;
        m.format = NativeFormat(source);
        if (source.Format == WeightFormat.Bf16)
        {
            Data = Upload(context, source.Data, 2L * source.Rows * source.Cols);
        }
        else if (source.Format == WeightFormat.Fp8)
        {
            Data = Upload(context, source.Data, (long)source.Rows * source.Cols);
            Scales = Upload(context, source.BlockScales, 4L * source.BlockRowCount * source.BlockColCount);
            m.scales = Scales.Pointer;
        }
        else
        {
            m.group_size = source.GroupSize;
            Data = Upload(context, source.Data, 4L * source.Rows * (source.Cols / 8));
            Scales = Upload(context, source.Scales, 2L * source.Rows * (source.Cols / source.GroupSize));
            m.scales = Scales.Pointer;
        }
        m.data = Data.Pointer;
        Matrix = m;
    }

    public k2_matrix Matrix { get; }

    /// <summary>The k2_format of a checkpoint matrix: the one place the managed side maps formats (the library then
    /// reads the format from the descriptor; its kernels choose by it).</summary>
    public static int NativeFormat(MatrixSource source) => source.Format switch
    {
        WeightFormat.Bf16 => (int)k2_format.K2_FORMAT_BF16,
        WeightFormat.Int4 => (int)k2_format.K2_FORMAT_INT4,
        WeightFormat.Fp8 => (int)k2_format.K2_FORMAT_FP8,
        _ => throw new NotSupportedException(
            $"CUDA backend: {source.Name} has format {source.Format}, which libk2native does not read"),
    };

    public DeviceBuffer Data { get; }

    public DeviceBuffer? Scales { get; }

    private static DeviceBuffer Upload(CudaContext context, void* host, long bytes)
    {
        var buffer = context.Allocate(bytes);
        context.Upload(buffer.Pointer, new ReadOnlySpan<byte>(host, checked((int)Math.Min(bytes, int.MaxValue))));
        for (long done = int.MaxValue; done < bytes; done += int.MaxValue)
            context.Upload(
                (byte*)buffer.Pointer + done,
                new ReadOnlySpan<byte>((byte*)host + done, (int)Math.Min(bytes - done, int.MaxValue)));
        return buffer;
    }
}

internal sealed unsafe class CudaWeightVector : WeightVector
{
    public CudaWeightVector(CudaContext context, float[] values) : base(values.Length)
    {
        Buffer = context.Allocate(4L * values.Length);
        context.Upload(Buffer.Pointer, new ReadOnlySpan<float>(values));
    }

    public DeviceBuffer Buffer { get; }

    public float* Data => (float*)Buffer.Pointer;
}

/// <summary>An MoE layer's expert table in device memory (k2_expert_weights[E]) and its k2_moe_params.</summary>
internal sealed unsafe class CudaExpertTable
{
    public CudaExpertTable(CudaContext context, MoeLayer moe)
    {
        var first = moe.Gate[0].Source;
        var table = new k2_expert_weights[moe.Gate.Length];
        for (int e = 0; e < table.Length; e++)
        {
            var (gate, up, down) = ((CudaWeight)moe.Gate[e], (CudaWeight)moe.Up[e], (CudaWeight)moe.Down[e]);
            foreach (var w in new[] { gate, up, down })
            {
                if (w.Source.Format != first.Format || w.Source.GroupSize != first.GroupSize)
                    throw new NotSupportedException(
                        $"CUDA backend: routed experts must share one format; {w.Source.Name} is "
                        + $"{w.Source.Format}/{w.Source.GroupSize}, {first.Name} is {first.Format}/{first.GroupSize}");
            }
            if (gate.Rows != first.Rows || gate.Cols != first.Cols || up.Rows != first.Rows || up.Cols != first.Cols
                || down.Rows != first.Cols || down.Cols != first.Rows)
                throw new ArgumentException(
                    $"CUDA backend: expert {e} shapes gate [{gate.Rows}, {gate.Cols}], up [{up.Rows}, {up.Cols}], down "
                    + $"[{down.Rows}, {down.Cols}] differ from expert 0's");
            table[e] = new k2_expert_weights
            {
                gate_data = gate.Matrix.data, gate_scales = gate.Matrix.scales,
                up_data = up.Matrix.data, up_scales = up.Matrix.scales,
                down_data = down.Matrix.data, down_scales = down.Matrix.scales,
            };
        }
        Buffer = context.Allocate((long)sizeof(k2_expert_weights) * table.Length);
        context.Upload(Buffer.Pointer, new ReadOnlySpan<k2_expert_weights>(table));
        k2_moe_params p = default;
        p.struct_size = (uint)sizeof(k2_moe_params);
        p.experts = table.Length;
        p.top_k = moe.Settings.TopK;
        p.hidden = first.Cols;
        p.inner = first.Rows;
        p.format = CudaWeight.NativeFormat(first);
        p.group_size = first.GroupSize;
        Params = p;
    }

    public DeviceBuffer Buffer { get; }

    public k2_moe_params Params { get; }
}
