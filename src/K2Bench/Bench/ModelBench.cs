// `k2 bench model`: prefill and decode tokens/s of a checkpoint through the engine, the decode time of each
// layer beside the floor that its bytes set at the read bandwidth measured in the same run (DecodeFootprint /
// ReadCeiling), and the ratio between them. On a shared host the bandwidth on offer drifts within minutes, so
// decode is timed in several samples, each right after a ceiling pass, and every sample is judged against
// its own pass; the table shows the sample with the median ratio. The weights are paged in before timing,
// so the disk is not measured; a short warm-up generation runs first, so the JIT is not either.
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using CommandLine;
using K2Bench.Bench.Kernels;
using K2Native.Backends;
using K2Native.Model;
using K2Native.Runtime;
using static K2Bench.Bench.BenchText;

namespace K2Bench.Bench;

[Verb("model", HelpText = "Prefill and decode tokens/s, time per layer, and the bytes-per-token floor at the measured "
    + "read bandwidth.")]
internal sealed class ModelBench : EngineArguments, IBenchCommand
{
    [Option("prompt-tokens", Default = 128, HelpText = "Prompt length.")]
    public int PromptTokens { get; set; }

    [Option("gen-tokens", Default = 32, HelpText = "Tokens to decode.")]
    public int GenTokens { get; set; }

    [Option("samples", Default = 5, HelpText = "Decode samples of --gen-tokens each, every one after its own ceiling "
        + "pass.")]
    public int Samples { get; set; }

    [Option("json", HelpText = "Also write the figures as JSON to this file.")]
    public string? Json { get; set; }

