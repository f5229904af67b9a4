// Finds non-finite activations cheaply: the residual stream x [T, D] is copied to the host and scanned at each
// layer boundary (2 reads of T·D floats per layer: for decode 2 x 7168 floats per layer of K2, against the ~200 MB
// of expert weights the layer reads). Only when a scan fails are the layer's other buffers read, in the order the
// operations wrote them, to name the first operation whose output holds NaN or Inf.
using System.Numerics;
using K2Native.Backends;

namespace K2Native.Model;

internal sealed class ActivationCheck
{
    private readonly Backend _backend;
    private float[] _host = [];

    public ActivationCheck(Backend backend) => _backend = backend;

    /// <summary>The cheap check at a layer boundary: true when <paramref name="x"/> is finite, or when the backend's
    /// tensors are on a device (a read there would synchronize every layer; the logits check catches it
    /// instead).</summary>
    public bool BoundaryOk(TensorView x) => !_backend.HostResident || IsFinite(x);

    /// <summary>True when every value of <paramref name="view"/> is finite.</summary>
    public bool IsFinite(TensorView view)
    {
        int n = view.Rows * view.Cols;
        if (n == 0) return true;
        if (_host.Length < n) _host = new float[n];
        var values = _host.AsSpan(0, n);
        _backend.Read(view, values);
        return AllFinite(values);
    }

    /// <summary>The problem of the first of <paramref name="suspects"/> (in the order they were computed) that is not
    /// finite; null when all are.</summary>
    public NonFiniteActivationException? FirstNonFinite(
        int layer, IEnumerable<(string Operation, TensorView Output)> suspects)
    {
        foreach (var (operation, output) in suspects)
            if (!IsFinite(output))
                return Problem(layer, operation, output.Cols, _host.AsSpan(0, output.Rows * output.Cols));
        return null;
    }

    /// <summary>The problem of host values <paramref name="values"/> [rows, <paramref name="cols"/>] that are not all
    /// finite.</summary>
    public static NonFiniteActivationException Problem(
        int layer, string operation, int cols, ReadOnlySpan<float> values)
    {
        int first = 0;
        while (first < values.Length && float.IsFinite(values[first])) first++;
        int count = 0;
        foreach (float v in values) if (!float.IsFinite(v)) count++;
        return new NonFiniteActivationException(layer, operation,
            $"{count} of {values.Length} values, the first {values[first]} at token row {first / cols}, column "
            + $"{first % cols}");
    }

    /// <summary>x - x is 0 for a finite x and NaN for NaN or ±Inf, so one sum tells whether any value is not
    /// finite.</summary>
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        var acc = Vector<float>.Zero;
        int i = 0;
        for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var v = new Vector<float>(values[i..]);
            acc += v - v;
        }
        float tail = 0;
        for (; i < values.Length; i++) tail += values[i] - values[i];
        return Vector.Sum(acc) == 0 && tail == 0;
    }
}
