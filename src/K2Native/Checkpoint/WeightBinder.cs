// Cross-checks config.json against the tensors and binds each expected tensor to its place in the
// mapping. Every problem (missing tensor, wrong shape or dtype, INT4 where BF16 is expected) is
// collected with its file and tensor name; the caller reports them all at once.
using System.Buffers.Binary;

namespace K2Native.Checkpoint;

internal sealed unsafe class WeightBinder
{
    private readonly SafetensorsCheckpoint _tensors;
    private readonly QuantizationScheme _quantization;
    private readonly List<string> _problems = [];
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public WeightBinder(SafetensorsCheckpoint tensors, QuantizationScheme quantization)
    {
        _tensors = tensors;
        _quantization = quantization;
    }

    public IReadOnlyList<string> Problems => _problems;

    public IReadOnlySet<string> Used => _used;

    public bool Has(string name) => _tensors.Contains(name);

    /// <summary>A Linear layer's weight: INT4 triple when the quantization scheme covers the module, else BF16 <c>.weight</c>.</summary>
    public MatrixSource? Linear(string module, int rows, int cols, string why)
    {
        string plain = module + ".weight";
        string packed = module + ".weight_packed";
        if (!_quantization.IsQuantized(module))
        {
            if (!_tensors.Contains(plain) && _tensors.Contains(packed))
            {
                _problems.Add($"{Where(packed)}: tensor '{packed}' is INT4-packed, but quantization_config leaves module '{module}' unquantized (listed in ignore, or no quantization_config)");
                MarkInt4Used(module);
                return null;
            }
            return Matrix(plain, rows, cols, why);
        }
        if (!_tensors.Contains(packed) && _tensors.Contains(plain))
        {
            _problems.Add($"{Where(plain)}: tensor '{plain}' is stored unquantized, but quantization_config says module '{module}' is INT4 pack-quantized (expected '{packed}')");
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
                ? " (FP8 block-quantized weights, as in Kimi K2 Instruct/Base, are not supported)"
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
                for (int i = 0; i < length; i++) values[i] = Numerics.Bf16.ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                break;
            case DType.F16:
                for (int i = 0; i < length; i++) values[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                break;
            default:
                _problems.Add($"{location.File.Path}: tensor '{name}': dtype {location.Info.DType}, expected F32, BF16 or F16");
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

    private MatrixSource? Int4(string module, int rows, int cols, string why)
    {
        int group = _quantization.GroupSize;
        string packedName = module + ".weight_packed", scaleName = module + ".weight_scale", shapeName = module + ".weight_shape";
        bool ok = Find(packedName, why, out var packed) & Find(scaleName, why, out var scale) & Find(shapeName, why, out var shape);
        if (!ok) return null;
        if (cols % group != 0)
        {
            _problems.Add($"{packed.File.Path}: tensor '{packedName}': {cols} input columns are not a multiple of group_size {group}");
            return null;
        }
        ok = CheckShape(packed, [rows, cols / 8], why + ", 8 INT4 values per int32") & CheckShape(scale, [rows, cols / group], why + $", one scale per {group} columns");
        ok &= CheckDType(packed, DType.I32) & CheckDType(scale, DType.BF16);
        if (shape.Info.DType is not (DType.I32 or DType.I64) || shape.Info.ElementCount != 2)
        {
            _problems.Add($"{shape.File.Path}: tensor '{shapeName}': expected 2 elements of I32 or I64, found {shape.Info.DType} {shape.Info.ShapeText}");
            ok = false;
        }
        else
        {
            var bytes = shape.File.Bytes(shape.Info);
            long r = shape.Info.DType == DType.I32 ? BinaryPrimitives.ReadInt32LittleEndian(bytes) : BinaryPrimitives.ReadInt64LittleEndian(bytes);
            long c = shape.Info.DType == DType.I32 ? BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]) : BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
            if (r != rows || c != cols)
            {
                _problems.Add($"{shape.File.Path}: tensor '{shapeName}': holds [{r}, {c}] but config.json implies [{rows}, {cols}] ({why})");
                ok = false;
            }
        }
        if (!ok) return null;
        return MatrixSource.FromInt4(module, rows, cols, group, (int*)packed.File.Pointer(packed.Info), (ushort*)scale.File.Pointer(scale.Info));
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
        _problems.Add($"{location.File.Path}: tensor '{location.Info.Name}': shape {location.Info.ShapeText} but config.json implies {TensorInfo.FormatShape(expected)} ({why})");
        return false;
    }

    private bool CheckDType(TensorLocation location, DType expected)
    {
        if (location.Info.DType == expected) return true;
        _problems.Add($"{location.File.Path}: tensor '{location.Info.Name}': dtype {location.Info.DType}, expected {expected}");
        return false;
    }

    private string Where(string name) => _tensors.TryGet(name, out var l) ? l.File.Path : _tensors.Directory;
}
