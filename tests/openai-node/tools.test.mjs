// Tool calls through the official openai npm client: `chat.completions.stream(...).finalChatCompletion()`
// assembles K2's tool call (id functions.NAME:N, name, arguments) and the next turn answers the tool result.
// models/tiny-random has random weights and cannot call tools, so this server runs with the hidden, test-only
// --scripted-test-model (src/K2Bench/Serve/ScriptedAssistant.cs): the engine is forced to emit a scripted answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

let server;
let client;

before(async () => {
  server = await startServer(['--scripted-test-model']);
  client = new OpenAI({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0 });
});
after(async () => server?.close());

const tools = [{
  type: 'function',
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
}];

test('finalChatCompletion() assembles the streamed tool call, and the next turn answers its result', async () => {
  const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
  const stream = client.chat.completions.stream({ model: 'tiny-random', messages, tools, stream_options: { include_usage: true } });
  const rawChunks = [];
  stream.on('chunk', (chunk) => rawChunks.push(JSON.stringify(chunk)));
  const completion = await stream.finalChatCompletion();
  const choice = completion.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.tool_calls.length, 1);
  const call = choice.message.tool_calls[0];
  assert.equal(call.id, 'functions.get_weather:0');
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  for (const raw of rawChunks) assert.doesNotMatch(raw, /<\|[a-z_0-9]+\|>|<think>|<\/think>/);

  messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '{"celsius": 21}' });
  const answer = await client.chat.completions.stream({ model: 'tiny-random', messages, tools }).finalChatCompletion();
  assert.equal(answer.choices[0].finish_reason, 'stop');
  assert.equal(answer.choices[0].message.content, 'The weather in Paris is 21 degrees.');
});

test('a tool result answering no call is a BadRequestError naming the message', async () => {
  await assert.rejects(
    client.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }, { role: 'tool', tool_call_id: 'functions.x:0', content: '1' }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'messages[1].tool_call_id');
});
