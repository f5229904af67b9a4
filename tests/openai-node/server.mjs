// Starts `k2 serve` (the build of src/K2Bench, `dotnet build` puts it in bin/Release) on models/tiny-random (the
// random-weight checkpoint the tests were written against, not the bundled demo model), on a free loopback port, for
// the openai client tests; K2_DLL overrides where k2.dll is. Resolves once the server prints its ready line; close()
// stops it with SIGTERM and waits for it to exit.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dll = process.env.K2_DLL ?? path.join(root, 'src', 'K2Bench', 'bin', 'Release', 'net10.0', 'k2.dll');

/** @param {string[]} extraArgs options after `serve` (e.g. --scripted-test-model) */
export async function startServer(extraArgs = []) {
  if (!existsSync(dll)) throw new Error(`${dll} is missing: build it first (dotnet build src/K2Bench -c Release) or set K2_DLL`);
  const model = path.join(root, 'models', 'tiny-random');
  const child = spawn('dotnet', [dll, 'serve', '--model', model, '--port', '0', ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const address = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`k2 serve did not get ready in 120 s:\n${log}`)), 120_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      log += text;
      const ready = /ready: (http:\/\/\S+)\/v1/.exec(log);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`k2 serve exited with ${code} before it was ready:\n${log}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    baseURL: `${address}/v1`,
    address,
    log: () => log,
    /** The value of one unlabelled Prometheus gauge from /metrics. */
    async gauge(name) {
      const text = await (await fetch(`${address}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      if (line === undefined) throw new Error(`/metrics has no ${name}:\n${text}`);
      return Number(line.slice(name.length + 1));
    },
    async close() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
