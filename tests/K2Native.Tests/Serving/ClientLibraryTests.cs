// The engine through .NET's chat client libraries, each completing a tool loop with UseFunctionInvocation():
// K2ChatClient in-process, and the official OpenAI 2.15 client wrapped by Microsoft.Extensions.AI.OpenAI's
// AsIChatClient() against the loopback server. The scripted assistant calls get_weather, the function runs,
// and the final answer uses its result.
using System.ClientModel;
using K2Bench.Serve;
using K2Native.Serving;
using Microsoft.Extensions.AI;
using OpenAI;

namespace K2Native.Tests.Serving;

[Collection(ServerCollection.Name)]
public sealed class ClientLibraryTests(ServerFixture server)
{
    private static (AIFunction Function, List<string> Calls) Weather()
    {
        var calls = new List<string>();
        var function = AIFunctionFactory.Create((string city) =>
        {
            calls.Add(city);
            return "21 degrees";
        }, "get_weather", "The weather of a city");
        return (function, calls);
    }

    private static async Task AssertToolLoop(IChatClient inner)
    {
        var (weather, calls) = Weather();
        using var client = new ChatClientBuilder(inner).UseFunctionInvocation().Build();
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "What is the weather in Paris?")],
            new ChatOptions { Tools = [weather], Temperature = 0 });
        Assert.Equal(["Paris"], calls);
        Assert.Equal(ScriptedAssistant.Answer, response.Text);
        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.Equal("functions.get_weather:0", call.CallId);
        Assert.Contains(
            response.Messages.SelectMany(m => m.Contents), c => c is FunctionResultContent r
                && r.CallId == call.CallId);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task K2ChatClientRunsAToolLoopInProcess()
    {
        using var k2 = new K2ChatClient(server.ScriptedService);
        await AssertToolLoop(k2);
    }

    [Fact]
    public async Task K2ChatClientStreamsReasoningTextAndUsage()
    {
        using var k2 = new K2ChatClient(server.ScriptedService);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in k2.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")])) updates.Add(u);
        var response = updates.ToChatResponse();
        Assert.Equal(ScriptedAssistant.Greeting, response.Text);
        Assert.Equal(
            ScriptedAssistant.Reasoning,
            string.Concat(updates.SelectMany(u => u.Contents).OfType<TextReasoningContent>().Select(r => r.Text)));
        Assert.True(response.Usage!.ReasoningTokenCount > 0);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task TheOfficialOpenAIClientRunsAToolLoopAgainstTheServer()
    {
        var openai = new OpenAIClient(
            new ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = new Uri(server.Scripted.Address + "/v1") });
        await AssertToolLoop(openai.GetChatClient("tiny").AsIChatClient());
    }

    [Fact]
    public async Task TheOfficialOpenAIClientStreamsAToolLoopAgainstTheServer()
    {
        var openai = new OpenAIClient(
            new ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = new Uri(server.Scripted.Address + "/v1") });
        var (weather, calls) = Weather();
        using var client = new ChatClientBuilder(openai.GetChatClient("tiny").AsIChatClient())
            .UseFunctionInvocation()
            .Build();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(
            [new ChatMessage(ChatRole.User, "weather?")], new ChatOptions { Tools = [weather] }))
            updates.Add(u);
        Assert.Equal(["Paris"], calls);
        Assert.EndsWith(ScriptedAssistant.Answer, updates.ToChatResponse().Text);
    }
}
