import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { RouteDefinition } from '../../functions/routes.js';

/**
 * Test-only routes for the local gateway's own tests: `Echo` answers with the event it was
 * given, so a test can compare it field by field with what API Gateway would send.
 */
export const route = {
  id: 'Echo',
  async handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    if (event.headers['x-echo-throw'] !== undefined) throw new Error('echo was told to throw');
    const delayMs = Number(event.headers['x-echo-delay-ms'] ?? 0);
    if (delayMs > 0) await new Promise((done) => setTimeout(done, delayMs));
    const reply = event.headers['x-echo-reply'];
    if (reply !== undefined) return JSON.parse(reply) as APIGatewayProxyStructuredResultV2;
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
  },
};

const entry = 'test/support/echo-route.ts';

export const echoRoutes: RouteDefinition[] = [
  { id: 'Echo', method: 'GET', path: '/echo/special', entry, permission: 'public', tableAccess: [], summary: 'echo', responses: {} },
  { id: 'Echo', method: 'GET', path: '/echo/{id}', entry, permission: 'public', tableAccess: [], summary: 'echo', responses: {} },
  { id: 'Echo', method: 'POST', path: '/echo/{id}/items/{item}', entry, permission: 'public', tableAccess: [], summary: 'echo', responses: {} },
  { id: 'Echo', method: 'POST', path: '/echo-integration', entry, permission: 'public', tableAccess: [], summary: 'echo', responses: {}, throttleClass: 'integration' },
];
