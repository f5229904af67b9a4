// Cross-checks config.json against the tensors and binds each expected tensor to its place in the
// mapping. Every problem (missing tensor, wrong shape or dtype, INT4 where BF16 is expected, an FP8
// weight without its block scales or holding NaN codes) is collected with its file and tensor name;
// the caller reports them all at once.
using System.Buffers.Binary;

namespace K2Native.Checkpoint;

internal sealed unsafe class WeightBinder
{
    private readonly SafetensorsCheckpoint _tensors;
    private readonly QuantizationScheme _quantization;
    private readonly List<string> _problems = [];
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<(TensorLocation Weight, int Rows, int Cols)> _fp8Weights = [];

    public WeightBinder(SafetensorsCheckpoint tensors, QuantizationScheme quantization)
    {
        _tensors = tensors;
        _quantization = quantization;
    }

    public IReadOnlyList<string> Problems => _problems;

    public IReadOnlySet<string> Used => _used;

    public bool Has(string name) => _tensors.Contains(name);

    /// <summary>
    /// A Linear layer's weight: INT4 triple when the quantization scheme covers the module; under FP8, an F8_E4M3
    /// <c>.weight</c> with its <c>.weight_scale_inv</c>; else BF16 <c>.weight</c>.
    /// </summary>
    public MatrixSource? Linear(string module, int rows, int cols, string why)
    {
        string plain = module + ".weight";
        string packed = module + ".weight_packed";
        if (_quantization.IsFp8)
            return _tensors.TryGet(plain, out var stored) && stored.Info.DType == DType.F8_E4M3
                ? Fp8(module, rows, cols, why)
                : Bf16Linear(module, rows, cols, why);
        if (!_quantization.IsQuantized(module))
        {
            if (!_tensors.Contains(plain) && _tensors.Contains(packed))
            {
                _problems.Add(
                    $"{Where(packed)}: tensor '{packed}' is INT4-packed, but quantization_config leaves module "
                    + $"'{module}' unquantized (listed in ignore, or no quantization_config)");
                MarkInt4Used(module);
                return null;
            }
            return Matrix(plain, rows, cols, why);
        }
        if (!_tensors.Contains(packed) && _tensors.Contains(plain))
        {
            _problems.Add(
                $"{Where(plain)}: tensor '{plain}' is stored unquantized, but quantization_config says module "
                + $"'{module}' is INT4 pack-quantized (expected '{packed}')");
            _used.Add(plain);
            return null;
        }
        return Int4(module, rows, cols, why);
    }

    /// <summary>A BF16 matrix that is never quantized (embedding, router, or an unquantized Linear).</summary>
    public MatrixSource? Matrix(string name, int rows, int cols, string why)
    {
        if (!Find(name, why, out var location)) return null;
        if (!CheckShape(location, [rows, cols], why)) return null;
        if (location.Info.DType != DType.BF16)
        {
            string hint = location.Info.DType == DType.F8_E4M3
                ? _quantization.IsFp8
                    ? " (only Linear layers of attention and MLPs may be FP8; embeddings, lm_head and the router stay "
                        + "BF16)"
                    : " (FP8 weights need quantization_config {\"quant_method\": \"fp8\"} in config.json)"
                : "";
            _problems.Add($"{location.File.Path}: tensor '{name}': dtype {location.Info.DType}, expected BF16{hint}");
            return null;
        }
        return MatrixSource.FromBf16(name, rows, cols, (ushort*)location.File.Pointer(location.Info));
    }

