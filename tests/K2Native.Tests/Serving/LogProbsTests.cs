// logprobs / top_logprobs against a live loopback server over the bundled tiny model, checked against a
// log-softmax of the model's own logits for the same tokens (a separate K2Model forward pass over prompt plus
// answer): chat's content[] (also when sampling at another temperature: the values are at temperature 1), the
// stream's per-chunk entries adding up to the whole answer's, legacy completions' shape, and a constrained answer
// (the scripted model: every forced token has probability 1 and no alternative).
using System.Net;
using System.Text.Json.Nodes;
using K2Native.Backends.Cpu;
using K2Native.Checkpoint;
using K2Native.Model;
using K2Native.Serving;
using K2Native.Text;

namespace K2Native.Tests.Serving;

[Collection(ServerCollection.Name)]
public sealed class LogProbsTests(ServerFixture server)
{
    private const double Tolerance = 2e-3;

    [Fact]
    public async Task ChatLogProbsAreTheLogSoftmaxOfTheRawLogitsAtTemperatureOne()
    {
        var body = await Post(server.PlainClient, "/v1/chat/completions",
            """{"messages": [{"role": "user", "content": "hello"}], "max_tokens": 10, "temperature": 0.7, "seed": 3, "logprobs": true, "top_logprobs": 5}""");
        var content = body["choices"]![0]!["logprobs"]!["content"]!.AsArray();
        Assert.Equal(body["usage"]!["completion_tokens"]!.GetValue<int>(), content.Count);
        int[] prompt = server.Host.Tokenizer.Encode(
            server.Host.Template.Render([ChatMessage.User("hello")], null, true));
        int[] answer = [.. content.Select(e => IdOf(e!["bytes"]!))];
        var rows = LogSoftmaxRows([.. prompt, .. answer[..^1]]);
        for (int i = 0; i < answer.Length; i++)
        {
            var row = rows[prompt.Length - 1 + i];
            var entry = content[i]!;
            Assert.Equal(LogProbsJson.Text(server.Host.Tokenizer, answer[i]), entry["token"]!.GetValue<string>());
            AssertClose(row[answer[i]], entry["logprob"]!.GetValue<double>(), $"token {i}");
            var top = entry["top_logprobs"]!.AsArray();
            Assert.Equal(5, top.Count);
            double[] best = [.. row.OrderDescending().Take(5)];
            for (int j = 0; j < 5; j++)
            {
                AssertClose(
                    row[IdOf(top[j]!["bytes"]!)],
                    top[j]!["logprob"]!.GetValue<double>(),
                    $"token {i}, alternative {j}");
                AssertClose(
                    best[j], top[j]!["logprob"]!.GetValue<double>(),
                    $"token {i}, alternative {j} is the {j + 1}th most likely");
            }
        }
    }

    [Fact]
    public async Task StreamedLogProbsAddUpToTheWholeAnswersAtTemperatureZero()
    {
        const string request = """{"messages": [{"role": "user", "content": "count"}], "max_tokens": 16, "temperature": 0, "logprobs": true, "top_logprobs": 2""";
        var whole = await Post(server.PlainClient, "/v1/chat/completions", request + "}");
        var expected = whole["choices"]![0]!["logprobs"]!["content"]!.AsArray();
        using var response = await server.PlainClient.PostAsync(
            "/v1/chat/completions", ServerFixture.Json(request + ", \"stream\": true}"));
        var chunks = Sse.Chunks(await Sse.ReadAllAsync(response));
        var streamed = chunks.Skip(1).SelectMany(c => c["choices"]![0]!["logprobs"]!["content"]!.AsArray()).ToList();
        Assert.Equal(expected.Select(e => e!.ToJsonString()), streamed.Select(e => e!.ToJsonString()));
        Assert.Null(chunks[0]["choices"]![0]!["logprobs"]);
    }

