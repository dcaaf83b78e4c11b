import './bench-environment.js';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchWorld } from './bench-world.js';
import { compareUnderLoad, type LoadTarget, startServer } from './http-load.js';

/**
 * `node --import tsx test/bench/profile-tokens.ts [seconds] [tokens|verify|authorizer]`: the keygate
 * bench server under --cpu-prof while it issues tokens (or answers POST /v1/keys/verify, or the
 * demo API behind the authorizer) at 10 connections, as `npm run bench` does, and the top entries
 * of the profile by self time. Where a request's CPU goes, for the README's Performance.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 10);
  const kind = process.argv[3] ?? 'tokens';
  if (!['tokens', 'verify', 'authorizer'].includes(kind)) throw new Error(`profile tokens, verify or authorizer, not ${kind}`);
  const world = await startBenchWorld();
  const dir = mkdtempSync(join(tmpdir(), 'keygate-profile-'));
  try {
    const { service, subject } = world.keys;
    const server = await startServer(
      { kind: 'keygate', endpoint: world.endpoint, tableName: world.tableName, signingKeysPath: world.signingKeysPath, keyIds: [subject.details.id] },
      { cpuProfileDir: dir },
    );
    const targets: Record<string, LoadTarget> = {
      tokens: {
        server,
        method: 'POST',
        path: '/oauth/token',
        headers: { authorization: `Basic ${Buffer.from(`${subject.details.id}:${subject.key}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      },
      verify: {
        server,
        method: 'POST',
        path: '/v1/keys/verify',
        headers: { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ key: subject.key, permission: 'alerts:read' }),
      },
      authorizer: { server, method: 'GET', path: '/demo/alerts', headers: { authorization: `Bearer ${subject.key}` } },
    };
    const { [kind]: measured } = await compareUnderLoad({ [kind]: targets[kind] as LoadTarget }, { connections: 10, rounds: 1, seconds, warmupSeconds: 2 });
    await server.stop();
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('no CPU profile was written');
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
    const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const bySite = new Map<string, number>();
    for (const node of profile.nodes) {
      const { functionName, url, lineNumber } = node.callFrame;
      const where = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(functions|dev|test)\//, '$1/');
      const site = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
      bySite.set(site, (bySite.get(site) ?? 0) + (node.hitCount ?? 0));
    }
    if (measured === undefined) throw new Error(`no figures for ${kind}`);
    console.log(`${kind}: ${measured.requestsPerSecond.toFixed(0)} req/s, ${measured.cpuMicrosPerRequest.toFixed(0)} µs CPU per request (whole process)\n`);
    console.log('| self time | function |\n|---|---|');
    for (const [site, hits] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`| ${((100 * hits) / total).toFixed(1)}% | ${site} |`);
  } finally {
    await world.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
