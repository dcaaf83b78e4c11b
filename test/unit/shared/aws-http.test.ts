import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { streamCollector } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { collectBody } from '../../../functions/shared/aws-http.js';

describe('collectBody, the SDK clients’ response body collector', () => {
  it('collects a Node stream’s chunks into the bytes the SDK’s own collector gives', async () => {
    const chunks = () => Readable.from([Buffer.from('{"Item":'), Buffer.from('{"pk":{"S":"ü"}}'), Buffer.from('}')]);
    const ours = await collectBody(chunks());
    expect(ours).toEqual(await streamCollector(chunks()));
    expect(Object.getPrototypeOf(ours)).toBe(Uint8Array.prototype);
    expect(new TextDecoder().decode(ours)).toBe('{"Item":{"pk":{"S":"ü"}}}');
    expect(await collectBody(Readable.from([]))).toEqual(new Uint8Array());
  });

  it('rejects with the error of a stream that breaks off', async () => {
    const broken = new Readable({ read() {} });
    const collected = collectBody(broken);
    broken.push(Buffer.from('part'));
    broken.destroy(new Error('socket hang up'));
    await expect(collected).rejects.toThrow('socket hang up');
  });

  it('hands what is not a Node stream (a web stream) to the SDK’s collector', async () => {
    const web = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('web'));
        controller.close();
      },
    });
    expect(new TextDecoder().decode(await collectBody(web))).toBe('web');
  });
});

it('every AWS SDK client in functions/ is made with collectBody', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
  const made = files('functions').flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/new (?:sdk\.)?\w+Client\((.*)\)/g)].map((match) => ({ file, args: match[1] ?? '' })),
  );
  expect(made.length).toBeGreaterThanOrEqual(8);
  expect(made.filter(({ args }) => !args.includes('streamCollector: collectBody'))).toEqual([]);
});
