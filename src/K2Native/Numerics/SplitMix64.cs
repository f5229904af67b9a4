// A tiny, fast, seedable random generator whose sequence never changes across .NET versions
// (System.Random makes no such promise): synthetic checkpoints are reproducible from their seed.
namespace K2Native.Numerics;

/// <summary>SplitMix64: 64-bit state, one multiply-xorshift step per draw.</summary>
internal struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>A generator for one named stream of a seed (e.g. one tensor, one chunk), independent of draw order
    /// elsewhere.</summary>
    public static SplitMix64 For(ulong seed, string stream, long chunk = 0)
    {
        ulong h = 1469598103934665603UL;
        foreach (char c in stream) h = (h ^ c) * 1099511628211UL;
        var g = new SplitMix64(seed ^ h ^ ((ulong)chunk * 0x9E3779B97F4A7C15UL));
        g.Next();
        return g;
    }

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public float NextFloat() => (Next() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [-a, a).</summary>
    public float NextSymmetric(float a) => (NextFloat() * 2f - 1f) * a;

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)((Next() >> 33) % (ulong)n);
}
