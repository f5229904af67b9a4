// `k2 synth`: writes a random-weight checkpoint in Kimi K2 Thinking's exact on-disk format —
// config.json with quantization_config, sharded safetensors with model.safetensors.index.json,
// INT4 pack-quantized routed experts, BF16 elsewhere, float32 router bias, and a tokenizer — or, with
// SynthQuant.Fp8, in K2 Instruct/Base's: every attention/MLP Linear weight F8_E4M3 with float32
// weight_scale_inv blocks of 128x128.
// Values come from a seeded generator per tensor and chunk, so a seed always gives the same bytes.
using System.Text.Json;
using K2Native.Checkpoint;
using K2Native.Numerics;

namespace K2Native.Applications.Synth;

/// <summary>Writes synthetic K2-format checkpoints.</summary>
internal static class SynthCheckpoint
{
    private const int ChunkElements = 1 << 20;

    /// <summary>Bytes of tensor data <see cref="Write"/> writes for <paramref name="arch"/> (headers and tokenizer
    /// files not counted).</summary>
    public static long TensorBytes(SynthArchitecture arch) => Plan(arch).Sum(t => t.Bytes);

    /// <summary>Writes the checkpoint for <paramref name="arch"/> into <paramref name="directory"/>; returns the bytes
    /// of tensor data.</summary>
    public static long Write(
        SynthArchitecture arch, string directory, ulong seed, long shardBytes, Action<string>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardBytes, 1);
        Directory.CreateDirectory(directory);
        foreach (var stale in Directory.GetFiles(directory, "*.safetensors")) File.Delete(stale);
        var plan = Plan(arch);
        var shards = new List<List<Planned>>();
        long inShard = 0;
        foreach (var t in plan)
        {
            if (shards.Count == 0 || (inShard > 0 && t.Bytes > shardBytes - inShard)) { shards.Add([]); inShard = 0; }
            shards[^1].Add(t);
            inShard += t.Bytes;
        }

        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        for (int s = 0; s < shards.Count; s++)
        {
            string fileName = $"model-{s + 1:D5}-of-{shards.Count:D5}.safetensors";
            var writer = new SafetensorsWriter();
            writer.AddMetadata("format", "pt");
            foreach (var t in shards[s])
            {
                writer.Add(t.Name, t.DType, t.Shape, stream => Generate(t, seed, stream));
                weightMap[t.Name] = fileName;
            }
            progress?.Invoke($"writing {fileName} ({writer.DataBytes / (1024.0 * 1024):F1} MiB)");
            writer.Save(Path.Combine(directory, fileName));
            total += writer.DataBytes;
        }
        WriteIndex(Path.Combine(directory, SafetensorsCheckpoint.IndexFileName), weightMap, total);
        WriteConfig(Path.Combine(directory, K2Config.FileName), arch);
        SynthTokenizer.Write(directory, arch.Ranks);
        return total;
    }

    private enum Fill { Bf16Uniform, Bf16Norm, F32Bias, Int4Words, Int4Scales, Int32Values, Fp8Codes, Fp8Scales }

    /// <summary>
    /// Random FP8 codes are drawn from this table: logistic-distributed values (bell-shaped, standard deviation about
    /// Fp8CodeStd) rounded to e4m3, so a 12-bit random number picks a code without rounding each element.
    /// </summary>
    private static readonly byte[] Fp8CodeTable = Enumerable.Range(0, 4096)
        .Select(i => Fp8E4M3.FromFloat((float)(37.3 * Math.Log((i + 0.5) / (4095.5 - i))))).ToArray();

    private const float Fp8CodeStd = 67.6f;

    private sealed record Planned(string Name, DType DType, long[] Shape, Fill Fill, float Scale, int[]? Values = null)
    {
        public long Bytes => Shape.Aggregate((long)DTypes.SizeOf(DType), (a, d) => a * d);
    }

    private static List<Planned> Plan(SynthArchitecture a)
    {
        var plan = new List<Planned>();
        void Bf16(string name, long rows, long cols, float std) =>
            plan.Add(new Planned(name, DType.BF16, [rows, cols], Fill.Bf16Uniform, std * MathF.Sqrt(3)));
        void Norm(string name, long n) => plan.Add(new Planned(name, DType.BF16, [n], Fill.Bf16Norm, 0.1f));
        void Linear(string module, int rows, int cols, bool int4)
        {
            float std = 1f / MathF.Sqrt(cols);
            if (a.Quant == SynthQuant.Fp8)
            {
                const int block = MatrixSource.Fp8Block;
                plan.Add(new Planned(module + ".weight", DType.F8_E4M3, [rows, cols], Fill.Fp8Codes, 0));
                plan.Add(
                    new Planned(
                        module + ".weight_scale_inv", DType.F32,
                        [(rows + block - 1) / block, (cols + block - 1) / block], Fill.Fp8Scales, std / Fp8CodeStd));
                return;
            }
            if (!int4) { Bf16(module + ".weight", rows, cols, std); return; }
            plan.Add(new Planned(module + ".weight_packed", DType.I32, [rows, cols / 8], Fill.Int4Words, 0));
            // Uniform nibbles have a standard deviation of about 4.61 quantization steps.
            plan.Add(
                new Planned(
                    module + ".weight_scale", DType.BF16, [rows, cols / a.GroupSize], Fill.Int4Scales, std / 4.61f));
            plan.Add(new Planned(module + ".weight_shape", DType.I32, [2], Fill.Int32Values, 0, [rows, cols]));
        }
        void Mlp(string module, int hidden, int inner, bool int4)
        {
            Linear(module + ".gate_proj", inner, hidden, int4);
            Linear(module + ".up_proj", inner, hidden, int4);
            Linear(module + ".down_proj", hidden, inner, int4);
        }

        int d = a.HiddenSize;
        Bf16(K2Names.Embedding, a.VocabSize, d, 1f);
        for (int l = 0; l < a.Layers; l++)
        {
            string p = K2Names.Layer(l), at = K2Names.Attention(l);
            Norm(p + ".input_layernorm.weight", d);
            if (a.QLoraRank is int rq)
            {
                Linear(at + ".q_a_proj", rq, d, false);
                Norm(at + ".q_a_layernorm.weight", rq);
                Linear(at + ".q_b_proj", a.Heads * (a.NopeDim + a.RopeDim), rq, false);
            }
            else
            {
                Linear(at + ".q_proj", a.Heads * (a.NopeDim + a.RopeDim), d, false);
            }
            Linear(at + ".kv_a_proj_with_mqa", a.KvLoraRank + a.RopeDim, d, false);
            Norm(at + ".kv_a_layernorm.weight", a.KvLoraRank);
            Linear(at + ".kv_b_proj", a.Heads * (a.NopeDim + a.ValueDim), a.KvLoraRank, false);
            Linear(at + ".o_proj", d, a.Heads * a.ValueDim, false);
            Norm(p + ".post_attention_layernorm.weight", d);
            if (l < a.FirstDenseLayers)
            {
                Mlp(K2Names.Mlp(l), d, a.IntermediateSize, false);
                continue;
            }
            Bf16(K2Names.Mlp(l) + ".gate.weight", a.Experts, d, 1f / MathF.Sqrt(d));
            plan.Add(
                new Planned(
                    K2Names.Mlp(l) + ".gate.e_score_correction_bias", DType.F32, [a.Experts], Fill.F32Bias, 0.05f));
            for (int e = 0; e < a.Experts; e++) Mlp(K2Names.Expert(l, e), d, a.MoeIntermediateSize, true);
            if (a.SharedExperts > 0) Mlp(K2Names.SharedExperts(l), d, a.MoeIntermediateSize * a.SharedExperts, false);
        }
        Norm(K2Names.FinalNorm, d);
        Bf16(K2Names.LmHead + ".weight", a.VocabSize, d, 1f / MathF.Sqrt(d));
        return plan;
    }

    private static void Generate(Planned t, ulong seed, Stream stream)
    {
        long elements = t.Shape.Aggregate(1L, (x, d) => x * d);
        int size = DTypes.SizeOf(t.DType);
        long chunks = (elements + ChunkElements - 1) / ChunkElements;
        const int Batch = 16;
        var buffers = new byte[Batch][];
        for (long first = 0; first < chunks; first += Batch)
        {
            int count = (int)Math.Min(Batch, chunks - first);
            Parallel.For(0, count, i =>
            {
                long chunk = first + i;
                int n = (int)Math.Min(ChunkElements, elements - chunk * ChunkElements);
                var bytes = buffers[i] is { } b && b.Length == n * size ? b : new byte[n * size];
                FillChunk(t, SplitMix64.For(seed, t.Name, chunk), bytes.AsSpan(), n, chunk * ChunkElements);
                buffers[i] = bytes;
            });
            for (int i = 0; i < count; i++) stream.Write(buffers[i]);
        }
    }

    private static void FillChunk(Planned t, SplitMix64 rng, Span<byte> bytes, int n, long firstElement)
    {
        var u16 = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bytes);
        var f32 = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes);
        var i32 = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes);
        switch (t.Fill)
        {
            case Fill.Bf16Uniform:
                for (int i = 0; i < n; i++) u16[i] = Bf16.FromFloat(rng.NextSymmetric(t.Scale));
                break;
            case Fill.Bf16Norm:
                for (int i = 0; i < n; i++) u16[i] = Bf16.FromFloat(1f + rng.NextSymmetric(t.Scale));
                break;
            case Fill.F32Bias:
                for (int i = 0; i < n; i++) f32[i] = rng.NextSymmetric(t.Scale);
                break;
            case Fill.Int4Words:
                for (int i = 0; i < n; i++) i32[i] = (int)rng.Next();
                break;
            case Fill.Int4Scales:
                for (int i = 0; i < n; i++) u16[i] = Bf16.FromFloat(t.Scale * (0.75f + 0.5f * rng.NextFloat()));
                break;
            case Fill.Fp8Codes:
                for (int i = 0; i < n; i++) bytes[i] = Fp8CodeTable[rng.Next() & 4095];
                break;
            case Fill.Fp8Scales:
                for (int i = 0; i < n; i++) f32[i] = t.Scale * (0.75f + 0.5f * rng.NextFloat());
                break;
            case Fill.Int32Values:
                for (int i = 0; i < n; i++) i32[i] = t.Values![firstElement + i];
                break;
        }
    }

    private static void WriteIndex(string path, SortedDictionary<string, string> weightMap, long total)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("metadata");
        json.WriteNumber("total_size", total);
        json.WriteEndObject();
        json.WriteStartObject("weight_map");
        foreach (var (name, file) in weightMap) json.WriteString(name, file);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteConfig(string path, SynthArchitecture a)
    {
        int bos = a.Ranks, imEnd = a.Ranks + 2;
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartArray("architectures");
        json.WriteStringValue("DeepseekV3ForCausalLM");
        json.WriteEndArray();
        json.WriteString("model_type", "kimi_k2");
        json.WriteNumber("bos_token_id", bos);
        json.WriteNumber("eos_token_id", imEnd);
        json.WriteNumber("pad_token_id", a.Ranks + 255);
        json.WriteNumber("vocab_size", a.VocabSize);
        json.WriteNumber("hidden_size", a.HiddenSize);
        json.WriteNumber("intermediate_size", a.IntermediateSize);
        json.WriteNumber("moe_intermediate_size", a.MoeIntermediateSize);
        json.WriteNumber("num_hidden_layers", a.Layers);
        json.WriteNumber("num_nextn_predict_layers", 0);
        json.WriteNumber("first_k_dense_replace", a.FirstDenseLayers);
        json.WriteNumber("moe_layer_freq", 1);
        json.WriteNumber("n_routed_experts", a.Experts);
        json.WriteNumber("n_shared_experts", a.SharedExperts);
        json.WriteNumber("num_experts_per_tok", a.ExpertsPerToken);
        json.WriteNumber("num_attention_heads", a.Heads);
        json.WriteNumber("num_key_value_heads", a.Heads);
        if (a.QLoraRank is int rq) json.WriteNumber("q_lora_rank", rq); else json.WriteNull("q_lora_rank");
        json.WriteNumber("kv_lora_rank", a.KvLoraRank);
        json.WriteNumber("qk_nope_head_dim", a.NopeDim);
        json.WriteNumber("qk_rope_head_dim", a.RopeDim);
        json.WriteNumber("v_head_dim", a.ValueDim);
        json.WriteNumber("n_group", a.Groups);
        json.WriteNumber("topk_group", a.TopkGroups);
        json.WriteString("topk_method", "noaux_tc");
        json.WriteString("scoring_func", "sigmoid");
        json.WriteBoolean("norm_topk_prob", true);
        json.WriteNumber("routed_scaling_factor", a.RoutedScalingFactor);
        json.WriteString("hidden_act", "silu");
        json.WriteNumber("rms_norm_eps", a.RmsNormEps);
        json.WriteNumber("rope_theta", a.RopeTheta);
        json.WriteStartObject("rope_scaling");
        json.WriteString("type", "yarn");
        json.WriteNumber("factor", a.YarnFactor);
        json.WriteNumber("original_max_position_embeddings", a.YarnOriginalMaxPositions);
        json.WriteNumber("beta_fast", 1.0);
        json.WriteNumber("beta_slow", 1.0);
        json.WriteNumber("mscale", 1.0);
        json.WriteNumber("mscale_all_dim", 1.0);
        json.WriteEndObject();
        json.WriteNumber("max_position_embeddings", a.MaxPositions);
        json.WriteBoolean("attention_bias", false);
        json.WriteBoolean("tie_word_embeddings", false);
        json.WriteString("torch_dtype", "bfloat16");
        WriteQuantization(json, a);
        json.WriteEndObject();
    }

    private static void WriteQuantization(Utf8JsonWriter json, SynthArchitecture a)
    {
        json.WriteStartObject("quantization_config");
        if (a.Quant == SynthQuant.Fp8)
        {
            json.WriteString("activation_scheme", "dynamic");
            json.WriteString("fmt", "e4m3");
            json.WriteString("quant_method", "fp8");
            json.WriteStartArray("weight_block_size");
            json.WriteNumberValue(MatrixSource.Fp8Block);
            json.WriteNumberValue(MatrixSource.Fp8Block);
            json.WriteEndArray();
            json.WriteEndObject();
            return;
        }
        json.WriteString("quant_method", "compressed-tensors");
        json.WriteString("format", "pack-quantized");
        json.WriteString("quantization_status", "compressed");
        json.WriteStartObject("config_groups");
        json.WriteStartObject("group_0");
        json.WriteStartArray("targets");
        json.WriteStringValue("Linear");
        json.WriteEndArray();
        json.WriteNull("input_activations");
        json.WriteNull("output_activations");
        json.WriteStartObject("weights");
        json.WriteNumber("num_bits", 4);
        json.WriteString("type", "int");
        json.WriteBoolean("symmetric", true);
        json.WriteString("strategy", "group");
        json.WriteNumber("group_size", a.GroupSize);
        json.WriteBoolean("dynamic", false);
        json.WriteNull("actorder");
        json.WriteString("observer", "minmax");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartArray("ignore");
        json.WriteStringValue(K2Names.LmHead);
        for (int l = 0; l < a.Layers; l++)
        {
            foreach (var proj in a.QLoraRank is null
                         ? new[] { "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "q_proj" }
                         : ["kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "q_a_proj", "q_b_proj"])
                json.WriteStringValue($"{K2Names.Attention(l)}.{proj}");
            string mlp = l < a.FirstDenseLayers ? K2Names.Mlp(l) : K2Names.SharedExperts(l);
            if (l < a.FirstDenseLayers || a.SharedExperts > 0)
                foreach (var proj in new[] { "gate_proj", "up_proj", "down_proj" })
                    json.WriteStringValue($"{mlp}.{proj}");
        }
        json.WriteEndArray();
        json.WriteNull("kv_cache_scheme");
        json.WriteStartObject("sparsity_config");
        json.WriteEndObject();
        json.WriteString("version", "0.11.0");
        json.WriteEndObject();
    }
}
