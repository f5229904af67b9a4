// Fuzz targets of the OpenAI-compatible API's request bodies ("chat-request": POST /v1/chat/completions,
// "completion-request": POST /v1/completions), run through what the server does with a body short of the socket:
// the reader, the service's render/tokenize/context checks, a generation on the bundled tiny model (max_tokens
// capped at 2 so an input stays fast; every sampling field the body sets is used) and the response JSON. A body
// is refused only with ApiException (status 400 or 404, a type and a message); an accepted one streams events and
// writes a response that parses as JSON with the fields a client reads.
using System.Text.Json;
using K2Native.Backends.Cpu;
using K2Native.Runtime;
using K2Native.Serving;
using K2Native.Text;

namespace K2Native.Fuzz;

internal static class ServerRequestTargets
{
    private const int MaxGeneratedTokens = 2;

    private static readonly Lazy<ChatCompletionService> Service = new(() =>
    {
        var host = ModelHost.Open(
            BundledModel.Directory, new CpuBackend(), new EngineOptions { KvCacheBytes = 16L << 20 });
        return new ChatCompletionService(
            host.Engine, host.Template, new ServingDefaults { ModelName = "k2", MaxTokens = MaxGeneratedTokens });
    });

    public static readonly FuzzTarget Chat = new(
        "chat-request",
        "ApiException (400/404, with a type) or it generates and the response is JSON with choices[0].message",
        input =>
        {
            var service = Service.Value;
            var request = Checked(() => ChatRequestReader.Read(input));
            request = request with
            {
                MaxTokens = Math.Min(request.MaxTokens ?? MaxGeneratedTokens, MaxGeneratedTokens)
            };
            var run = Checked(() => service.Start(request));
            var writer = new ChatResponseWriter("k2", service.Engine.Tokenizer);
            foreach (var e in Drain(run.StreamAsync()))
                if (ChatResponseWriter.Shows(e)) Json(writer.Chunk(e), "choices");
            var body = Json(
                writer.Completion(run.Message, run.FinishReason ?? FinishReason.Stop, run.Usage!, run.LogProbs),
                "choices");
            if (body.GetProperty("choices")[0].GetProperty("message").ValueKind != JsonValueKind.Object)
                throw new PropertyViolation("choices[0].message is not an object");
        },
        [typeof(ApiException)],
        () => _ = Service.Value);

    public static readonly FuzzTarget Completion = new(
        "completion-request",
        "ApiException (400/404, with a type) or it generates and the response is JSON with choices[0].text",
        input =>
        {
            var service = Service.Value;
            var request = Checked(() => TextCompletionRequest.Read(input));
            request = request with
            {
                MaxTokens = Math.Min(request.MaxTokens ?? MaxGeneratedTokens, MaxGeneratedTokens)
            };
            var run = Checked(() => service.StartText(request));
            var writer = new TextResponseWriter("k2", service.Engine.Tokenizer, run.Echo);
            var text = new System.Text.StringBuilder(run.Echo);
            var logProbs = new List<TokenLogProbs>();
            foreach (var piece in Drain(run.StreamAsync()))
            {
                text.Append(piece.Text);
                if (piece.LogProbs is { } lp) logProbs.Add(lp);
                Json(writer.Chunk(piece.Text, piece.LogProbs is null ? null : [piece.LogProbs]), "choices");
            }
            var body = Json(
                writer.Completion(
                    text.ToString(), run.LogProbs ? logProbs : null, run.FinishReason ?? FinishReason.Stop, run.Usage!),
                "choices");
            if (body.GetProperty("choices")[0].GetProperty("text").ValueKind != JsonValueKind.String)
                throw new PropertyViolation("choices[0].text is not a string");
        },
        [typeof(ApiException)],
        () => _ = Service.Value);

    /// <summary>Runs a step that may refuse the request; a refusal must look like one the server can send.</summary>
    private static T Checked<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (ApiException e)
        {
            if (e.Status is not (400 or 404))
                throw new PropertyViolation($"status {e.Status} for a request body: {e.Message}");
            if (string.IsNullOrEmpty(e.Type)) throw new PropertyViolation($"no error type: {e.Message}");
            if (e.Param is { Length: 0 }) throw new PropertyViolation($"empty param: {e.Message}");
            throw;
        }
    }

    private static IEnumerable<T> Drain<T>(IAsyncEnumerable<T> events)
    {
        var e = events.GetAsyncEnumerator();
        try
        {
            while (e.MoveNextAsync().AsTask().GetAwaiter().GetResult()) yield return e.Current;
        }
        finally
        {
            e.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static JsonElement Json(byte[] utf8, string required)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(utf8).RootElement;
        }
        catch (JsonException e)
        {
            throw new PropertyViolation(
                $"response is not JSON ({e.Message}): {System.Text.Encoding.UTF8.GetString(utf8)}");
        }
        if (!root.TryGetProperty(required, out _)) throw new PropertyViolation($"response has no \"{required}\"");
        return root;
    }
}
