// The `k2 chat` loop: read a message; a slash command changes the session, anything else is the user's message.
// Before each generation the conversation is fitted to the context (ContextWindow: oldest whole turns dropped
// with a note; a message that cannot fit is refused and the session goes on). The answer streams as it is
// generated (reasoning dimmed, tool calls marked), after a prefill spinner on a terminal, and every turn ends
// with one line of figures, stopped ones too. When the answer calls tools, built-in ones run here and the others
// are put to the user; the model continues with the results for up to MaxToolRounds rounds.
// Ctrl+C (Interrupt) stops the turn being generated; at the prompt the input decides (the line editor clears the
// line; a second Ctrl+C on an empty line, like Ctrl+D, leaves). On a terminal the conversation is saved to the
// autosave file after every turn and on leaving.
using System.Globalization;
using K2Bench.Repl.Input;
using K2Native.Runtime;
using K2Native.Text;

namespace K2Bench.Repl;

internal sealed class ChatRepl
{
    private readonly ModelHost _host;
    private readonly ReplState _state;
    private readonly ReplOutput _out;
    private readonly IReplInput _input;
    private readonly SlashCommands _commands;
    private readonly Func<IPrefillProgress?> _spinner;
    private CancellationTokenSource? _answer;

    /// <param name="spinner">Makes what shows a turn's prefill progress (null: nothing, as on a pipe).</param>
    public ChatRepl(
        ModelHost host, ReplState state, ReplOutput output, IReplInput input, Func<IPrefillProgress?>? spinner = null)
    {
        _host = host;
        _state = state;
        _out = output;
        _input = input;
        _spinner = spinner ?? (() => null);
        _commands = new SlashCommands(host, state, output);
    }

    /// <summary>Where the conversation is saved after every turn and on leaving; null: not saved.</summary>
    public string? AutosaveFile { get; init; }

