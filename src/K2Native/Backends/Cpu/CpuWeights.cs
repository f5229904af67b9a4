// CPU forms of weights: matrices are read in place from the mapped checkpoint; vectors are float arrays.
using K2Native.Checkpoint;

namespace K2Native.Backends.Cpu;

internal sealed class CpuWeight(MatrixSource source) : Weight(source);

internal sealed class CpuWeightVector(float[] values) : WeightVector(values.Length)
{
    public float[] Values { get; } = values;
}
