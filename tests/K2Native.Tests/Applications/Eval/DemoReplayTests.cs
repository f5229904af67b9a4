// Oracle replay of the demo tasks: every reference assistant turn is rendered as the model would emit it, tokenized
// with the bundled tokenizer (whose <think> and tool-call markers are special tokens, as in the demo checkpoint),
// streamed through the decoder and the output parser, and must parse back to the reference message. The parsed
// calls then run through DemoEvaluator with the demo tools, whose results must equal the reference tool messages
// byte for byte, and the final answer must score as solved. Data-driven: every testdata/tasks*.jsonl, and every
// testdata/tool-cases*.jsonl ({"name", "arguments", "result"}, optional "today") from the Python side.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K2Native.Applications.Eval;
using K2Native.Applications.Tools.Demo;
using K2Native.Text;
using Xunit.Sdk;
using K2Native.Tests.Support;

namespace K2Native.Tests.Applications.Eval;

public sealed partial class DemoReplayTests
{
    private static readonly DemoToolSet Set = DemoTestData.Load();
    private static readonly Tokenizer BundledTokenizer = Tokenizer.Load(DemoTestData.BundledModel);

    /// <summary>Questions only (no reference turns): the demo model's out-of-distribution check, `k2 eval demo
    /// --tasks`.</summary>
    private const string HandwrittenQuestions = "tasks-handwritten.jsonl";

    public static TheoryData<string> TaskFiles() => new(
        DemoTestData.Files("tasks*.jsonl").Where(f => f != HandwrittenQuestions));

    [Fact]
    public void TheHandwrittenQuestionsAreThirtyPromptsWithAnswersTheToolsGive()
    {
        var tasks = DemoTaskFile.Load(Path.Combine(DemoTestData.TestDataDirectory, HandwrittenQuestions));
        Assert.Equal(30, tasks.Count);
        Assert.All(tasks, t => Assert.Equal(["user"], t.Messages.Select(m => m.Role)));
        Assert.All(tasks, t => Assert.False(string.IsNullOrWhiteSpace(t.Expected)));
    }

    [Fact]
    public void TheHandWrittenTasksArePresent() => Assert.Contains(
        "tasks-handmade.jsonl", DemoTestData.Files("tasks*.jsonl"));

    [Fact]
    public void TheBundledTokenizerHasTheMarkersAsSpecialTokens()
    {
        foreach (string marker in new[]
        {
            "<think>",
            "</think>",
            "<|tool_calls_section_begin|>",
            "<|tool_call_begin|>",
            "<|tool_call_argument_begin|>",
            "<|tool_call_end|>",
            "<|tool_calls_section_end|>"
        })
            Assert.True(BundledTokenizer.TryGetSpecial(marker, out _), marker);
    }

    [Theory]
    [MemberData(nameof(TaskFiles))]
    public async Task ReferenceTurnsParseRunAndSolve(string file)
    {
        var tasks = DemoTaskFile.Load(Path.Combine(DemoTestData.TestDataDirectory, file));
        foreach (var task in tasks)
        {
            try
            {
                var replay = new ReplayAssistant(task);
                var result = await new DemoEvaluator(Set, replay) { MaxRounds = 8 }.RunTaskAsync(task);
                Assert.Equal(task.Messages, result.Conversation);
                Assert.Equal(DemoEnding.Answered, result.Ending);
                Assert.True(
                    result.Solved, $"the final answer \"{result.Answer}\" does not contain \"{task.Expected}\"");
                Assert.Equal(task.ReferenceToolCalls, result.Totals.ToolCalls);
                Assert.Equal(0, result.Totals.Malformed);
            }
            catch (XunitException e)
            {
                throw new XunitException($"{task.Origin} ({task.Id}): {e.Message}");
            }
        }
    }

