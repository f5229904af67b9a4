// POST /v1/completions (legacy text completions): read and validated whole before anything is sent, a
// generation slot taken (429 when the queue is full), then the text goes out whole or as server-sent chunks
// (the echo first, a chunk per engine update, a finish chunk, the usage chunk when asked, [DONE]). Disconnects
// and shutdown behave as for chat completions.
using System.Diagnostics;
using System.Text;
using K2Native.Runtime;
using K2Native.Serving;
using K2Native.Text;
using Microsoft.AspNetCore.Http;

namespace K2Bench.Serve;

internal static class CompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext http, ServerState state, ChatCompletionService service)
    {
        var clock = Stopwatch.StartNew();
        byte[] body = await HttpIo.ReadBodyAsync(http, state.Options.MaxBodyBytes);
        var request = TextCompletionRequest.Read(
            body, field => state.Log($"ignored unknown request field \"{field}\""));
        var run = service.StartText(request);
        if (!state.TryAdmit(service))
            throw new ApiException(
                429, "the server's queue is full; retry shortly", null, "queue_full", "rate_limit_error");
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, state.Stopping);
            var writer = new TextResponseWriter(service.Defaults.ModelName, service.Engine.Tokenizer, run.Echo);
            var timing = new TokenTiming(state.Metrics, clock);
            if (request.Stream) await StreamAsync(http, state, run, writer, timing, request.IncludeUsage, linked.Token);
            else await CompleteAsync(http, state, run, writer, timing, linked.Token);
        }
        finally
        {
            state.Leave();
        }
    }

    private static async Task CompleteAsync(
        HttpContext http, ServerState state, TextCompletionRun run, TextResponseWriter writer, TokenTiming timing,
        CancellationToken cancellationToken)
    {
        var text = new StringBuilder(run.Echo);
        var logProbs = run.LogProbs ? new List<TokenLogProbs>() : null;
        try
        {
            await foreach (var piece in run.StreamAsync(cancellationToken))
            {
                timing.Token();
                text.Append(piece.Text);
                if (piece.LogProbs is { } l) logProbs?.Add(l);
            }
        }
        catch (OperationCanceledException) when (state.Stopping.IsCancellationRequested
            && !http.RequestAborted.IsCancellationRequested)
        {
            throw new ApiException(503, "the server is shutting down", null, "server_shutdown", "server_error");
        }
        await HttpIo.WriteJsonAsync(
            http, 200, writer.Completion(text.ToString(), logProbs, run.FinishReason ?? FinishReason.Stop, run.Usage!));
    }

    private static async Task StreamAsync(
        HttpContext http, ServerState state, TextCompletionRun run, TextResponseWriter writer, TokenTiming timing,
        bool includeUsage, CancellationToken cancellationToken)
    {
        await HttpIo.StartEventsAsync(http);
        if (run.Echo.Length > 0) await HttpIo.WriteEventAsync(http, writer.Chunk(run.Echo, null), cancellationToken);
        try
        {
            await foreach (var piece in run.StreamAsync(cancellationToken))
            {
                timing.Token();
                await HttpIo.WriteEventAsync(
                    http, writer.Chunk(piece.Text, piece.LogProbs is { } l ? [l] : null), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (state.Stopping.IsCancellationRequested
            && !http.RequestAborted.IsCancellationRequested)
        {
            var error = new ApiException(503, "the server is shutting down", null, "server_shutdown", "server_error");
            await HttpIo.WriteEventAsync(http, ChatResponseWriter.Error(error), CancellationToken.None);
            return;
        }
        await HttpIo.WriteEventAsync(
            http, writer.FinishChunk(run.FinishReason ?? FinishReason.Stop), cancellationToken);
        if (includeUsage) await HttpIo.WriteEventAsync(http, writer.UsageChunk(run.Usage!), cancellationToken);
        await HttpIo.WriteDoneAsync(http, cancellationToken);
    }
}
