import { format } from 'node:util';
import { afterAll, expect } from 'vitest';

/**
 * Runs in every test file (vitest setupFiles): captures everything the process writes to stdout
 * and stderr, which is where the Powertools logger and EMF metrics write, and fails the file if
 * any of it holds a credential. Structured log lines (one JSON object per line, from Powertools)
 * are kept out of the test output; everything else still goes through.
 */
const captured: string[] = [];

/** What a credential looks like in text: a keygate key string of any prefix, a JWT, a webhook signing secret. */
const CREDENTIAL_SHAPES: { kind: string; pattern: RegExp }[] = [
  { kind: 'key string', pattern: /\b[a-z0-9]{2,10}_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}\b/g },
  { kind: 'JWT', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}/g },
  { kind: 'webhook signing secret', pattern: /\bwhsec_[A-Za-z0-9+/]{40,}={0,2}/g },
];

export interface CredentialFound {
  kind: string;
  /** Enough to find it, not enough to use it. */
  redacted: string;
}

export function findCredentials(text: string): CredentialFound[] {
  return CREDENTIAL_SHAPES.flatMap(({ kind, pattern }) =>
    [...text.matchAll(pattern)].map((m) => ({ kind, redacted: `${m[0].slice(0, 8)}…${m[0].slice(-4)}` })),
  );
}

/** Everything written so far by this test file's process. */
export function capturedOutput(): string {
  return captured.join('');
}

function isStructuredLog(text: string): boolean {
  const line = text.trim();
  if (!line.startsWith('{') || !line.endsWith('}')) return false;
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    return '_aws' in parsed || ('level' in parsed && 'service' in parsed);
  } catch {
    return false;
  }
}

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    captured.push(text);
    if (isStructuredLog(text)) {
      const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

// The local gateway and test code log through console, which vitest routes around stdout: record that too.
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    captured.push(`${format(...args)}\n`);
    original(...args);
  };
}

afterAll(() => {
  expect(findCredentials(capturedOutput()), 'credentials in the logs of this test file').toEqual([]);
});
