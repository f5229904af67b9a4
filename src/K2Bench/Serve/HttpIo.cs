// Reading request bodies under the size limit and writing JSON, errors and server-sent events, for the
// endpoints of `k2 serve`. Every refusal goes out in OpenAI's error shape.
using K2Native.Serving;
using Microsoft.AspNetCore.Http;

namespace K2Bench.Serve;

internal static class HttpIo
{
    /// <summary>The whole body; 413 when it is larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpContext http, long limit)
    {
        if (http.Request.ContentLength > limit) throw TooLarge(limit);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + n > limit) throw TooLarge(limit);
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    public static async Task WriteJsonAsync(HttpContext http, int status, byte[] json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(json, http.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext http, ApiException e)
    {
        if (e.Status == 429) http.Response.Headers.RetryAfter = "1";
        if (e.Status == 401) http.Response.Headers.WWWAuthenticate = "Bearer";
        return WriteJsonAsync(http, e.Status, ChatResponseWriter.Error(e));
    }

    /// <summary>Starts a server-sent event stream.</summary>
    public static async Task StartEventsAsync(HttpContext http)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.StartAsync(http.RequestAborted);
    }

    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    /// <summary>Writes one event and flushes it.</summary>
    public static async Task WriteEventAsync(HttpContext http, byte[] data, CancellationToken cancellationToken)
    {
        await http.Response.Body.WriteAsync(DataPrefix, cancellationToken);
        await http.Response.Body.WriteAsync(data, cancellationToken);
        await http.Response.Body.WriteAsync(EventEnd, cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }

    public static Task WriteDoneAsync(HttpContext http, CancellationToken cancellationToken) =>
        WriteEventAsync(http, "[DONE]"u8.ToArray(), cancellationToken);

    private static ApiException TooLarge(long limit) =>
        new(413, $"the request body is larger than this server's limit of {limit} bytes", null, "request_too_large");
}
