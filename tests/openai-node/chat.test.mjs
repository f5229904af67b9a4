// The official openai npm client against `k2 serve` on models/tiny-random (random weights): streaming and not agree
// at temperature 0, raw chunks never carry marker text, refused requests raise BadRequestError with status and
// param, aborting a stream after its first chunk leaves no running sequence and no used KV block, log
// probabilities arrive in OpenAI's shape. Run: npm ci && node --test (after dotnet build).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

const markers = /<\|[a-z_0-9]+\|>|<think>|<\/think>/;
let server;
let client;

before(async () => {
  server = await startServer();
  client = new OpenAI({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0 });
});
after(async () => server?.close());

const hello = { model: 'tiny-random', messages: [{ role: 'user', content: 'hello' }], max_tokens: 24, temperature: 0 };

test('streaming and non-streaming give the same text, reasoning and finish reason at temperature 0', async () => {
  const whole = await client.chat.completions.create(hello);
  const message = whole.choices[0].message;
  let content = '';
  let reasoning = '';
  let finish = null;
  const stream = await client.chat.completions.create({ ...hello, stream: true, stream_options: { include_usage: true } });
  let usage = null;
  for await (const chunk of stream) {
    usage = chunk.usage ?? usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    content += choice.delta.content ?? '';
    reasoning += choice.delta.reasoning_content ?? '';
    finish = choice.finish_reason ?? finish;
  }
  assert.equal(content, message.content ?? '');
  assert.equal(reasoning, message.reasoning_content ?? '');
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
  assert.ok(usage.prompt_tokens_details.cached_tokens >= 0);
});

test('raw stream chunks never contain marker text', async () => {
  const stream = await client.chat.completions.create({
    messages: [{ role: 'user', content: 'say anything' }], max_tokens: 200, temperature: 1, seed: 7, stream: true,
  });
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.doesNotMatch(JSON.stringify(chunk), markers);
  }
  assert.ok(chunks > 2);
});

test('bad requests raise BadRequestError with status and param', async () => {
  const cases = [
    [{ messages: [] }, 'messages'],
    [{ messages: hello.messages, temperature: -1 }, 'temperature'],
    [{ messages: hello.messages, logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
    [{ messages: [{ role: 'wizard', content: 'hi' }] }, 'messages[0].role'],
    [{ messages: hello.messages, max_tokens: 100000 }, 'max_tokens'],
  ];
  for (const [body, param] of cases) {
    await assert.rejects(client.chat.completions.create(body), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${param}: ${e}`);
      assert.equal(e.status, 400);
      assert.equal(e.param, param);
      return true;
    });
  }
  await assert.rejects(client.completions.create({ model: 'tiny-random', prompt: [1, 99999] }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'prompt[1]');
});

test('aborting a stream after its first chunk frees the sequence and its blocks; the next request succeeds', async () => {
  const stream = await client.chat.completions.create({
    messages: [{ role: 'user', content: 'go on forever' }], max_tokens: 3000, stream: true,
  });
  for await (const chunk of stream) {
    assert.equal(chunk.choices[0].delta.role, 'assistant');
    stream.controller.abort();
    break;
  }
  let running = -1;
  let used = -1;
  for (let i = 0; i < 200; i++) {
    running = await server.gauge('k2_running_sequences');
    used = await server.gauge('k2_kv_blocks_used');
    if (running === 0 && used === 0) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(running, 0);
  assert.equal(used, 0);
  const next = await client.chat.completions.create(hello);
  assert.equal(next.choices[0].finish_reason, 'length');
});

test('logprobs come in OpenAI shape, one entry per generated token', async () => {
  const whole = await client.chat.completions.create({ ...hello, logprobs: true, top_logprobs: 3 });
  const content = whole.choices[0].logprobs.content;
  assert.equal(content.length, whole.usage.completion_tokens);
  for (const entry of content) {
    assert.equal(typeof entry.token, 'string');
    assert.ok(entry.logprob <= 0);
    assert.ok(Array.isArray(entry.bytes));
    assert.equal(entry.top_logprobs.length, 3);
    assert.ok(entry.top_logprobs[0].logprob >= entry.logprob - 1e-6, 'at temperature 0 the sampled token is the most likely');
  }
});

test('legacy completions: streaming and not agree at temperature 0, with log probabilities', async () => {
  const request = { model: 'tiny-random', prompt: 'The capital of France is', max_tokens: 12, temperature: 0, logprobs: 2 };
  const whole = await client.completions.create(request);
  assert.equal(whole.object, 'text_completion');
  assert.equal(whole.choices[0].logprobs.tokens.length, whole.usage.completion_tokens);
  let text = '';
  let tokens = 0;
  for await (const chunk of await client.completions.create({ ...request, stream: true })) {
    text += chunk.choices[0]?.text ?? '';
    tokens += chunk.choices[0]?.logprobs?.tokens.length ?? 0;
  }
  assert.equal(text, whole.choices[0].text);
  assert.equal(tokens, whole.usage.completion_tokens);
});
