// Vector building blocks against scalar double-precision references, every length 0..256 and every SIMD width.
using K2Native.Backends.Cpu;
using K2Native.Tests.Support;

namespace K2Native.Tests.Backends.Cpu;

public sealed unsafe class VectorMathTests
{
    public static TheoryData<SimdWidth> Widths() => new(Simd.Supported());

    [Theory]
    [MemberData(nameof(Widths))]
    public void DotMatchesReference(SimdWidth width)
    {
        for (int n = 0; n <= 256; n++)
        {
            var a = TestData.RandomFloats(n, (ulong)n);
            var b = TestData.RandomFloats(n, (ulong)n + 1000);
            double expected = 0;
            for (int i = 0; i < n; i++) expected += (double)a[i] * b[i];
            fixed (float* pa = a, pb = b)
            {
                float actual = VectorMath.Dot(pa, pb, n, width);
                Assert.True(
                    Math.Abs(actual - expected) <= 1e-5 * (1 + n), $"n={n} width={width}: {actual} vs {expected}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Bf16WidenMatchesReference(SimdWidth width)
    {
        for (int n = 0; n <= 256; n++)
        {
            var w = TestData.RandomBf16(n, (ulong)n + 7);
            var widened = new float[n];
            fixed (ushort* pw = w)
            fixed (float* pd = widened)
                VectorMath.WidenBf16(pw, pd, n, width);
            for (int i = 0; i < n; i++) Assert.Equal(K2Native.Numerics.Bf16.ToFloat(w[i]), widened[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void ElementwiseOps(SimdWidth width)
    {
        for (int n = 0; n <= 100; n++)
        {
            var acc = TestData.RandomFloats(n, 1);
            var x = TestData.RandomFloats(n, 2);
            var expectedAdd = acc.Select((v, i) => v + x[i]).ToArray();
            var expectedScaled = acc.Select((v, i) => v + 0.37f * x[i]).ToArray();
            var added = (float[])acc.Clone();
            var scaled = (float[])acc.Clone();
            var silu = new float[n];
            fixed (float* pa = added, ps = scaled, px = x, pg = acc, po = silu)
            {
                VectorMath.Add(pa, px, n, width);
                VectorMath.AddScaled(ps, px, 0.37f, n, width);
                VectorMath.SiluMul(pg, px, po, n, width);
            }
            Assert.Equal(expectedAdd, added);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(expectedScaled[i], scaled[i], 1e-6f);
                double g = acc[i];
                Assert.Equal(g / (1 + Math.Exp(-g)) * x[i], silu[i], 1e-6);
            }
        }
    }

    [Fact]
    public void Bf16RoundsToNearestEven()
    {
        Assert.Equal(0x3F80, K2Native.Numerics.Bf16.FromFloat(1f));
        Assert.Equal(0x3F80, K2Native.Numerics.Bf16.FromFloat(BitConverter.Int32BitsToSingle(0x3F808000)));
        Assert.Equal(0x3F82, K2Native.Numerics.Bf16.FromFloat(BitConverter.Int32BitsToSingle(0x3F818000)));
        Assert.Equal(0x3F81, K2Native.Numerics.Bf16.FromFloat(BitConverter.Int32BitsToSingle(0x3F808001)));
        Assert.True(float.IsNaN(K2Native.Numerics.Bf16.ToFloat(K2Native.Numerics.Bf16.FromFloat(float.NaN))));
        Assert.Equal(
            float.PositiveInfinity,
            K2Native.Numerics.Bf16.ToFloat(K2Native.Numerics.Bf16.FromFloat(float.PositiveInfinity)));
    }
}