    /// <summary>A vector (norm weight, correction bias) converted to float32.</summary>
    public float[]? Vector(string name, int length, string why)
    {
        if (!Find(name, why, out var location)) return null;
        if (!CheckShape(location, [length], why)) return null;
        var bytes = location.File.Bytes(location.Info);
        var values = new float[length];
        switch (location.Info.DType)
        {
            case DType.F32:
                for (int i = 0; i < length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case DType.BF16:
                for (int i = 0; i < length; i++)
                    values[i] = Numerics.Bf16.ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                break;
            case DType.F16:
                for (int i = 0; i < length; i++)
                    values[i] = (float)BitConverter.UInt16BitsToHalf(
                        BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                break;
            default:
                _problems.Add(
                    $"{location.File.Path}: tensor '{name}': dtype {location.Info.DType}, expected F32, BF16 or F16");
                return null;
        }
        for (int i = 0; i < length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                _problems.Add($"{location.File.Path}: tensor '{name}': element {i} is {values[i]} (not finite)");
                return null;
            }
        }
        return values;
    }

    public MlpWeights? Mlp(string module, int hidden, int intermediate, string why)
    {
        var gate = Linear(module + ".gate_proj", intermediate, hidden, why);
        var up = Linear(module + ".up_proj", intermediate, hidden, why);
        var down = Linear(module + ".down_proj", hidden, intermediate, why);
        return gate is null || up is null || down is null ? null : new MlpWeights(gate, up, down);
    }

    /// <summary>
    /// Scans every FP8 weight bound so far for the NaN codes 0x7F/0xFF (e4m3fn has no infinities; a NaN weight would
    /// turn every output it touches into NaN), in parallel: one read of the FP8 bytes, at memory speed.
    /// </summary>
    public void CheckFp8Codes()
    {
        var found = new string?[_fp8Weights.Count];
        Parallel.For(0, _fp8Weights.Count, i =>
        {
            var (weight, rows, cols) = _fp8Weights[i];
            byte* data = (byte*)weight.File.Pointer(weight.Info);
            for (int r = 0; r < rows; r++)
            {
                int c = new ReadOnlySpan<byte>(data + (long)r * cols, cols).IndexOfAny((byte)0x7F, (byte)0xFF);
                if (c < 0) continue;
                found[i] = $"{weight.File.Path}: tensor '{weight.Info.Name}': element [{r}, {c}] is "
                    + $"0x{data[(long)r * cols + c]:X2}, " +
                           "a NaN code of float8 e4m3fn (0x7F and 0xFF are NaN; the format has no infinities)";
                return;
            }
        });
        _problems.AddRange(found.OfType<string>());
    }

    private MatrixSource? Bf16Linear(string module, int rows, int cols, string why)
    {
        string scaleName = module + ".weight_scale_inv";
        if (_tensors.Contains(scaleName))
        {
            _used.Add(scaleName);
            _problems.Add(
                $"{Where(scaleName)}: tensor '{scaleName}' scales module '{module}', but its weight is not F8_E4M3");
        }
        return Matrix(module + ".weight", rows, cols, why);
    }

    /// <summary>An FP8 e4m3 weight [rows, cols] and its float32 block scales [ceil(rows/128),
    /// ceil(cols/128)].</summary>
    private MatrixSource? Fp8(string module, int rows, int cols, string why)
    {
        const int block = MatrixSource.Fp8Block;
        string weightName = module + ".weight", scaleName = module + ".weight_scale_inv";
        bool ok = Find(weightName, why, out var weight);
        if (!_tensors.TryGet(scaleName, out var scale))
        {
            _used.Add(scaleName);
            _problems.Add($"{Where(weightName)}: tensor '{scaleName}' is missing: FP8 weight '{weightName}' needs its "
                + "float32 block scales " +
                          $"[{(rows + block - 1) / block}, {(cols + block - 1) / block}] (one per {block}x{block} "
                          + "block)");
            return null;
        }
        _used.Add(scaleName);
        ok = ok && CheckShape(weight, [rows, cols], why);
        long[] scaleShape = [(rows + block - 1) / block, (cols + block - 1) / block];
        if (!scale.Info.Shape.AsSpan().SequenceEqual(scaleShape))
        {
            _problems.Add($"{scale.File.Path}: tensor '{scaleName}': shape {scale.Info.ShapeText}, but weight "
                + $"'{weightName}' [{rows}, {cols}] " +
                          $"with weight_block_size [{block}, {block}] needs {TensorInfo.FormatShape(scaleShape)}");
            ok = false;
        }
        ok &= CheckDType(scale, DType.F32);
        if (!ok) return null;
        float* scales = (float*)scale.File.Pointer(scale.Info);
        for (long i = 0; i < scaleShape[0] * scaleShape[1]; i++)
        {
            if (float.IsFinite(scales[i]) && scales[i] >= 0) continue;
            _problems.Add(
                $"{scale.File.Path}: tensor '{scaleName}': block [{i / scaleShape[1]}, {i % scaleShape[1]}] is "
                + $"{scales[i]} (scales must be finite and not negative)");
            return null;
        }
        _fp8Weights.Add((weight, rows, cols));
        return MatrixSource.FromFp8(module, rows, cols, (byte*)weight.File.Pointer(weight.Info), scales);
    }

    private MatrixSource? Int4(string module, int rows, int cols, string why)
    {
        int group = _quantization.GroupSize;
        string packedName = module + ".weight_packed", scaleName = module + ".weight_scale", shapeName = module
            + ".weight_shape";
        bool ok = Find(packedName, why, out var packed) & Find(scaleName, why, out var scale) & Find(
            shapeName, why, out var shape);
        if (!ok) return null;
        if (cols % group != 0)
        {
            _problems.Add(
                $"{packed.File.Path}: tensor '{packedName}': {cols} input columns are not a multiple of group_size "
                + $"{group}");
            return null;
        }
        ok = CheckShape(packed, [rows, cols / 8], why + ", 8 INT4 values per int32") & CheckShape(
            scale, [rows, cols / group], why + $", one scale per {group} columns");
        ok &= CheckDType(packed, DType.I32) & CheckDType(scale, DType.BF16);
        if (shape.Info.DType is not (DType.I32 or DType.I64) || shape.Info.ElementCount != 2)
        {
            _problems.Add(
                $"{shape.File.Path}: tensor '{shapeName}': expected 2 elements of I32 or I64, found {shape.Info.DType} "
                + $"{shape.Info.ShapeText}");
            ok = false;
        }
        else
        {
            var bytes = shape.File.Bytes(shape.Info);
            long r = shape.Info.DType == DType.I32
                ? BinaryPrimitives.ReadInt32LittleEndian(bytes)
                : BinaryPrimitives.ReadInt64LittleEndian(bytes);
            long c = shape.Info.DType == DType.I32
                ? BinaryPrimitives.ReadInt32LittleEndian(bytes[4..])
                : BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
            if (r != rows || c != cols)
            {
                _problems.Add(
                    $"{shape.File.Path}: tensor '{shapeName}': holds [{r}, {c}] but config.json implies [{rows}, "
                    + $"{cols}] ({why})");
                ok = false;
            }
        }
        if (!ok) return null;
        return MatrixSource.FromInt4(
            module, rows, cols, group, (int*)packed.File.Pointer(packed.Info), (ushort*)scale.File.Pointer(scale.Info));
    }

    private void MarkInt4Used(string module)
    {
        _used.Add(module + ".weight_packed");
        _used.Add(module + ".weight_scale");
        _used.Add(module + ".weight_shape");
    }

    private bool Find(string name, string why, out TensorLocation location)
    {
        _used.Add(name);
        if (_tensors.TryGet(name, out location)) return true;
        _problems.Add($"{_tensors.Directory}: tensor '{name}' is missing ({why})");
        return false;
    }

    private bool CheckShape(TensorLocation location, long[] expected, string why)
    {
        if (location.Info.Shape.AsSpan().SequenceEqual(expected)) return true;
        _problems.Add(
            $"{location.File.Path}: tensor '{location.Info.Name}': shape {location.Info.ShapeText} but config.json "
            + $"implies {TensorInfo.FormatShape(expected)} ({why})");
        return false;
    }

    private bool CheckDType(TensorLocation location, DType expected)
    {
        if (location.Info.DType == expected) return true;
        _problems.Add(
            $"{location.File.Path}: tensor '{location.Info.Name}': dtype {location.Info.DType}, expected {expected}");
        return false;
    }

    private string Where(string name) => _tensors.TryGet(name, out var l) ? l.File.Path : _tensors.Directory;
}