    [Fact]
    public async Task LegacyLogProbsFollowGreedyDecodingOfTheLogits()
    {
        int[] prompt = server.Host.Tokenizer.Encode("The capital of France is");
        var body = await Post(server.PlainClient, "/v1/completions",
            new JsonObject
            {
                ["prompt"] = new JsonArray([.. prompt.Select(i => JsonValue.Create(i))]),
                ["max_tokens"] = 8,
                ["temperature"] = 0,
                ["logprobs"] = 3
            }.ToJsonString());
        var choice = body["choices"]![0]!;
        var logprobs = choice["logprobs"]!;
        var tokens = logprobs["tokens"]!.AsArray();
        Assert.Equal(body["usage"]!["completion_tokens"]!.GetValue<int>(), tokens.Count);
        var sequence = prompt.ToList();
        string text = choice["text"]!.GetValue<string>();
        int previousOffset = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            var row = LogSoftmaxRows([.. sequence])[^1];
            int greedy = Array.IndexOf(row, row.Max());
            Assert.Equal(LogProbsJson.Text(server.Host.Tokenizer, greedy), tokens[i]!.GetValue<string>());
            double logprob = logprobs["token_logprobs"]![i]!.GetValue<double>();
            AssertClose(row[greedy], logprob, $"token {i}");
            var top = logprobs["top_logprobs"]![i]!.AsObject();
            Assert.InRange(top.Count, 1, 4);
            Assert.Equal(logprob, top[tokens[i]!.GetValue<string>()]!.GetValue<double>());
            int offset = logprobs["text_offset"]![i]!.GetValue<int>();
            Assert.InRange(offset, previousOffset, text.Length);
            string token = tokens[i]!.GetValue<string>();
            if (!token.Contains('\uFFFD') && !token.StartsWith("<|", StringComparison.Ordinal))
                Assert.Equal(token, text.Substring(offset, Math.Min(token.Length, text.Length - offset)));
            previousOffset = offset;
            sequence.Add(greedy);
        }
    }

    [Fact]
    public async Task ForcedTokensHaveProbabilityOneAndNoAlternative()
    {
        var body = await Post(server.ScriptedClient, "/v1/chat/completions",
            """{"messages": [{"role": "user", "content": "hi"}], "logprobs": true, "top_logprobs": 3}""");
        var content = body["choices"]![0]!["logprobs"]!["content"]!.AsArray();
        Assert.NotEmpty(content);
        Assert.All(content, e =>
        {
            Assert.Equal(0, e!["logprob"]!.GetValue<double>());
            Assert.Single(e["top_logprobs"]!.AsArray());
        });
        Assert.Equal("<|im_end|>", content[^1]!["token"]!.GetValue<string>());
    }

    private static async Task<JsonNode> Post(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, ServerFixture.Json(json));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(
            Math.Abs(expected - actual) <= Tolerance, $"{what}: logprob {actual}, the model's logits give {expected}");

    /// <summary>The token whose bytes are <paramref name="bytes"/> (ordinary tokens first, then special
    /// names).</summary>
    private int IdOf(JsonNode bytes)
    {
        byte[] wanted = [.. bytes.AsArray().Select(b => (byte)b!.GetValue<int>())];
        var tokenizer = server.Host.Tokenizer;
        for (int id = 0; id < tokenizer.VocabSize; id++)
            if (tokenizer.TokenBytes(id).SequenceEqual(wanted)) return id;
        throw new InvalidOperationException($"no token has the bytes [{string.Join(", ", wanted)}]");
    }

    /// <summary>Log-softmax (double) of a fresh forward pass's logits at every position of
    /// <paramref name="ids"/>.</summary>
    private static double[][] LogSoftmaxRows(int[] ids)
    {
        using var checkpoint = K2Checkpoint.Open(ServerFixture.Bundled);
        var model = K2Model.Load(checkpoint, new CpuBackend());
        int v = checkpoint.Config.VocabSize;
        var logits = new float[(long)ids.Length * v];
        model.Forward(ids, logits);
        var rows = new double[ids.Length][];
        for (int t = 0; t < ids.Length; t++)
        {
            var row = logits.AsSpan(t * v, v);
            double max = double.NegativeInfinity, sum = 0;
            foreach (float x in row) max = Math.Max(max, x);
            foreach (float x in row) sum += Math.Exp(x - max);
            rows[t] = new double[v];
            for (int i = 0; i < v; i++) rows[t][i] = row[i] - max - Math.Log(sum);
        }
        return rows;
    }
}
