// `k2 perplexity`: scores token sequences (one line of ids each, as tools/demo-model/perplexity.py --dump-ids
// writes them) and prints one JSON object with the mean NLL and the perplexity, for comparison with PyTorch's.
using System.Globalization;
using System.Text.Json.Nodes;
using CommandLine;
using K2Native.Applications.Eval;
using K2Native.Checkpoint;
using K2Native.Model;

namespace K2Bench.Verbs;

[Verb("perplexity", HelpText = "Perplexity of token sequences: every token after the first of each line of ids in "
    + "--ids.")]
internal sealed class PerplexityCommand : ICommand
{
    [Option("model", HelpText = "Checkpoint directory (default: the bundled checkpoint).")]
    public string? Model { get; set; }

    [Option("ids", Required = true, HelpText = "File with one sequence of token ids per line (spaces or commas); empty "
        + "lines are skipped.")]
    public string Ids { get; set; } = "";

    [Option("limit", HelpText = "Score at most this many sequences.")]
    public int? Limit { get; set; }

    [Option("backend", Default = "cpu", HelpText = "Compute backend: cpu, or cuda (needs libk2native and an NVIDIA "
        + "GPU).")]
    public string Backend { get; set; } = "cpu";

    public int Run()
    {
        if (Limit is <= 0) throw new ArgumentException("--limit must be positive");
        string modelDir = ModelPaths.Resolve(Model);
        using var checkpoint = K2Checkpoint.Open(modelDir);
        var sequences = ReadSequences(checkpoint.Config.VocabSize);
        if (sequences.Count == 0) throw new ArgumentException($"{Ids}: no token ids");
        var model = K2Model.Load(checkpoint, BackendFactory.Create(Backend));
        var total = default(NllSum);
        foreach (var (line, ids) in sequences)
        {
            if (ids.Length > checkpoint.Config.MaxPositionEmbeddings)
                throw new ArgumentException(
                    $"{Ids}:{line}: {ids.Length} tokens exceed max_position_embeddings "
                    + $"{checkpoint.Config.MaxPositionEmbeddings}");
            total += Perplexity.Score(model, ids);
        }
        var result = new JsonObject
        {
            ["model"] = modelDir,
            ["sequences"] = sequences.Count,
            ["tokens"] = total.Tokens,
            ["mean_nll"] = total.MeanNll,
            ["perplexity"] = total.Perplexity,
        };
        Console.WriteLine(result.ToJsonString());
        return 0;
    }

    private List<(int Line, int[] Ids)> ReadSequences(int vocabSize)
    {
        var sequences = new List<(int, int[])>();
        int line = 0;
        foreach (string text in File.ReadLines(Ids))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (sequences.Count == Limit) break;
            sequences.Add(
                (line, TokenList.Parse(text, string.Create(CultureInfo.InvariantCulture, $"{Ids}:{line}"), vocabSize)));
        }
        return sequences;
    }
}
