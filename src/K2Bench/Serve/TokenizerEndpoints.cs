// POST /tokenize and /detokenize in vLLM's shapes: {"prompt"} or {"messages", "tools"} (rendered with the chat
// template and its generation prompt) with add_special_tokens, answered with {"tokens", "count",
// "max_model_len"}; {"tokens"} back to {"prompt"}.
using System.Text.Json;
using System.Text.Json.Nodes;
using K2Native.Serving;
using Microsoft.AspNetCore.Http;

namespace K2Bench.Serve;

internal static class TokenizerEndpoints
{
    public static async Task TokenizeAsync(HttpContext http, ServerState state, ChatCompletionService service)
    {
        var f = RequestFields.Parse(await HttpIo.ReadBodyAsync(http, state.Options.MaxBodyBytes));
        service.CheckModel(f.String("model"));
        // K2's tokenizer adds no BOS/EOS either way; the template writes its own markers
        f.Bool("add_special_tokens");
        string text;
        if (f.Has("messages"))
        {
            if (f.Has("prompt")) throw ApiException.Invalid("prompt", "give prompt or messages, not both");
            var request = ChatRequestReader.Read(System.Text.Encoding.UTF8.GetBytes(new JsonObject
            {
                ["messages"] = f.Node("messages")?.DeepClone(),
                ["tools"] = f.Node("tools")?.DeepClone(),
            }.ToJsonString()));
            text = service.Template.Render(request.Messages, request.Tools, f.Bool("add_generation_prompt") ?? true);
        }
        else
        {
            text = f.String("prompt")
                ?? throw ApiException.Invalid(
                    "prompt", "missing (give prompt or messages)", "missing_required_parameter");
        }
        int[] tokens = service.Engine.Tokenizer.Encode(text);
        await HttpIo.WriteJsonAsync(http, 200, ChatResponseWriter.Write(w =>
        {
            w.WriteNumber("count", tokens.Length);
            w.WriteNumber("max_model_len", service.Engine.ContextLength);
            w.WriteStartArray("tokens");
            foreach (int t in tokens) w.WriteNumberValue(t);
            w.WriteEndArray();
        }));
    }

    public static async Task DetokenizeAsync(HttpContext http, ServerState state, ChatCompletionService service)
    {
        var f = RequestFields.Parse(await HttpIo.ReadBodyAsync(http, state.Options.MaxBodyBytes));
        service.CheckModel(f.String("model"));
        int[] tokens = TokenIds(f.Node("tokens"), "tokens", service.Engine.Tokenizer.VocabSize);
        string text = service.Engine.Tokenizer.Decode(tokens);
        await HttpIo.WriteJsonAsync(http, 200, ChatResponseWriter.Write(w => w.WriteString("prompt", text)));
    }

    /// <summary>A list of token ids inside the vocabulary; 400 naming the bad entry.</summary>
    public static int[] TokenIds(JsonNode? node, string param, int vocabSize)
    {
        if (node is not JsonArray a) throw RequestFields.WrongType(param, "an array of token ids", node);
        var ids = new int[a.Count];
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number
                || !v.GetValue<JsonElement>().TryGetInt32(out ids[i]))
                throw RequestFields.WrongType($"{param}[{i}]", "an integer token id", a[i]);
            if ((uint)ids[i] >= (uint)vocabSize)
                throw ApiException.Invalid($"{param}[{i}]", $"{ids[i]} is outside the vocabulary [0, {vocabSize})");
        }
        return ids;
    }
}
