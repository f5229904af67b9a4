// Everything a generation needs, opened together from one checkpoint directory: the mapped checkpoint, the
// model bound to a backend, the tokenizer, and the engine over a paged cache. What the console and library
// users open first; disposing it unmaps the checkpoint.
using K2Native.Backends;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Text;

namespace K2Native.Runtime;

/// <summary>A checkpoint opened for generation.</summary>
public sealed class ModelHost : IDisposable
{
    private ModelHost(K2Checkpoint checkpoint, K2Model model, Tokenizer tokenizer, ChatTemplate template, Engine engine)
    {
        Checkpoint = checkpoint;
        Model = model;
        Tokenizer = tokenizer;
        Template = template;
        Engine = engine;
    }

    public K2Checkpoint Checkpoint { get; }

    public K2Model Model { get; }

    public Tokenizer Tokenizer { get; }

    /// <summary>The checkpoint's chat format (or the one the caller chose).</summary>
    public ChatTemplate Template { get; }

    public Engine Engine { get; }

    /// <summary>Opens <paramref name="directory"/> on <paramref name="backend"/>.</summary>
    /// <param name="progress">Called with (layers bound, layer count) while the model loads.</param>
    /// <param name="format">Chat format to use instead of the one the checkpoint declares.</param>
    public static ModelHost Open(
        string directory, Backend backend, EngineOptions? options = null, Action<int, int>? progress = null,
        ChatFormat? format = null)
    {
        var checkpoint = K2Checkpoint.Open(directory);
        try
        {
            var tokenizer = Tokenizer.Load(directory);
            if (tokenizer.VocabSize > checkpoint.Config.VocabSize)
                throw new CheckpointException(
                    $"{directory}: the tokenizer has {tokenizer.VocabSize} ids but config.json's vocab_size is "
                    + $"{checkpoint.Config.VocabSize}") { File = directory };
            var template = format is { } f ? ChatTemplate.For(f) : ChatTemplate.ForCheckpoint(directory);
            var model = K2Model.Load(checkpoint, backend, progress);
            return new ModelHost(checkpoint, model, tokenizer, template, new Engine(model, tokenizer, options));
        }
        catch
        {
            backend.Dispose();
            checkpoint.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Engine.Dispose();
        Model.Dispose();
        Checkpoint.Dispose();
    }
}
