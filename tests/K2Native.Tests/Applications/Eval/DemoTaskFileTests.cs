// Tasks JSONL reading: the prompt is the messages up to the last user message; bad lines name file, line and field.
using K2Native.Applications.Eval;
using K2Native.Applications.Tools.Demo;

namespace K2Native.Tests.Applications.Eval;

public sealed class DemoTaskFileTests
{
    private const string Good = """{"id": "t1", "today": "2026-11-23", "expected": "8.04672", "messages": [{"role": "user", "content": "q0"}, {"role": "assistant", "content": "a0"}, {"role": "user", "content": "q1"}, {"role": "assistant", "reasoning_content": "r", "content": "", "tool_calls": [{"id": "functions.calculator:0", "type": "function", "function": {"name": "calculator", "arguments": "{\"expression\": \"1\"}"}}]}, {"role": "tool", "tool_call_id": "functions.calculator:0", "name": "calculator", "content": "1"}, {"role": "assistant", "content": "8.04672"}]}""";

    [Fact]
    public void ThePromptEndsWithTheLastUserMessage()
    {
        var tasks = DemoTaskFile.Read(new StringReader("\n" + Good + "\n\n"), "t.jsonl");
        var task = Assert.Single(tasks);
        Assert.Equal(new DateOnly(2026, 11, 23), task.Today);
        Assert.Equal("t.jsonl:2", task.Origin);
        Assert.Equal(3, task.Prompt.Count);
        Assert.Equal("q1", task.Prompt[^1].Content!.PlainText);
        Assert.Equal(3, task.ReferenceCompletion.Count);
        Assert.Equal(1, task.ReferenceToolCalls);
    }

    [Theory]
    [InlineData("{\"id\": \"t1\"", 1, "", "invalid JSON")]
    [InlineData("[1]", 1, "", "expected a task object")]
    [InlineData("{\"today\": \"2026-01-01\", \"expected\": \"x\", \"messages\": []}", 1, "id", "missing")]
    [InlineData("{\"id\": 3, \"today\": \"2026-01-01\", \"expected\": \"x\", \"messages\": []}", 1, "id",
        "expected a string")]
    [InlineData("{\"id\": \"a\", \"today\": \"23.11.2026\", \"expected\": \"x\", \"messages\": []}", 1, "today",
        "not a date of the form YYYY-MM-DD")]
    [InlineData("{\"id\": \"a\", \"today\": \"2026-02-30\", \"expected\": \"x\", \"messages\": []}", 1, "today",
        "not a date")]
    [InlineData("{\"id\": \"a\", \"today\": \"2026-01-01\", \"expected\": \"\", \"messages\": []}", 1, "expected",
        "empty")]
    [InlineData("{\"id\": \"a\", \"today\": \"2026-01-01\", \"expected\": \"x\", \"messages\": {}}", 1, "messages",
        "expected an array")]
    [InlineData("{\"id\": \"a\", \"today\": \"2026-01-01\", \"expected\": \"x\", \"messages\": [{\"content\": \"q\"}]}",
        1, "messages[0].role", "missing")]
    [InlineData("{\"id\": \"a\", \"today\": \"2026-01-01\", \"expected\": \"x\", \"messages\": [{\"role\": "
        + "\"assistant\", \"content\": \"q\"}]}", 1, "messages", "no user message")]
    public void BadLinesNameFileLineAndField(string line, int number, string field, string problem)
    {
        var e = Assert.Throws<DemoFormatException>(() => DemoTaskFile.Read(new StringReader(line), "bad.jsonl"));
        Assert.Equal(("bad.jsonl", number, field), (e.File, e.Line, e.Field));
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"bad.jsonl:{number}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RepeatedIdsAndEmptyFilesAreReported()
    {
        var twice = Assert.Throws<DemoFormatException>(
            () => DemoTaskFile.Read(new StringReader(Good + "\n" + Good), "t.jsonl"));
        Assert.Equal((2, "id"), (twice.Line, twice.Field));
        var empty = Assert.Throws<DemoFormatException>(() => DemoTaskFile.Read(new StringReader("\n \n"), "e.jsonl"));
        Assert.Contains("no tasks", empty.Message, StringComparison.Ordinal);
    }
}
