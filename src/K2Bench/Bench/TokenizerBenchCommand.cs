// `k2 bench tokenizer`: single-threaded encode and decode throughput (MB/s of UTF-8 text) on a seeded mixed
// corpus (MixedCorpus), with the piece cache cold (a fresh tokenizer) and warm (a second pass), per kind of
// text, plus the worst cases (a megabyte line of one repeated character). Each figure is the best of
// --repeat runs, because the machines it runs on are shared and noisy. --ranks learns a synthetic
// vocabulary of that size from the corpus, so that merge-heavy small vocabularies are not all that is measured.
using System.Diagnostics;
using System.Text;
using CommandLine;
using K2Native.Applications.Synth;
using K2Native.Text;

namespace K2Bench.Bench;

[Verb("tokenizer", HelpText = "Tokenizer throughput: encode (cache cold and warm) and decode MB/s on a mixed corpus, "
    + "single-threaded.")]
internal sealed class TokenizerBenchCommand : IBenchCommand
{
    [Option("model", HelpText = "Checkpoint directory whose tokenizer to measure (default: the bundled checkpoint).")]
    public string? Model { get; set; }

    [Option("mb", Default = 4.0, HelpText = "Megabytes (UTF-8) of each kind of text.")]
    public double Mb { get; set; }

    [Option("ranks", HelpText = "Instead of the model's vocabulary, learn one of this many ranks from the corpus (e.g. "
        + "163584, K2's size).")]
    public int? Ranks { get; set; }

    [Option("seed", Default = 1UL, HelpText = "Corpus seed.")]
    public ulong Seed { get; set; }

    [Option("kinds", Separator = ',', HelpText = "Only these kinds of text (prose, code, cjk, scripts, emoji; default: "
        + "all).")]
    public IEnumerable<string>? OnlyKinds { get; set; }

    [Option("save", HelpText = "Write the corpus to DIR/corpus.jsonl (and a learned vocabulary to DIR) to feed other "
        + "tokenizers the same input, e.g. tests/tiktoken-diff/bench.js.")]
    public string? Save { get; set; }

    [Option("repeat", Default = 3, HelpText = "Runs of each measurement; the fastest is reported.")]
    public int Repeat { get; set; }

    public int Run()
    {
        if (Mb <= 0) throw new ArgumentException("--mb must be positive");
        if (Repeat < 1) throw new ArgumentException("--repeat must be at least 1");
        var kinds = OnlyKinds?.ToArray() is { Length: > 0 } chosen ? chosen : MixedCorpus.Kinds;
        foreach (var kind in kinds)
            if (!MixedCorpus.Kinds.Contains(kind))
                throw new ArgumentException(
                    $"--kinds: unknown kind '{kind}' (known: {string.Join(", ", MixedCorpus.Kinds)})");
        var corpus = kinds.ToDictionary(k => k, k => MixedCorpus.Generate(k, (long)(Mb * 1e6), Seed));
        var all = corpus.Values.SelectMany(d => d).ToList();
        long totalBytes = all.Sum(d => (long)Encoding.UTF8.GetByteCount(d));

        if (Save is not null)
        {
            Directory.CreateDirectory(Save);
            File.WriteAllLines(
                Path.Combine(Save, "corpus.jsonl"), all.Select(d => System.Text.Json.JsonSerializer.Serialize(d)));
        }

        string directory = ModelPaths.Resolve(Model);
        string? learned = null;
        if (Ranks is int ranks)
        {
            learned = Save ?? Directory.CreateTempSubdirectory("k2-bench-vocab-").FullName;
            var started = Stopwatch.StartNew();
            // Learned from every kind of text whatever --kinds says, so the vocabulary is the same for every run.
            var samples = MixedCorpus.Kinds.SelectMany(
                k => corpus.TryGetValue(k, out var d) ? d : MixedCorpus.Generate(k, (long)(Mb * 1e6), Seed));
            SynthVocabulary.Write(learned, samples.Where((_, i) => i % 4 == 0).ToList(), ranks, Seed);
            Console.Error.WriteLine(
                $"learned a {ranks}-rank vocabulary from the corpus in {started.Elapsed.TotalSeconds:F1} s");
            directory = learned;
        }
        try
        {
            Measure(directory, corpus, all, totalBytes, Repeat);
        }
        finally
        {
            if (learned is not null && Save is null) Directory.Delete(learned, recursive: true);
        }
        return 0;
    }