    public int Run()
    {
        if (PromptTokens < 1 || GenTokens < 2)
            throw new ArgumentException("--prompt-tokens must be at least 1 and --gen-tokens at least 2");
        var started = DateTime.UtcNow;
        using var host = Open();
        var c = host.Model.Config;
        double prefault = Prefault.All(host.Checkpoint);
        using var ceiling = new ReadCeiling(1L << 30);

        var prompt = Enumerable.Range(0, PromptTokens).Select(
            i => (int)((i * 2654435761L + 17) % host.Tokenizer.RankCount)).ToArray();
        host.Engine.Generate(Request(prompt[..Math.Min(8, prompt.Length)], 4));                 // warm-up (JIT)
        var prefillProfile = new StepProfile(c.NumHiddenLayers);
        host.Model.Profile = prefillProfile;
        var first = host.Engine.Generate(Request(prompt, 1)).Result;
        var samples = new List<(double Ceiling, StepProfile Profile, GenerationResult Result)>();
        for (int i = 0; i < Math.Max(1, Samples); i++)
        {
            double passCeiling = ceiling.Pass();
            var profile = new StepProfile(c.NumHiddenLayers);
            host.Model.Profile = profile;
            samples.Add((passCeiling, profile, host.Engine.Generate(Request(prompt, GenTokens)).Result));
        }
        host.Model.Profile = null;

        int cacheBytes = host.Engine.Options.KvCacheDType == KvCacheDType.F32 ? 4 : 2;
        var footprint = DecodeFootprint.Of(c, host.Checkpoint.Weights, PromptTokens + GenTokens / 2, cacheBytes);
        double StepSeconds(StepProfile p) =>
            Enumerable.Range(0, c.NumHiddenLayers + 1).Sum(p.DecodeSeconds) / p.DecodeSteps;
        double Ratio((double Ceiling, StepProfile Profile, GenerationResult Result) sample) => StepSeconds(
            sample.Profile) / (footprint.TotalBytes / sample.Ceiling / 1e9);
        var ordered = samples.OrderBy(Ratio).ToList();
        var (bandwidth, decodeProfile, result) = ordered[ordered.Count / 2];
        double decodeSeconds = StepSeconds(decodeProfile);
        double floorSeconds = footprint.TotalBytes / bandwidth / 1e9;

        var o = Console.Out;
        o.WriteLine(
            $"model    {host.Checkpoint.Directory}: {c.NumHiddenLayers} layers "
            + $"({Enumerable.Range(0, c.NumHiddenLayers).Count(c.IsMoeLayer)} MoE), {c.NRoutedExperts} experts, "
            + $"top-{c.NumExpertsPerTok}, hidden {c.HiddenSize}");
        o.WriteLine($"machine  {MachineInfo.Describe()}; load average {MachineInfo.LoadAverage()}");
        o.WriteLine(Invariant($"ceiling  streaming read before each decode sample: {string.Join(", ", samples.Select(x => x.Ceiling.ToString("F1", CultureInfo.InvariantCulture)))} GB/s; weights paged in beforehand in {prefault:F1} s"));
        o.WriteLine(Invariant($"prefill  {PromptTokens} tokens in {first.PrefillTime.TotalSeconds:F3} s: {first.PrefillTokensPerSecond:F1} tokens/s"));
        o.WriteLine(Invariant($"decode   {samples.Count} samples of {GenTokens} tokens, {ordered.Min(x => x.Result.DecodeTokensPerSecond):F2} to {ordered.Max(x => x.Result.DecodeTokensPerSecond):F2} tokens/s end to end; x floor per sample {string.Join(", ", samples.Select(x => Ratio(x).ToString("F2", CultureInfo.InvariantCulture)))}"));
        o.WriteLine(Invariant($"median   model step {decodeSeconds * 1e3:F2} ms/token against a floor of {floorSeconds * 1e3:F2} ms ({footprint.TotalBytes / 1e6:F1} MB/token at {bandwidth:F1} GB/s): {decodeSeconds / floorSeconds:F2}x the floor"));
        o.WriteLine();
        o.WriteLine(
            $"{"layer",-8} {"kind",-6} {"weight MB",10} {"cache MB",9} {"floor ms",9} {"decode ms",10} {"x floor",8} "
            + $"{"prefill ms/token",17}");
        var rows = new List<Dictionary<string, object>>();
        for (int l = 0; l <= c.NumHiddenLayers; l++)
        {
            bool final = l == c.NumHiddenLayers;
            long weights = final ? footprint.FinalBytes : footprint.LayerWeightBytes[l];
            long cache = final ? 0 : footprint.LayerCacheBytes[l];
            double floor = (weights + cache) / bandwidth / 1e9;
            double decode = decodeProfile.DecodeSeconds(l) / decodeProfile.DecodeSteps;
            double prefill = prefillProfile.PrefillTokens > 0
                ? prefillProfile.PrefillSeconds(l) / prefillProfile.PrefillTokens
                : 0;
            string kind = final ? "head" : c.IsMoeLayer(l) ? "MoE" : "dense";
            o.WriteLine(Invariant($"{(final ? "lm_head" : l.ToString(CultureInfo.InvariantCulture)),-8} {kind,-6} {weights / 1e6,10:F1} {cache / 1e6,9:F2} {floor * 1e3,9:F2} {decode * 1e3,10:F2} {decode / floor,8:F2} {prefill * 1e3,17:F2}"));
            rows.Add(new Dictionary<string, object>
            {
                ["layer"] = final ? "lm_head" : l, ["kind"] = kind, ["weight_bytes"] = weights, ["cache_bytes"] = cache,
                ["floor_seconds"] = floor, ["decode_seconds"] = decode, ["ratio_to_floor"] = decode / floor, [
                    "prefill_seconds_per_token"] = prefill,
            });
        }
        if (Json is not null)
        {
            var record = new Dictionary<string, object>
            {
                ["model"] = host.Checkpoint.Directory,
                ["machine"] = MachineInfo.Describe(),
                ["date"] = started.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["backend"] = host.Model.Backend.Name,
                ["ceiling_gbps"] = bandwidth,
                ["prompt_tokens"] = PromptTokens,
                ["generated_tokens"] = result.GeneratedTokens,
                ["prefill_tokens_per_second"] = first.PrefillTokensPerSecond,
                ["decode_tokens_per_second"] = result.DecodeTokensPerSecond,
                ["decode_step_seconds"] = decodeSeconds,
                ["floor_seconds"] = floorSeconds,
                ["bytes_per_token"] = footprint.TotalBytes,
                ["samples"] = samples.Select(x => new Dictionary<string, object>
                {
                    ["ceiling_gbps"] = x.Ceiling,
                    ["decode_step_seconds"] = StepSeconds(x.Profile),
                    ["ratio_to_floor"] = Ratio(x)
                }).ToList(),
                ["layers"] = rows,
            };
            File.WriteAllText(
                Json,
                JsonSerializer.Serialize(
                    record,
                    new JsonSerializerOptions
                    {
                        WriteIndented = true,
                        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping
                    }) + "\n");
            o.WriteLine($"wrote {Json}");
        }
        return 0;
    }

    private static GenerationRequest Request(int[] prompt, int tokens) =>
        new() { PromptTokens = prompt, Sampling = SamplingParams.Greedy, MaxTokens = tokens, StopTokenIds = [] };
}
