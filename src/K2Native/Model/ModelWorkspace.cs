// Activation buffers of the forward pass, kept between passes and grown only when a pass holds more tokens
// than any before it, so steady-state decoding allocates nothing. Views are cut to the current token count.
using K2Native.Backends;
using K2Native.Checkpoint;

namespace K2Native.Model;

internal sealed class ModelWorkspace : IDisposable
{
    private readonly Backend _backend;
    private readonly K2Config _c;
    private readonly List<Tensor> _owned = [];
    private Tensor[] _all = [];
    private Tensor? _final;
    private Tensor? _logits;
    private int _capacity;
    private bool _expanded;
    private bool _paged;

    public ModelWorkspace(Backend backend, K2Config config)
    {
        _backend = backend;
        _c = config;
    }

    public TensorView X { get; private set; }
    public TensorView H { get; private set; }
    public TensorView Delta { get; private set; }
    public TensorView Q { get; private set; }
    public TensorView? QLatent { get; private set; }
    public TensorView KvA { get; private set; }
    public TensorView Attention { get; private set; }
    public TensorView Gate { get; private set; }
    public TensorView Up { get; private set; }

    /// <summary>Expanded attention only: kv_b(latent) [T, H·(Dn+Dv)].</summary>
    public TensorView Kv { get; private set; }

    /// <summary>Paged attention only: absorbed queries and attended latents [T, H·Rkv].</summary>
    public TensorView AbsorbedQuery { get; private set; }
    public TensorView AttendedLatent { get; private set; }

    /// <summary>Makes every buffer the chosen path needs hold <paramref name="tokens"/> rows and cuts the views to that
    /// count.</summary>
    public void Prepare(int tokens, bool paged)
    {
        if (tokens > _capacity || (paged ? !_paged : !_expanded))
        {
            Release();
            _capacity = Math.Max(tokens, _capacity);
            _paged |= paged;
            _expanded |= !paged;
            Allocate(_capacity);
        }
        Cut(tokens);
    }

    /// <summary>Final-norm input rows [rows, D] and their logits [rows, V], grown on demand.</summary>
    public (TensorView Final, TensorView Logits) Output(int rows)
    {
        if (_logits is null || _logits.Rows < rows)
        {
            _final?.Dispose();
            _logits?.Dispose();
            _final = _backend.NewTensor(rows, _c.HiddenSize);
            _logits = _backend.NewTensor(rows, _c.VocabSize);
        }
        return (_final!.Take(rows), _logits.Take(rows));
    }

    public void Dispose()
    {
        Release();
        _final?.Dispose();
        _logits?.Dispose();
    }

    private void Allocate(int rows)
    {
        int h = _c.NumAttentionHeads;
        int ffn = Math.Max(_c.IntermediateSize, _c.SharedIntermediateSize);
        _all =
        [
            Make(rows, _c.HiddenSize), Make(rows, _c.HiddenSize), Make(rows, _c.HiddenSize),
            Make(rows, h * _c.QkHeadDim),
            Make(rows, _c.QLoraRank ?? 1),
            Make(rows, _c.KvLoraRank + _c.QkRopeHeadDim),
            Make(rows, h * _c.VHeadDim),
            Make(rows, ffn), Make(rows, ffn),
            Make(_expanded ? rows : 0, h * (_c.QkNopeHeadDim + _c.VHeadDim)),
            Make(_paged ? rows : 0, h * _c.KvLoraRank), Make(_paged ? rows : 0, h * _c.KvLoraRank),
        ];
    }

    private void Cut(int t)
    {
        X = _all[0].Take(t);
        H = _all[1].Take(t);
        Delta = _all[2].Take(t);
        Q = _all[3].Take(t);
        QLatent = _c.QLoraRank is null ? null : _all[4].Take(t);
        KvA = _all[5].Take(t);
        Attention = _all[6].Take(t);
        Gate = _all[7].Take(t);
        Up = _all[8].Take(t);
        Kv = _expanded ? _all[9].Take(t) : default;
        AbsorbedQuery = _paged ? _all[10].Take(t) : default;
        AttendedLatent = _paged ? _all[11].Take(t) : default;
    }

    private Tensor Make(int rows, int cols)
    {
        var tensor = _backend.NewTensor(rows, cols);
        _owned.Add(tensor);
        return tensor;
    }

    private void Release()
    {
        foreach (var tensor in _owned) tensor.Dispose();
        _owned.Clear();
    }
}
