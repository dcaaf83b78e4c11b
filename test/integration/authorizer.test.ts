import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { leanReaderOf } from '../../functions/shared/dynamodb-lean.js';
import { countCalls } from '../support/ddb-calls.js';
import { ownTokenTrust } from '../../functions/access/verify-credential.js';
import { type AuthorizerSettings, authorizeHttpApi, authorizeRestApi, checkSettings, decide } from '../../functions/authorizer/authorizer.js';
import { keygateCaller } from '../../functions/authorizer/authorizer-context.js';
import { logger } from '../../functions/observability/logger.js';
import { issueSecret } from '../../functions/keys/key-string.js';
import { type CreatedKey, createKey, type KeygateWorld, keygateWorld, tokenFor } from '../support/world.js';

/**
 * The authorizer's decisions, against DynamoDB Local and the local token issuer, with the events
 * API Gateway sends. Every refusal reason, the permission check per route (resource, access,
 * instance scopes), the cost of a decision, and what a deletion does to the next one.
 */
let world: KeygateWorld;
let settings: AuthorizerSettings;
let reader: CreatedKey;
let logged: ReturnType<typeof vi.spyOn>;

const MINUTE = 60_000;
const DAY = 86_400_000;

beforeEach(async () => {
  logged = vi.spyOn(logger, 'info').mockImplementation(() => {});
  vi.spyOn(logger, 'error').mockImplementation(() => {});
  world = await keygateWorld();
  settings = checkSettings(world.deps.config.catalog, {
    routes: {
      'GET /alerts': { permission: 'alerts:read' },
      'POST /alerts': { permission: 'alerts:write' },
      'GET /rules': { permission: 'rules:read' },
      'GET /cloud-accounts/{accountId}': { permission: 'cloud-accounts:read', instanceFrom: 'accountId' },
      'GET /me': { permission: 'authenticated' },
    },
    credentialHeaders: ['authorization', 'x-api-key'],
    tokens: ownTokenTrust(world.deps.tokens!),
  });
  reader = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }], expiresIn: 'P30D' });
});

afterEach(async () => {
  vi.restoreAllMocks(); // the document client is shared by the worker's tests
  await world.close();
});

