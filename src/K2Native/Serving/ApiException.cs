// A request the OpenAI-compatible API refuses, in OpenAI's error shape: an HTTP status, a type, the request
// parameter at fault (a JSON path such as messages[2].tool_call_id) and a machine-readable code. Thrown by the
// request readers and the chat mapping; the HTTP server and K2ChatClient turn it into their own error surface.
namespace K2Native.Serving;

/// <summary>A refused API request: <c>{"error": {"message", "type", "param", "code"}}</c> with an HTTP
/// status.</summary>
public sealed class ApiException : Exception
{
    public ApiException(
        int status, string message, string? param = null, string? code = null, string type = "invalid_request_error")
        : base(message)
    {
        Status = status;
        Param = param;
        Code = code;
        Type = type;
    }

    /// <summary>HTTP status: 400 invalid request, 401 key, 404 unknown model or route, 413 body too large, 429 queue
    /// full.</summary>
    public int Status { get; }

    /// <summary>The request field at fault, as a JSON path; null when the request as a whole is.</summary>
    public string? Param { get; }

    public string? Code { get; }

    public string Type { get; }

    /// <summary>400 naming <paramref name="param"/>.</summary>
    public static ApiException Invalid(string param, string message, string? code = "invalid_value") => new(
        400, $"{param}: {message}", param, code);

    /// <summary>400 for a field this server does not implement (refused rather than silently ignored).</summary>
    public static ApiException Unsupported(string param, string message) => new(
        400, $"{param}: {message}", param, "unsupported_parameter");
}