    /// <summary>Ctrl+C: stops the turn being generated. True when there was one.</summary>
    public bool Interrupt()
    {
        if (Volatile.Read(ref _answer) is not { } answer) return false;
        try
        {
            answer.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        return true;
    }

    /// <summary>Runs until /quit, the end of input, or a second Ctrl+C on an empty line.</summary>
    public int Run()
    {
        try
        {
            bool interrupted = false;
            while (true)
            {
                var read = _input.Read("you> ");
                if (read.Kind == InputKind.End) return 0;
                if (read.Kind == InputKind.Interrupt)
                {
                    if (read.Text.Length == 0)
                    {
                        if (interrupted) return 0;
                        _out.Note("(Ctrl+C again, Ctrl+D or /quit leaves)\n");
                    }
                    interrupted = read.Text.Length == 0;
                    continue;
                }
                interrupted = false;
                string line = read.Text;
                if (string.IsNullOrWhiteSpace(line)) continue;
                if (line.TrimStart().StartsWith('/') && !line.Contains('\n'))
                {
                    if (!_commands.Handle(line.Trim())) return 0;
                    continue;
                }
                _state.Messages.Add(ChatMessage.User(line));
                Answer();
                Autosave();
            }
        }
        finally
        {
            if (Autosave())
                _out.Note($"[conversation saved to {AutosaveFile}; k2 chat --load {AutosaveFile} goes on with it]\n");
        }
    }

    /// <summary>Writes the conversation to the autosave file; false when there is none or nothing to save.</summary>
    private bool Autosave()
    {
        if (AutosaveFile is null || _state.Messages.Count == 0) return false;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(AutosaveFile))!);
            _state.ToConversation().Save(AutosaveFile);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _out.Error($"could not save the conversation to {AutosaveFile}: {e.Message}\n");
            return false;
        }
    }

    /// <summary>Generates the assistant's turn, running tool rounds until the model answers without calls.</summary>
    private void Answer()
    {
        for (int round = 0; round <= _state.MaxToolRounds; round++)
        {
            if (!FitContext()) return;
            var message = Turn();
            if (message is null || !message.HasToolCalls) return;
            if (round == _state.MaxToolRounds)
            {
                _out.Note($"[stopping after {_state.MaxToolRounds} tool rounds; /set tool_rounds N to allow more]\n");
                return;
            }
            foreach (var call in message.ToolCalls!)
            {
                string? result = RunTool(call);
                if (result is null) return;
                _state.Messages.Add(ChatMessage.Tool(call.Id, result, call.Function.Name));
            }
        }
    }

    /// <summary>Drops the oldest turns when the conversation outgrows the context; false (message refused) when the
    /// current turn alone cannot fit.</summary>
    private bool FitContext()
    {
        var engine = _host.Engine;
        string limitName = engine.CacheTokens < engine.ContextLength
            ? $"the KV cache's {engine.SequenceLimit} tokens (smaller than the context of {engine.ContextLength})"
            : $"the context of {engine.ContextLength} tokens";
        var fit = ContextWindow.Fit(_state.Messages, PromptTokens, engine.SequenceLimit, _state.MaxTokens, limitName);
        if (fit.DroppedTurns > 0)
            _out.Note($"[context: dropped the oldest {Plural(fit.DroppedTurns, "turn")} "
                + $"({Plural(fit.DroppedMessages, "message")}, {fit.DroppedTokens} tokens) " +
                      $"to keep {fit.PromptTokens} + max_tokens {_state.MaxTokens} within {limitName}; the system "
                      + "prompt and tools stay]\n");
        if (fit.Fits) return true;
        _out.Error($"not sent: {fit.Refusal}\n");
        if (_state.Messages.Count > 0 && _state.Messages[^1].Role == "user")
            _state.Messages.RemoveAt(_state.Messages.Count - 1);
        return false;
    }

    private int PromptTokens(IReadOnlyList<ChatMessage> messages) =>
        _host.Tokenizer.Encode(
            _host.Template.Render(_state.Conversation(messages), _state.Tools(), addGenerationPrompt: true)).Length;

    /// <summary>One generation, streamed; returns the assistant message added to the conversation (null if nothing
    /// came).</summary>
    private ChatMessage? Turn()
    {
        using var spinner = _spinner();
        var turn = new ChatTurn(_host.Engine, _host.Template, _state.Conversation(), _state.Tools(),
            new ChatSettings
            {
                Sampling = _state.Sampling,
                MaxTokens = _state.MaxTokens,
                PrefillProgress = spinner is null ? null : spinner.Progress
            });
        using var answer = new CancellationTokenSource();
        Volatile.Write(ref _answer, answer);
        var renderer = new TurnRenderer(_out, _state.ShowReasoning);
        ChatMessage message;
        bool stopped = false;
        try
        {
            foreach (var e in turn.StreamAsync(answer.Token).ToBlockingEnumerable())
            {
                spinner?.Stop();
                renderer.Render(e);
            }
            message = turn.Message!;
        }
        catch (OperationCanceledException)
        {
            stopped = true;
            spinner?.Stop();
            renderer.End();
            _out.Note("[stopped]\n");
            message = turn.PartialMessage;
            if (message.HasToolCalls) message = message with { ToolCalls = null };
        }
        finally
        {
            Volatile.Write(ref _answer, null);
        }
        spinner?.Stop();
        renderer.End();
        _state.Count(turn.Result, stopped);
        _out.Note(TurnStats.Line(turn.Result, _host.Engine, stopped) + "\n");
        bool empty = string.IsNullOrEmpty(message.Content?.PlainText) && message.ReasoningContent is null
            && !message.HasToolCalls;
        if (empty) return null;
        _state.Messages.Add(message);
        return stopped ? null : message;
    }

    /// <summary>The result of a tool call: a built-in runs here; for another tool the user types it. Null ends the
    /// loop.</summary>
    private string? RunTool(ToolCall call)
    {
        string arguments = call.Function.Arguments.ToPromptText();
        if (_state.Builtins.TryGetValue(call.Function.Name, out var tool))
        {
            string result = tool.Invoke(arguments);
            _out.Tool($"[built-in {tool.Name}] ");
            _out.Content(result + "\n");
            return result;
        }
        _out.Tool($"result of {call.Id} {call.Function.Name}({arguments})? ");
        _out.Note("(type the result; an empty line sends an empty result; Ctrl+C or the end of input stops)\n");
        var read = _input.Read("tool> ");
        return read.Kind == InputKind.Text ? read.Text : null;
    }

    private static string Plural(int n, string noun) => string.Create(
        CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? "" : "s")}");
}
