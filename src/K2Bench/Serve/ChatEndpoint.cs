// POST /v1/chat/completions: the body is read and validated completely (any refusal is a 4xx before a stream
// starts), a generation slot is taken (429 when the queue is full), then the answer goes out whole or as
// server-sent chunks. The request's abort token reaches the engine, so a client that disconnects frees its
// sequence at once; at shutdown an open stream ends with an error event.
using System.Diagnostics;
using K2Native.Serving;
using K2Native.Text;
using Microsoft.AspNetCore.Http;

namespace K2Bench.Serve;

internal static class ChatEndpoint
{
    public static async Task HandleAsync(HttpContext http, ServerState state, ChatCompletionService service)
    {
        var clock = Stopwatch.StartNew();
        byte[] body = await HttpIo.ReadBodyAsync(http, state.Options.MaxBodyBytes);
        var request = ChatRequestReader.Read(body, field => state.Log($"ignored unknown request field \"{field}\""));
        var run = service.Start(request);
        if (!state.TryAdmit(service))
            throw new ApiException(
                429, "the server's queue is full; retry shortly", null, "queue_full", "rate_limit_error");
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, state.Stopping);
            var writer = new ChatResponseWriter(service.Defaults.ModelName, service.Engine.Tokenizer);
            run.OnMalformed = m => state.Log($"{writer.Id}: malformed model output ({m.Kind}): {m.Problem}");
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
        HttpContext http, ServerState state, ChatCompletionRun run, ChatResponseWriter writer, TokenTiming timing,
        CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in run.StreamAsync(cancellationToken))
                if (ChatResponseWriter.Shows(e) && e is not Finished) timing.Token();
        }
        catch (OperationCanceledException) when (state.Stopping.IsCancellationRequested
            && !http.RequestAborted.IsCancellationRequested)
        {
            throw new ApiException(503, "the server is shutting down", null, "server_shutdown", "server_error");
        }
        await HttpIo.WriteJsonAsync(
            http, 200, writer.Completion(run.Message, run.FinishReason ?? FinishReason.Stop, run.Usage!, run.LogProbs));
    }

    private static async Task StreamAsync(
        HttpContext http, ServerState state, ChatCompletionRun run, ChatResponseWriter writer, TokenTiming timing,
        bool includeUsage, CancellationToken cancellationToken)
    {
        await HttpIo.StartEventsAsync(http);
        await HttpIo.WriteEventAsync(http, writer.RoleChunk(), cancellationToken);
        try
        {
            await foreach (var e in run.StreamAsync(cancellationToken))
            {
                if (ChatResponseWriter.Shows(e) && e is not Finished) timing.Token();
                if (ChatResponseWriter.Shows(e))
                    await HttpIo.WriteEventAsync(http, writer.Chunk(e, run.TakeLogProbs()), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (state.Stopping.IsCancellationRequested
            && !http.RequestAborted.IsCancellationRequested)
        {
            var error = new ApiException(503, "the server is shutting down", null, "server_shutdown", "server_error");
            await HttpIo.WriteEventAsync(http, ChatResponseWriter.Error(error), CancellationToken.None);
            return;
        }
        if (includeUsage) await HttpIo.WriteEventAsync(http, writer.UsageChunk(run.Usage!), cancellationToken);
        await HttpIo.WriteDoneAsync(http, cancellationToken);
    }
}
