import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getCallerContract } from '../../../functions/console/handlers/get-caller.contract.js';
import type { Route } from '../../../functions/http/route-handler.js';
import { getOpenApiContract } from '../../../functions/openapi/handlers/get-openapi.contract.js';
import { tablelessLambdaHandler } from '../../../functions/runtime/lambda-tableless.js';
import type { Deps } from '../../../functions/runtime/deps.js';
import { getJwksContract } from '../../../functions/tokens/handlers/get-jwks.contract.js';
import { route as openIdConfiguration } from '../../../functions/tokens/handlers/get-openid-configuration.js';

/** The entry point of the routes that declare no table access (functions/runtime/lambda-tableless.ts). */
afterEach(() => {
  vi.unstubAllEnvs();
});

const event = (path: string, body?: string) =>
  ({ rawPath: path, headers: {}, requestContext: { requestId: 'test', http: { method: 'GET', path } }, ...(body === undefined ? {} : { body }) }) as unknown as APIGatewayProxyEventV2;

describe('tablelessLambdaHandler', () => {
  it('refuses a route whose contract declares table access, and a signing-keys route without its keys', () => {
    const caller: Route = { id: getCallerContract.id, contract: getCallerContract, handle: async () => ({ statusCode: 200 }) };
    expect(() => tablelessLambdaHandler(caller)).toThrow(/declares table access: its handler must use lambdaHandler/);
    const jwks: Route = { id: getJwksContract.id, contract: getJwksContract, handle: async () => ({ statusCode: 200 }) };
    expect(() => tablelessLambdaHandler(jwks)).toThrow(/must pass secretSigningKeys/);
  });

  it('gives the route the clock, the deployment configuration and its token settings, and a DynamoDB client that throws, naming the route', async () => {
    vi.stubEnv('ISSUER_URL', 'https://keys.example.com');
    let seen: Deps | undefined;
    const openApi: Route = {
      id: getOpenApiContract.id,
      contract: getOpenApiContract,
      handle: async (_event, deps) => {
        seen = deps;
        return { statusCode: 204 };
      },
    };
    expect(await tablelessLambdaHandler(openApi)(event('/openapi.json'))).toEqual({ statusCode: 204 });
    expect(seen?.config.keyPrefix).toBeTypeOf('string');
    expect(seen?.clock()).toBeInstanceOf(Date);
    expect(() => seen?.ddb.send).toThrow(/route GetOpenApi declares no table access \(tableAccess: \[\]\) and has no DynamoDB client/);
  });

  it('serves a discovery document from the environment alone, and refuses a body in the OAuth error shape', async () => {
    vi.stubEnv('ISSUER_URL', 'https://keys.example.com');
    const handler = tablelessLambdaHandler(openIdConfiguration);
    const answer = await handler(event('/.well-known/openid-configuration'));
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(String(answer.body))).toMatchObject({ issuer: 'https://keys.example.com', jwks_uri: 'https://keys.example.com/.well-known/jwks.json' });
    expect(answer.headers?.['cache-control']).toMatch(/^public, max-age=\d+$/);
    const refused = await handler(event('/.well-known/openid-configuration', '{}'));
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(String(refused.body))).toEqual({ error: 'invalid_request', error_description: 'this endpoint takes no request body' });
  });
});