function httpEvent(routeKey: string, headers: Record<string, string> = {}, pathParameters?: Record<string, string>): APIGatewayRequestAuthorizerEventV2 {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  const rawPath = Object.entries(pathParameters ?? {}).reduce((p, [name, value]) => p.replace(`{${name}}`, value), path);
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:eu-west-1:123456789012:api/$default/${method}${rawPath}`,
    identitySource: Object.values(headers),
    routeKey,
    rawPath,
    rawQueryString: '',
    cookies: [],
    headers,
    requestContext: { requestId: 'test' } as APIGatewayRequestAuthorizerEventV2['requestContext'],
    ...(pathParameters ? { pathParameters } : {}),
  };
}

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

async function reason(routeKey: string, headers: Record<string, string>, pathParameters?: Record<string, string>) {
  const decision = await decide(world.deps, settings, { routeKey, headers, pathParameters: pathParameters ?? {} });
  return decision.allow ? 'allowed' : `${decision.status} ${decision.reason}`;
}

async function allowed(routeKey: string, headers: Record<string, string>, pathParameters?: Record<string, string>) {
  return (await authorizeHttpApi(world.deps, settings, httpEvent(routeKey, headers, pathParameters))).isAuthorized;
}

describe('the authorizer with a key', () => {
  it('lets a key with the route permission through, with owner, key id and grants in the context', async () => {
    const result = await authorizeHttpApi(world.deps, settings, httpEvent('GET /alerts', bearer(reader.key)));
    expect(result.isAuthorized).toBe(true);
    expect(result.context).toEqual({
      credential: 'key',
      keyId: reader.id,
      owner: 'siem',
      expiresAt: new Date(world.clock().getTime() + 30 * DAY).toISOString(),
      admin: false,
      grants: { roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }], permissions: ['alerts:read'] },
      permissions: { 'alerts:read': '*', 'cloud-accounts:read': ['acct-1'] },
      meta: null,
    });
    // What the backend reads back from its event.
    expect(keygateCaller({ requestContext: { authorizer: { lambda: result.context } } })).toEqual(result.context);
  });

  it('takes the key from x-api-key as well', async () => {
    expect(await allowed('GET /alerts', { 'x-api-key': reader.key })).toBe(true);
  });

  it('refuses a request without a credential', async () => {
    expect(await reason('GET /alerts', {})).toBe('401 missing');
    expect(await reason('GET /alerts', { authorization: '  ' })).toBe('401 missing');
  });

  it('refuses malformed credentials and a bad checksum without touching the table', async () => {
    const calls = countCalls(world.deps.ddb);
    onTestFinished(calls.remove);
    const typo = `${reader.key.slice(0, -1)}${reader.key.endsWith('A') ? 'B' : 'A'}`;
    expect(await reason('GET /alerts', bearer(typo))).toBe('401 malformed');
    expect(await reason('GET /alerts', bearer('hello'))).toBe('401 malformed');
    expect(await reason('GET /alerts', { authorization: `Basic ${reader.key}` })).toBe('401 malformed');
    expect(await reason('GET /alerts', { authorization: `Bearer ${reader.key} extra` })).toBe('401 malformed');
    expect(await reason('GET /alerts', { ...bearer(reader.key), 'x-api-key': reader.key })).toBe('401 malformed');
    expect(calls.total()).toBe(0);
  });

  it('refuses the right key id with a wrong secret', async () => {
    const forged = issueSecret(world.deps.config.keyPrefix, reader.id).keyString;
    expect(await reason('GET /alerts', bearer(forged))).toBe('401 invalid');
  });

  it('refuses a key after its fixed expiry', async () => {
    world.clock.advance(30 * DAY);
    expect(await reason('GET /alerts', bearer(reader.key))).toBe('401 expired');
  });

  it('refuses a key left unused for the not-accessed period', async () => {
    const idle = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], expiresIn: 'P6M' });
    world.clock.advance(93 * DAY); // P3M from 23 November is 23 February: 92 days
    expect(await reason('GET /alerts', bearer(idle.key))).toBe('401 expired_inactive');
  });

  it('refuses a deleted key', async () => {
    expect((await world.api('DELETE', `/v1/keys/${reader.id}`, { key: world.admin })).status).toBe(204);
    expect(await reason('GET /alerts', bearer(reader.key))).toBe('401 revoked');
  });

  it('refuses the old secret after a reset, and takes the new one', async () => {
    const reset = await world.api('POST', `/v1/keys/${reader.id}/reset`, { key: world.admin, body: {} });
    expect(reset.status).toBe(200);
    expect(await reason('GET /alerts', bearer(reader.key))).toBe('401 invalid');
    expect(await reason('GET /alerts', bearer(reset.json.key))).toBe('allowed');
  });

  it('refuses a key that lacks the permission of the route', async () => {
    expect(await reason('POST /alerts', bearer(reader.key))).toBe('403 lacks alerts:write');
    expect(await allowed('POST /alerts', bearer(reader.key))).toBe(false);
  });

  it('logs each refusal with its reason, and never the credential', async () => {
    logged.mockClear();
    const forged = issueSecret(world.deps.config.keyPrefix, reader.id).keyString;
    expect(await allowed('GET /alerts', bearer(forged))).toBe(false);
    expect(logged).toHaveBeenCalledWith('keygate authorizer refused a request', expect.objectContaining({ routeKey: 'GET /alerts', status: 401, reason: 'invalid' }));
    const text = JSON.stringify(logged.mock.calls);
    expect(text).not.toContain(forged.slice(-49, -6));
    expect(text).not.toContain(reader.key.slice(-49, -6));
  });

  it('refuses a route it was not configured for (fail closed)', async () => {
    expect(await reason('DELETE /alerts', bearer(reader.key))).toBe('403 unknown_route');
  });
});

describe('the permission check per route', () => {
  it('needs the right access on the right resource', async () => {
    const writer = await createKey(world, { owner: 'ops', permissions: ['alerts:write'] });
    expect(await allowed('POST /alerts', bearer(writer.key))).toBe(true);
    expect(await allowed('GET /alerts', bearer(writer.key))).toBe(false);
    const cases = await createKey(world, { owner: 'ops', permissions: ['cases:read'] });
    expect(await allowed('GET /alerts', bearer(cases.key))).toBe(false);
  });

  it('resolves aliases in the route permission and in grants', async () => {
    expect(settings.routes['GET /rules']?.permission).toBe('alert-rules:read');
    const rules = await createKey(world, { owner: 'ops', permissions: ['rules:read'] });
    expect(await allowed('GET /rules', bearer(rules.key))).toBe(true);
  });

  it('checks a scoped role against the instance named by the path', async () => {
    const account = (id: string) => ({ accountId: id });
    expect(await allowed('GET /cloud-accounts/{accountId}', bearer(reader.key), account('acct-1'))).toBe(true);
    expect(await reason('GET /cloud-accounts/{accountId}', bearer(reader.key), account('acct-2'))).toBe('403 lacks cloud-accounts:read on acct-2');

    const everywhere = await createKey(world, { owner: 'ops', roles: [{ role: 'cloud-account-viewer', scope: '*' }] });
    expect(await allowed('GET /cloud-accounts/{accountId}', bearer(everywhere.key), account('acct-2'))).toBe(true);
    const viewer = await createKey(world, { owner: 'ops', roles: [{ role: 'global-viewer' }] });
    expect(await allowed('GET /cloud-accounts/{accountId}', bearer(viewer.key), account('acct-9'))).toBe(true);
    expect(await allowed('POST /alerts', bearer(viewer.key))).toBe(false);
  });

  it('lets any valid credential through an authenticated route', async () => {
    const cases = await createKey(world, { owner: 'ops', permissions: ['cases:read'] });
    expect(await allowed('GET /me', bearer(cases.key))).toBe(true);
    expect(await allowed('GET /me', bearer('nonsense'))).toBe(false);
  });

  it('refuses, where it is configured, a permission the catalog lacks or an instance parameter the path lacks', () => {
    const check = (routes: AuthorizerSettings['routes']) => () => checkSettings(world.deps.config.catalog, { routes, credentialHeaders: ['authorization'] });
    expect(check({ 'GET /a': { permission: 'alerts:reed' } })).toThrow(/read or write/);
    expect(check({ 'GET /a': { permission: 'nukes:read' } })).toThrow(/no resource "nukes"/);
    expect(check({ 'GET /a': { permission: 'oauth:read' } })).toThrow(/never be granted/);
    expect(check({ 'GET /a/{id}': { permission: 'alerts:read', instanceFrom: 'accountId' } })).toThrow(/\{accountId\}/);
  });
});

describe('the authorizer with an access token', () => {
  it('lets a token through with the grants it carries, reading nothing', async () => {
    const token = await tokenFor(world, reader);
    const calls = countCalls(world.deps.ddb);
    onTestFinished(calls.remove);
    const result = await authorizeHttpApi(world.deps, settings, httpEvent('GET /cloud-accounts/{accountId}', bearer(token), { accountId: 'acct-1' }));
    expect(calls.total()).toBe(0);
    expect(result.isAuthorized).toBe(true);
    expect(result.context).toMatchObject({
      credential: 'token',
      keyId: reader.id,
      owner: 'siem',
      expiresAt: new Date((decodeJwt(token).exp ?? 0) * 1000).toISOString(),
      permissions: { 'alerts:read': '*', 'cloud-accounts:read': ['acct-1'] },
    });
    expect(await allowed('GET /cloud-accounts/{accountId}', bearer(token), { accountId: 'acct-2' })).toBe(false);
    expect(await allowed('POST /alerts', bearer(token))).toBe(false);
  });

  it('holds a narrowed token to its scope', async () => {
    const writer = await createKey(world, { owner: 'ops', permissions: ['alerts:read', 'alerts:write'] });
    const token = await tokenFor(world, writer, 'alerts:read');
    expect(await allowed('GET /alerts', bearer(token))).toBe(true);
    expect(await reason('POST /alerts', bearer(token))).toBe('403 lacks alerts:write');
  });

  it('refuses an expired token, a tampered one, one signed by another key, and one in x-api-key', async () => {
    const token = await tokenFor(world, reader);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = decodeJwt(token);
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'alerts:read alerts:write' })).toString('base64url')}.${signature}`;
    expect(await reason('POST /alerts', bearer(tampered))).toBe('401 invalid');

    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: JSON.parse(Buffer.from(header, 'base64url').toString()).kid }).sign(privateKey);
    expect(await reason('GET /alerts', bearer(forged))).toBe('401 invalid');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    expect(await reason('GET /alerts', bearer(unsigned))).toBe('401 malformed');

    expect(await reason('GET /alerts', { 'x-api-key': token })).toBe('401 malformed');

    world.clock.advance(16 * MINUTE);
    expect(await reason('GET /alerts', bearer(token))).toBe('401 expired');
  });

  it('refuses tokens where only keys are accepted', async () => {
    const token = await tokenFor(world, reader);
    const keysOnly = { ...settings, tokens: undefined };
    const decision = await decide(world.deps, keysOnly, { routeKey: 'GET /alerts', headers: bearer(token), pathParameters: {} });
    expect(decision).toMatchObject({ allow: false, status: 401, reason: 'invalid' });
  });
});