    [Fact]
    public void ToolCasesFromThePythonSideGiveTheSameResults()
    {
        var failures = new List<string>();
        int cases = 0;
        foreach (string file in DemoTestData.Files("tool-cases*.jsonl"))
        {
            int number = 0;
            foreach (string line in File.ReadLines(Path.Combine(DemoTestData.TestDataDirectory, file)))
            {
                number++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                cases++;
                var c = JsonNode.Parse(line)!.AsObject();
                string name = c["name"]!.GetValue<string>();
                string arguments = c["arguments"] is JsonValue v && v.GetValueKind() == JsonValueKind.String
                    ? v.GetValue<string>()
                    : PythonJson.Serialize(c["arguments"]);
                string expected = c["result"]!.GetValue<string>();
                bool dated = c["today"] is not null;
                var today = dated
                    ? DateOnly.Parse(c["today"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
                    : new DateOnly(2026, 11, 23);
                var tool = Set.CreateTools(today).SingleOrDefault(t => t.Name == name);
                string actual = tool?.Invoke(arguments) ?? $"(no tool {name})";
                bool ok = name == "current_date" && !dated ? IsDateResult(expected) : actual == expected;
                if (!ok)
                    failures.Add($"{file}:{number}: {name}({arguments}) gave \"{actual}\", expected \"{expected}\"");
            }
        }
        Assert.True(
            failures.Count == 0,
            $"{failures.Count} of {cases} tool cases differ:\n" + string.Join("\n", failures.Take(20)));
    }

    /// <summary>A current_date result whose weekday is the date's own.</summary>
    private static bool IsDateResult(string text)
    {
        var m = DateResult().Match(text);
        return m.Success
            && DateOnly.TryParse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var d)
            && d.DayOfWeek.ToString() == m.Groups[2].Value;
    }

    [GeneratedRegex(@"^(\d{4}-\d{2}-\d{2}) \(([A-Za-z]+)\)$")]
    private static partial Regex DateResult();

    /// <summary>
    /// Answers with the task's reference assistant turns, each turned into text, token ids and back through the
    /// streaming decoder and the parser; checks that what the evaluator sends is the reference conversation so far.
    /// </summary>
    private sealed class ReplayAssistant(DemoTask task) : IAssistantSource
    {
        private static readonly ChatTemplate Template = ChatTemplate.Thinking;

        public Task<AssistantReply> ReplyAsync(
            IReadOnlyList<ChatMessage> messages, JsonArray tools, CancellationToken cancellationToken)
        {
            Assert.Equal(Set.Declarations().ToJsonString(), tools.ToJsonString());
            int at = messages.Count;
            Assert.True(
                at < task.Messages.Count && task.Messages[at].Role == "assistant",
                $"no reference assistant turn at message {at}");
            Assert.Equal(task.Messages.Take(at), messages);
            var reference = task.Messages[at];

            var decoder = BundledTokenizer.CreateStreamingDecoder();
            var parser = Template.CreateOutputParser();
            var events = new List<OutputEvent>();
            foreach (int id in BundledTokenizer.Encode(Emitted(reference)))
            {
                string text = decoder.Push(id);
                if (text.Length > 0) parser.Push(text, events);
            }
            parser.Push(decoder.Flush(), events);
            parser.Finish(FinishReason.Stop, events);
            var builder = new AssistantMessageBuilder();
            builder.Apply(events);
            Assert.Empty(builder.Problems);
            Assert.Equal(reference.HasToolCalls ? FinishReason.ToolCalls : FinishReason.Stop, builder.FinishReason);
            var parsed = builder.ToMessage();
            Assert.Equal(reference, parsed);
            return Task.FromResult(new AssistantReply(parsed, null, builder.Problems.ToArray()));
        }

        /// <summary>
        /// The text the model generates for a reference turn: the template's rendering of that message after the
        /// generation prompt, up to its &lt;|im_end|&gt;. The template empties the reasoning of a finished answer
        /// (it is history once answered), but the model emits it, so it goes back between the tags.
        /// </summary>
        private static string Emitted(ChatMessage reference)
        {
            string rendered = Template.Render([reference], null, addGenerationPrompt: false);
            int start = rendered.IndexOf(ChatTemplate.GenerationPrompt, StringComparison.Ordinal)
                + ChatTemplate.GenerationPrompt.Length;
            Assert.EndsWith("<|im_end|>", rendered, StringComparison.Ordinal);
            string body = rendered[start..^"<|im_end|>".Length];
            if (reference.HasToolCalls || reference.ReasoningContent is null) return body;
            Assert.StartsWith("<think></think>", body, StringComparison.Ordinal);
            return "<think>" + reference.ReasoningContent + body["<think>".Length..];
        }
    }
}
