import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { logger } from '../../functions/observability/logger.js';
import { issueSecret } from '../../functions/keys/key-string.js';
import { type CreatedKey, createKey, type KeygateWorld, keygateWorld, tokenFor } from '../support/world.js';

/**
 * The authorizer's Lambda entry point, configured only by the environment the construct sets
 * (TABLE_NAME, KEYGATE_ROUTES, KEYGATE_CREDENTIAL_HEADERS, KEYGATE_ISSUER), on the system clock,
 * reading keygate's JWKS over HTTP from the issuer as it does on AWS.
 */
let world: KeygateWorld;
let key: CreatedKey;
const saved = { ...process.env };

beforeAll(async () => {
  vi.spyOn(logger, 'info').mockImplementation(() => {});
  world = await keygateWorld();
  world.clock.set(new Date()); // the handler runs on the system clock; tokens must be current for it
  key = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
  Object.assign(process.env, {
    TABLE_NAME: world.deps.tableName,
    DYNAMODB_ENDPOINT: inject('dynamoDbEndpoint'),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    KEYGATE_ROUTES: JSON.stringify({ 'GET /alerts': { permission: 'alerts:read' }, 'POST /alerts': { permission: 'alerts:write' } }),
    KEYGATE_CREDENTIAL_HEADERS: 'authorization',
    KEYGATE_ISSUER: world.url,
  });
});

afterAll(async () => {
  process.env = saved;
  vi.restoreAllMocks();
  await world.close();
});

function event(routeKey: string, authorization: string): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/$default/GET/alerts',
    identitySource: [authorization, routeKey],
    routeKey,
    rawPath: '/alerts',
    rawQueryString: '',
    cookies: [],
    headers: { authorization },
    requestContext: { requestId: 'test' } as APIGatewayRequestAuthorizerEventV2['requestContext'],
  };
}

describe('the authorizer Lambda entry point', () => {
  it('answers HTTP API events from its environment: keys against the table, tokens against the issuer’s JWKS', async () => {
    const { handler } = await import('../../functions/authorizer/authorizer-handler.js');
    expect(await handler(event('GET /alerts', `Bearer ${key.key}`))).toMatchObject({ isAuthorized: true, context: { keyId: key.id, credential: 'key' } });
    expect(await handler(event('POST /alerts', `Bearer ${key.key}`))).toMatchObject({ isAuthorized: false });

    const jwksRequests = vi.spyOn(globalThis, 'fetch');
    const token = await tokenFor(world, key);
    jwksRequests.mockClear();
    expect(await handler(event('GET /alerts', `Bearer ${token}`))).toMatchObject({ isAuthorized: true, context: { keyId: key.id, credential: 'token' } });
    expect(await handler(event('GET /alerts', `Bearer ${token}`))).toMatchObject({ isAuthorized: true });
    // The JWKS was read once, over HTTP from the issuer, and kept in memory.
    expect(jwksRequests.mock.calls.map(([url]) => String(url))).toEqual([`${world.url}/.well-known/jwks.json`]);
    expect(await handler(event('GET /alerts', `Bearer ${token.slice(0, -2)}xx`))).toMatchObject({ isAuthorized: false });
  });

  it('checks a JWT-format key against the key JWKS it reads from the issuer, only once one comes', async () => {
    const { handler } = await import('../../functions/authorizer/authorizer-handler.js');
    const jwtKey = await createKey(world, { owner: 'siem', format: 'jwt', permissions: ['alerts:read'] });
    const requests = vi.spyOn(globalThis, 'fetch');
    requests.mockClear();
    expect(await handler(event('GET /alerts', `Bearer ${jwtKey.key}`))).toMatchObject({ isAuthorized: true, context: { keyId: jwtKey.id, credential: 'key' } });
    expect(await handler(event('POST /alerts', `Bearer ${jwtKey.key}`))).toMatchObject({ isAuthorized: false });
    expect(requests.mock.calls.map(([url]) => String(url))).toEqual([`${world.url}/v1/keys/jwks.json`]);
    expect((await world.api('DELETE', `/v1/keys/${jwtKey.id}`, { key: world.admin })).status).toBe(204);
    expect(await handler(event('GET /alerts', `Bearer ${jwtKey.key}`))).toMatchObject({ isAuthorized: false });
  });

  it('audits a refused well-formed credential with where it came from', async () => {
    const { handler } = await import('../../functions/authorizer/authorizer-handler.js');
    const guessed = issueSecret('kg', key.id).keyString;
    const request = event('GET /alerts', `Bearer ${guessed}`);
    request.requestContext = { requestId: 'req-guess', http: { sourceIp: '198.51.100.7', userAgent: 'guesser/1.0' } } as APIGatewayRequestAuthorizerEventV2['requestContext'];
    expect(await handler(request)).toMatchObject({ isAuthorized: false });
    const audit = await world.api('GET', '/v1/audit?action=auth.failed', { key: world.admin });
    // (Earlier tests here refused a deleted JWT-format key: an entry of its own.)
    expect(audit.json.items.filter((e: { keyId: string }) => e.keyId === key.id)).toEqual([
      expect.objectContaining({ reason: 'invalid', sourceIp: '198.51.100.7', userAgent: 'guesser/1.0', details: { where: 'authorizer GET /alerts' }, attempts: 1 }),
    ]);
    expect(JSON.stringify(audit.json)).not.toContain(guessed);
  });

  it('refuses to start without its configuration', async () => {
    vi.resetModules();
    const issuer = process.env.KEYGATE_ISSUER;
    delete process.env.KEYGATE_ISSUER;
    const { handler } = await import('../../functions/authorizer/authorizer-handler.js');
    await expect(handler(event('GET /alerts', `Bearer ${key.key}`))).rejects.toThrow(/keygate authorizer is misconfigured: KEYGATE_ISSUER/);
    process.env.KEYGATE_ISSUER = issuer;
  });
});
