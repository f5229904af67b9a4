// An index array (token ids, positions, slots, block tables) kept in device memory with a host copy of what was
// uploaded last: asking for the same values again costs a host comparison, not a copy. A decode step passes the
// same positions, slots and block tables to every layer, so each travels once per step instead of once per layer.
// Overwriting is safe while earlier kernels still read the old values: the copy is queued on the same stream.
namespace K2Native.Backends.Cuda;

internal sealed unsafe class CachedUpload(IDeviceMemory memory) : IDisposable
{
    private readonly DeviceScratch _device = new(memory);
    private int[] _host = [];
    private int _length = -1;

    /// <summary>Copies made so far (for tests and the launch-count table in docs/cuda.md).</summary>
    public int Uploads { get; private set; }

    /// <summary>The device address of <paramref name="values"/>, uploading them only when they differ from the last
    /// ones.</summary>
    public int* Get(ReadOnlySpan<int> values)
    {
        if (_length == values.Length && values.SequenceEqual(_host.AsSpan(0, _length)))
            return (int*)_device.Get(4L * values.Length);
        if (_host.Length < values.Length) _host = new int[Math.Max(values.Length, 2 * _host.Length)];
        var p = _device.Upload(values);
        values.CopyTo(_host);
        _length = values.Length;
        Uploads++;
        return p;
    }

    public void Dispose() => _device.Dispose();
}
