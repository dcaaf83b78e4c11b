import './bench-environment.js';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchWorld } from './bench-world.js';
import { compareUnderLoad, startServer } from './http-load.js';

/**
 * `node --import tsx test/bench/profile-tokens.ts [seconds]`: the keygate bench server under
 * --cpu-prof while it issues tokens at 10 connections (as `npm run bench` does), and the top
 * entries of the profile by self time. Where a token's CPU goes, for the README's Performance.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 10);
  const world = await startBenchWorld();
  const dir = mkdtempSync(join(tmpdir(), 'keygate-profile-'));
  try {
    const { subject } = world.keys;
    const server = await startServer(
      { kind: 'keygate', endpoint: world.endpoint, tableName: world.tableName, signingKeysPath: world.signingKeysPath, keyIds: [subject.details.id] },
      { cpuProfileDir: dir },
    );
    const target = {
      server,
      method: 'POST' as const,
      path: '/oauth/token',
      headers: { authorization: `Basic ${Buffer.from(`${subject.details.id}:${subject.key}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    };
    const { tokens } = await compareUnderLoad({ tokens: target }, { connections: 10, rounds: 1, seconds, warmupSeconds: 2 });
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
    console.log(`${tokens.requestsPerSecond.toFixed(0)} tokens/s, ${tokens.cpuMicrosPerRequest.toFixed(0)} µs CPU per token (whole process)\n`);
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
