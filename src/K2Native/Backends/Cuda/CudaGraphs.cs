// CUDA graphs of model steps (k2_graph_* in k2native.h). A step shape seen for the first time runs eagerly (lazy
// buffers appear then); the second time it is recorded and replayed; later steps of that shape are one
// k2_graph_launch. A replay runs the recorded kernels with the recorded arguments on the buffers they recorded, so
// those buffers must stay where they are: any allocation or free on the context (its Generation) drops every graph,
// and recording refuses work that cannot be recorded (allocations, uploads, downloads, synchronizations), which then
// runs eagerly and marks the shape as not recordable.
using K2Native.Backends.Cuda.Native;
using K2Native.Backends.Cuda.Native.Generated;
using static K2Native.Backends.Cuda.Native.K2Library;

namespace K2Native.Backends.Cuda;

internal sealed unsafe class CudaGraphs(CudaContext context)
{
    /// <summary>What a recorded step depends on besides buffer contents: the launch grids and the arguments passed by
    /// value.</summary>
    public readonly record struct StepShape(int Tokens, int Sequences, int TableStride, int KeyBucket, int LogitRows);

    private const ulong Discard = ulong.MaxValue;
    private const ulong Scratch = ulong.MaxValue - 1;
    private readonly Dictionary<StepShape, ulong> _keys = [];
    private readonly HashSet<StepShape> _seen = [], _refused = [];
    private long _generation = -1;

    /// <summary>Steps replayed from a graph so far.</summary>
    public int Replays { get; private set; }

    /// <summary>Runs one step of <paramref name="shape"/>: a replay when its graph exists, else <paramref name="body"/>
    /// (recorded the second time).</summary>
    public void Run(StepShape shape, Action body)
    {
        if (context.Generation != _generation) Clear();
        if (!_keys.TryGetValue(shape, out ulong key))
        {
            key = (ulong)_keys.Count;
            _keys.Add(shape, key);
        }
        if (Launch(key)) return;
        if (_refused.Contains(shape) || _seen.Add(shape))
        {
            body();
            return;
        }
        if (!Record(body, key))
        {
            _refused.Add(shape);
            body();
            return;
        }
        if (!Launch(key))
            throw new InvalidOperationException("CUDA graphs: a graph recorded a moment ago is not in the cache");
    }

    /// <summary>Records <paramref name="work"/> and replays it once (the compare harness's check of graphs); false when
    /// it cannot be recorded.</summary>
    public bool RecordAndReplay(Action work)
    {
        if (!Record(work, Scratch)) return false;
        Launch(Scratch);
        return true;
    }

    /// <summary>Records <paramref name="work"/> under <paramref name="key"/> without running it; false (nothing cached)
    /// when it cannot be recorded.</summary>
    private bool Record(Action work, ulong key)
    {
        ThrowIfFailed(K2Api.k2_graph_begin_capture(context.Handle, null), "k2_graph_begin_capture");
        context.Capturing = true;
        try
        {
            work();
        }
        catch (GraphCaptureRefusedException)
        {
            context.Capturing = false;
            K2Api.k2_graph_end_capture(context.Handle, null, Discard);
            return false;
        }
        catch
        {
            context.Capturing = false;
            K2Api.k2_graph_end_capture(context.Handle, null, Discard);
            throw;
        }
        context.Capturing = false;
        // A capture the runtime invalidated (work it cannot record that got past the checks above) ends in an error.
        if (K2Api.k2_graph_end_capture(context.Handle, null, key) != (int)K2Status.Ok) return false;
        _generation = context.Generation;
        return true;
    }

    private bool Launch(ulong key)
    {
        int found;
        ThrowIfFailed(K2Api.k2_graph_launch(context.Handle, null, key, &found), "k2_graph_launch");
        if (found != 0 && key != Scratch) Replays++;
        return found != 0;
    }

    private void Clear()
    {
        ThrowIfFailed(K2Api.k2_graph_cache_clear(context.Handle), "k2_graph_cache_clear");
        _keys.Clear();
        _seen.Clear();
        _refused.Clear();
        _generation = context.Generation;
    }
}
