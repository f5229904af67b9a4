// The endpoints of `k2 serve` and what wraps each of them: the method check, the API key (on /v1 and the
// tokenizer routes; /health and /metrics stay open, as in vLLM), "still loading" while the model loads, the
// request counter, and the translation of every refusal into OpenAI's error shape. Validation errors are 4xx;
// only a failure of the engine itself is a 5xx.
using System.Security.Cryptography;
using System.Text;
using K2Native.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace K2Bench.Serve;

internal static class Routes
{
    public static void Map(WebApplication app, ServerState state)
    {
        Route(app, state, "/health", "GET", needsKey: false, needsModel: true, (http, _) =>
            HttpIo.WriteJsonAsync(http, 200, "{\"status\":\"ok\"}"u8.ToArray()));
        Route(app, state, "/metrics", "GET", needsKey: false, needsModel: false, async (http, _) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4";
            await http.Response.WriteAsync(state.Metrics.Render(state.Service?.Engine), http.RequestAborted);
        });
        Route(app, state, "/v1/models", "GET", needsKey: true, needsModel: true, (http, service) =>
            HttpIo.WriteJsonAsync(http, 200, ModelsJson(service)));
        Route(app, state, "/v1/chat/completions", "POST", needsKey: true, needsModel: true, (http, service) =>
            ChatEndpoint.HandleAsync(http, state, service));
        Route(app, state, "/v1/completions", "POST", needsKey: true, needsModel: true, (http, service) =>
            CompletionsEndpoint.HandleAsync(http, state, service));
        Route(app, state, "/tokenize", "POST", needsKey: true, needsModel: true, (http, service) =>
            TokenizerEndpoints.TokenizeAsync(http, state, service));
        Route(app, state, "/detokenize", "POST", needsKey: true, needsModel: true, (http, service) =>
            TokenizerEndpoints.DetokenizeAsync(http, state, service));
        app.MapFallback(async http =>
        {
            var e = new ApiException(404, $"no route {http.Request.Method} {http.Request.Path}", null, "not_found");
            state.Metrics.CountRequest("other", 404);
            await HttpIo.WriteErrorAsync(http, e);
        });
    }

    private static void Route(
        WebApplication app, ServerState state, string path, string method, bool needsKey, bool needsModel,
        Func<HttpContext, ChatCompletionService, Task> handler)
    {
        app.Map(path, async http =>
        {
            try
            {
                if (!HttpMethods.Equals(http.Request.Method, method))
                    throw new ApiException(
                        405, $"{path} takes {method}, not {http.Request.Method}", null, "method_not_allowed");
                if (needsKey) CheckKey(http, state.Options.ApiKey);
                var service = state.Service;
                if (service is null && needsModel)
                    throw new ApiException(503, "the model is still loading", null, "model_loading", "server_error");
                await handler(http, service!);
            }
            catch (ApiException e) when (!http.Response.HasStarted)
            {
                await HttpIo.WriteErrorAsync(http, e);
            }
            catch (BadHttpRequestException e) when (!http.Response.HasStarted)
            {
                await HttpIo.WriteErrorAsync(http, new ApiException(e.StatusCode, e.Message, null, "bad_request"));
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // the client went away; nobody reads the answer
                if (!http.Response.HasStarted) http.Response.StatusCode = 499;
            }
            catch (Exception e) when (!http.Response.HasStarted)
            {
                state.Log($"{path}: internal error: {e}");
                await HttpIo.WriteErrorAsync(
                    http,
                    new ApiException(500, $"internal error: {e.Message}", null, "internal_error", "server_error"));
            }
            finally
            {
                state.Metrics.CountRequest(path, http.Response.StatusCode);
            }
        });
    }

    private static void CheckKey(HttpContext http, string? key)
    {
        if (key is null) return;
        string header = http.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        bool ok = header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
                  && CryptographicOperations.FixedTimeEquals(
                      Encoding.UTF8.GetBytes(header[bearer.Length..].Trim()), Encoding.UTF8.GetBytes(key));
        if (!ok)
            throw new ApiException(
                401, "a valid API key is required (Authorization: Bearer KEY)", null, "invalid_api_key");
    }

    private static byte[] ModelsJson(ChatCompletionService service) => ChatResponseWriter.Write(w =>
    {
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        w.WriteStartObject();
        w.WriteString("id", service.Defaults.ModelName);
        w.WriteString("object", "model");
        w.WriteNumber("created", StartTime);
        w.WriteString("owned_by", "k2native");
        w.WriteNumber("max_model_len", service.Engine.ContextLength);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    private static readonly long StartTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