    private static void Measure(
        string directory, Dictionary<string, List<string>> corpus, List<string> all, long totalBytes, int repeat)
    {
        var load = Stopwatch.StartNew();
        var tokenizer = Tokenizer.Load(directory);
        Console.WriteLine(
            $"tokenizer   {directory}: {tokenizer.RankCount} ranks + {tokenizer.SpecialTokens.Count} specials, loaded "
            + $"in {load.Elapsed.TotalMilliseconds:F0} ms");
        Console.WriteLine(
            $"corpus      {totalBytes / 1e6:F1} MB in {all.Count} documents ({string.Join(", ", corpus.Keys)}), single "
            + $"thread, best of {repeat}");

        // Compile the hot paths first (tiered JIT), on a tokenizer of its own so the measured ones start cold.
        var warmUp = Tokenizer.Load(directory);
        for (int round = 0; round < 3; round++)
            foreach (var documents in corpus.Values)
                foreach (var d in documents.Take(40)) warmUp.Decode(Encode(warmUp, d).ToArray());

        var ids = new List<int>[all.Count];
        double cold = Best(
            repeat, () => Tokenizer.Load(directory),
            fresh => { for (int i = 0; i < all.Count; i++) ids[i] = Encode(fresh, all[i]); });
        double warm = Best(repeat, () => tokenizer, t => { foreach (var d in all) Encode(t, d); });
        long tokens = ids.Sum(l => (long)l.Count);
        Console.WriteLine(
            $"encode      cold cache {Rate(totalBytes, cold)}   warm cache {Rate(totalBytes, warm)}   ({tokens} "
            + $"tokens, {totalBytes / (double)tokens:F2} bytes/token)");

        foreach (var (kind, documents) in corpus)
        {
            long bytes = documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
            double kindCold = Best(
                repeat, () => Tokenizer.Load(directory), t => { foreach (var d in documents) Encode(t, d); });
            double kindWarm = Best(repeat, () => tokenizer, t => { foreach (var d in documents) Encode(t, d); });
            Console.WriteLine($"  {kind,-9} cold {Rate(bytes, kindCold)}   warm {Rate(bytes, kindWarm)}");
        }

        double decode = Best(
            repeat, () => tokenizer,
            t =>
            {
                foreach (var list in ids) t.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list));
            });
        double streaming = Best(repeat, () => tokenizer, t =>
        {
            foreach (var list in ids)
            {
                var decoder = t.CreateStreamingDecoder();
                foreach (int id in list) decoder.Push(id);
                decoder.Flush();
            }
        });
        Console.WriteLine(
            $"decode      whole {Rate(totalBytes, decode)}   streaming (one Push per token) "
            + $"{Rate(totalBytes, streaming)}");

        foreach (var unit in new[] { "a", " ", "漢", "." })
        {
            string line = string.Concat(Enumerable.Repeat(unit, 1 << 20));
            int count = 0;
            double seconds = Best(repeat, () => tokenizer, t => count = t.Encode(line).Length);
            Console.WriteLine(
                $"worst case  1 Mi x U+{char.ConvertToUtf32(unit, 0):X4} in {seconds * 1e3:F0} ms ({count} tokens)");
        }
    }

    private static List<int> Encode(Tokenizer tokenizer, string text)
    {
        var output = new List<int>(text.Length / 2);
        tokenizer.Encode(text, output);
        return output;
    }

    // The shortest of `repeat` timed runs; `setup` (untimed) gives each run its tokenizer.
    private static double Best(int repeat, Func<Tokenizer> setup, Action<Tokenizer> run)
    {
        double best = double.MaxValue;
        for (int i = 0; i < repeat; i++)
        {
            var tokenizer = setup();
            var watch = Stopwatch.StartNew();
            run(tokenizer);
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static string Rate(long bytes, double seconds) => $"{bytes / 1e6 / seconds,7:F1} MB/s";
}
