import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, expect, it, vi } from 'vitest';
import type { Route } from '../../../functions/http/route-handler.js';
import { openApiDocument } from '../../../functions/openapi/document.js';
import { packOpenApiDocument } from '../../../functions/openapi/packed-document.js';
import type { Deps } from '../../../functions/runtime/deps.js';

/**
 * GET /openapi.json serves the document the synth compiled into its bundle (infra/api.ts) as the
 * very bytes it would have built on its first request. Outside a bundle `__KEYGATE_OPENAPI_DOCUMENT__`
 * is a free identifier, so a global of that name stands in for esbuild's define here.
 */
const globals = globalThis as { __KEYGATE_OPENAPI_DOCUMENT__?: string };
const event = { requestContext: { requestId: 'r-1', domainName: 'api.example.com' }, headers: {} } as unknown as APIGatewayProxyEventV2;

async function served(): Promise<string | undefined> {
  vi.resetModules();
  const { route } = (await import('../../../functions/openapi/handlers/get-openapi.js')) as { route: Route };
  const response = await route.handle(event, {} as Deps);
  expect(response.statusCode).toBe(200);
  return response.body;
}

afterEach(() => {
  delete globals.__KEYGATE_OPENAPI_DOCUMENT__;
  vi.doUnmock('../../../functions/openapi/document.js');
});

it('serves the compiled-in document byte for byte as the one built on the first request, without building it', async () => {
  const built = await served();
  // What the synth passes esbuild is JSON text; the bundle holds the string it stands for.
  const define = JSON.stringify(packOpenApiDocument(openApiDocument()));
  globals.__KEYGATE_OPENAPI_DOCUMENT__ = JSON.parse(define) as string;
  vi.doMock('../../../functions/openapi/document.js', () => {
    throw new Error('the compiled-in document must not be built again');
  });
  const compiled = await served();
  expect(compiled).toBe(built);
  expect(JSON.parse(compiled ?? '{}')).toMatchObject({ openapi: '3.1.0', servers: [{ url: 'https://api.example.com' }] });
  // esbuild's define goes through one shell argument, which Linux caps at 128 KB.
  expect(define.length).toBeLessThan(64 * 1024);
});