describe('the cost of a decision', () => {
  it('is one strongly consistent read of the key, plus the lastUsedAt write at most once a minute', async () => {
    const calls = countCalls(world.deps.ddb);
    onTestFinished(calls.remove);
    expect(await allowed('GET /alerts', bearer(reader.key))).toBe(true);
    expect(calls.sent().map((call) => call.operation)).toEqual(['GetItem', 'UpdateItem']);
    expect(calls.sent()[0]?.input.ConsistentRead).toBe(true);
    calls.reset();
    world.clock.advance(30_000);
    expect(await allowed('GET /alerts', bearer(reader.key))).toBe(true);
    expect(calls.sent().map((call) => call.operation)).toEqual(['GetItem']);
  });

  it('writes lastUsedAt at most twice for 1,000 rapid verifications of one key', async () => {
    const busy = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
    const calls = countCalls(world.deps.ddb);
    onTestFinished(calls.remove);
    // Real time here, so the run may cross a minute boundary: hence "at most two".
    world.deps.clock = () => new Date();
    for (let wave = 0; wave < 20; wave++) {
      const results = await Promise.all(Array.from({ length: 50 }, () => allowed('GET /alerts', bearer(busy.key))));
      expect(results.every(Boolean)).toBe(true);
    }
    expect(calls.count('GetItem')).toBe(1000);
    expect(calls.count('UpdateItem')).toBeGreaterThanOrEqual(1);
    expect(calls.count('UpdateItem')).toBeLessThanOrEqual(2);
  });

  it('stops passing a deleted key at the very next uncached decision', async () => {
    expect(await allowed('GET /alerts', bearer(reader.key))).toBe(true);
    expect((await world.api('DELETE', `/v1/keys/${reader.id}`, { key: world.admin })).status).toBe(204);
    expect(await allowed('GET /alerts', bearer(reader.key))).toBe(false);
  });

  it('fails (API Gateway answers 500, and caches nothing) when the table cannot be read, instead of denying', async () => {
    // The key read goes through the client's lean reader (functions/shared/dynamodb-lean.ts), not its send.
    const remove = leanReaderOf(world.deps.ddb).intercept(() => Promise.reject(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' })));
    try {
      await expect(authorizeHttpApi(world.deps, settings, httpEvent('GET /alerts', bearer(reader.key)))).rejects.toThrow('throttled');
    } finally {
      remove();
    }
  });
});

describe('the authorizer for a REST API (REQUEST type)', () => {
  const methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/alerts';
  function restEvent(headers: Record<string, string>, httpMethod = 'GET'): APIGatewayRequestAuthorizerEvent {
    return {
      type: 'REQUEST',
      methodArn,
      resource: '/alerts',
      path: '/alerts',
      httpMethod,
      headers,
      multiValueHeaders: null,
      pathParameters: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: { requestId: 'test' } as APIGatewayRequestAuthorizerEvent['requestContext'],
    };
  }

  it('allows exactly this method, with a context of flat values', async () => {
    // REST APIs keep header names as sent.
    const result = await authorizeRestApi(world.deps, settings, restEvent({ Authorization: `Bearer ${reader.key}` }));
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }]);
    expect(result.principalId).toBe(reader.id);
    expect(result.context).toMatchObject({ credential: 'key', keyId: reader.id, owner: 'siem', admin: false, permissions: JSON.stringify({ 'alerts:read': '*', 'cloud-accounts:read': ['acct-1'] }) });
    for (const value of Object.values(result.context ?? {})) expect(['string', 'boolean', 'number']).toContain(typeof value);
    expect(keygateCaller({ requestContext: { authorizer: result.context } })).toMatchObject({ keyId: reader.id, permissions: { 'alerts:read': '*' } });
  });

  it('answers 401 (the "Unauthorized" error) for a missing or invalid credential', async () => {
    await expect(authorizeRestApi(world.deps, settings, restEvent({}))).rejects.toThrow(/^Unauthorized$/);
    await expect(authorizeRestApi(world.deps, settings, restEvent({ 'X-Api-Key': `${reader.key}x` }))).rejects.toThrow(/^Unauthorized$/);
  });

  it('answers 403 (a Deny policy) for a valid key without the permission', async () => {
    const result = await authorizeRestApi(world.deps, settings, restEvent({ Authorization: `Bearer ${reader.key}` }, 'POST'));
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: methodArn }]);
    expect(result.context).toBeUndefined();
  });
});
