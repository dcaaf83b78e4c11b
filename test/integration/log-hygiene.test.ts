import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSecret } from '../../functions/keys/key-string.js';
import { capturedOutput, findCredentials } from '../support/capture-logs.js';
import { withLocalNotifications } from '../support/notifications.js';
import { basic, postForm, type KeygateWorld, keygateWorld } from '../support/world.js';

/**
 * Every test file's captured logs are scanned for credential shapes (test/support/capture-logs.ts).
 * This file runs one integration story through every path that logs (successes, refusals,
 * tokens, a reset, a webhook channel, a delete) and then checks the captured logs twice: that
 * they are the structured, request-id-carrying lines they should be (so the scan read something),
 * and that not one credential issued in the story appears in them, whole or in part.
 */
let world: KeygateWorld;
const issued: string[] = [];

beforeAll(async () => {
  world = await keygateWorld();
  Object.assign(world.deps, { notifications: withLocalNotifications(world.deps).deps.notifications });
  issued.push(world.admin);
});

afterAll(async () => {
  await world.close();
});

function logLines(): Record<string, unknown>[] {
  return capturedOutput()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

describe('logs captured during an integration run', () => {
  it('are structured JSON with request ids, and hold no key, secret or token issued in the run', async () => {
    const created = await world.api('POST', '/v1/keys', { key: world.admin, body: { name: 'logged', owner: 'ops', permissions: ['alerts:read', 'tokens:read'] } });
    issued.push(created.json.key);
    const wrong = issueSecret('kg', created.json.id).keyString;
    const refused = await world.api('GET', '/v1/keys', { key: wrong, headers: { 'user-agent': `agent ${created.json.key}` } });
    expect(refused.status).toBe(401);
    const token = await postForm(world, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(created.json.id, created.json.key) });
    issued.push(token.json.access_token);
    await postForm(world, '/oauth/token', { grant_type: 'client_credentials', client_id: created.json.id, client_secret: wrong }, {});
    await postForm(world, '/oauth/introspect', { token: token.json.access_token }, { authorization: `Bearer ${created.json.key}` });
    const reset = await world.api('POST', `/v1/keys/${created.json.id}/reset`, { key: world.admin, body: { gracePeriod: 'PT1H' } });
    issued.push(reset.json.key);
    const hook = await world.api('POST', '/v1/channels', { key: world.admin, body: { name: 'hook', type: 'webhook', url: 'https://hooks.example.com/x' } });
    issued.push(hook.json.signingSecret);
    await world.api('POST', '/v1/keys/verify', { key: reset.json.key, body: { key: created.json.key } });
    expect((await world.api('DELETE', `/v1/keys/${created.json.id}`, { key: world.admin })).status).toBe(204);
    expect((await world.api('GET', '/v1/keys', { key: reset.json.key })).status).toBe(401);

    const lines = logLines();
    const refusal = lines.find((l) => l.message === 'authentication refused' && l.requestId === refused.headers.get('apigw-requestid'));
    expect(refusal).toMatchObject({ level: 'WARN', service: 'keygate', reason: 'invalid', keyId: created.json.id, sourceIp: '127.0.0.1', where: 'ListKeys' });
    expect(lines.find((l) => l.message === 'audited change' && l.action === 'key.reset')).toMatchObject({ keyId: created.json.id, requestId: reset.headers.get('apigw-requestid') });
    expect(lines.some((l) => JSON.stringify(l._aws ?? '').includes('"Verifications"') && l.outcome === 'refused')).toBe(true);
    expect(lines.some((l) => l.TokensIssued === 1)).toBe(true);

    const output = capturedOutput();
    expect(output.length).toBeGreaterThan(2000);
    for (const credential of issued) {
      expect(credential.length).toBeGreaterThan(40);
      expect(output.includes(credential)).toBe(false);
      // A secret alone (without its prefix and id) must not be there either.
      expect(output.includes(credential.slice(-49, -6))).toBe(false);
    }
    expect(findCredentials(output)).toEqual([]);
  });

  it('hold no JWT-format key (nor its signature or jti) through creation, use, refusals, a token exchange, a reset and a delete', async () => {
    const created = await world.api('POST', '/v1/keys', {
      key: world.admin,
      body: { name: 'logged-jwt', owner: 'ops', format: 'jwt', permissions: ['alerts:read', 'key-verification:read'] },
    });
    expect(created.status).toBe(201);
    const jwt: string = created.json.key;
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const forged = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
    const refused = await world.api('GET', '/v1/keys', { key: forged, headers: { 'user-agent': `agent ${jwt}` } });
    expect(refused.status).toBe(401);
    expect((await world.api('GET', '/v1/catalog', { key: jwt })).status).toBe(200);
    const token = await postForm(world, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(created.json.id, jwt) });
    await postForm(world, '/oauth/token', { grant_type: 'client_credentials', client_id: created.json.id, client_secret: forged }, {});
    const reset = await world.api('POST', `/v1/keys/${created.json.id}/reset`, { key: world.admin, body: {} });
    expect((await world.api('GET', '/v1/catalog', { key: jwt })).status).toBe(401);
    await world.api('POST', '/v1/keys/verify', { key: reset.json.key, body: { key: jwt } });
    expect((await world.api('DELETE', `/v1/keys/${created.json.id}`, { key: world.admin })).status).toBe(204);
    expect((await world.api('GET', '/v1/catalog', { key: reset.json.key })).status).toBe(401);

    expect(logLines().some((l) => l.message === 'authentication refused' && l.requestId === refused.headers.get('apigw-requestid'))).toBe(true);
    const output = capturedOutput();
    for (const credential of [jwt, reset.json.key as string, token.json.access_token as string]) {
      const [, claims, sig] = credential.split('.') as [string, string, string];
      expect(output.includes(credential)).toBe(false);
      expect(output.includes(sig)).toBe(false);
      expect(output.includes(claims)).toBe(false);
    }
    for (const jti of [decodeJwt(jwt).jti, decodeJwt(reset.json.key).jti]) expect(output.includes(String(jti))).toBe(false);
    expect(findCredentials(output)).toEqual([]);
  });

  it('the scan finds each kind of credential it looks for', () => {
    const planted = [issueSecret('kg', 'A'.repeat(22)).keyString, issued.find((c) => c.startsWith('eyJ')), issued.find((c) => c.startsWith('whsec_'))].join(' and ');
    expect(findCredentials(`{"message":"oops","detail":"${planted}"}`).map((f) => f.kind)).toEqual(['key string', 'JWT', 'webhook signing secret']);
    expect(JSON.stringify(findCredentials(planted))).not.toContain(planted.slice(20, 40));
  });
});
