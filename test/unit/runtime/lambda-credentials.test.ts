import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../../functions/runtime/lambda-credentials.js';

/**
 * The credential chain the stack's bundles use in place of the SDK's (infra/api.ts aliases
 * @aws-sdk/credential-provider-node to it): the Lambda environment, or a container endpoint.
 */
const VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
];

function environment(vars: Record<string, string>) {
  for (const name of VARIABLES) vi.stubEnv(name, vars[name]);
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the Lambda credential chain', () => {
  it('reads the role credentials Lambda puts in the environment, session token included', async () => {
    environment({ AWS_ACCESS_KEY_ID: 'AKIDLAMBDA', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' });
    await expect(defaultProvider()()).resolves.toMatchObject({ accessKeyId: 'AKIDLAMBDA', secretAccessKey: 'secret', sessionToken: 'session' });
  });

  it('keeps credentials until five minutes before they expire, then reads them again', async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    environment({ AWS_ACCESS_KEY_ID: 'AKIDFIRST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_CREDENTIAL_EXPIRATION: soon });
    const provider = defaultProvider();
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKIDFIRST' });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    environment({ AWS_ACCESS_KEY_ID: 'AKIDSECOND', AWS_SECRET_ACCESS_KEY: 'secret', AWS_CREDENTIAL_EXPIRATION: later });
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKIDSECOND' });
    environment({ AWS_ACCESS_KEY_ID: 'AKIDTHIRD', AWS_SECRET_ACCESS_KEY: 'secret' });
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKIDSECOND' });
    await expect(provider({ forceRefresh: true })).resolves.toMatchObject({ accessKeyId: 'AKIDTHIRD' });
  });

  it('fetches them from a container credentials endpoint when the environment names one instead', async () => {
    const requests: { url?: string; authorization?: string }[] = [];
    const server = createServer((req, res) => {
      requests.push({ url: req.url, authorization: req.headers.authorization });
      const expiration = new Date(Date.now() + 3_600_000).toISOString();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ AccessKeyId: 'AKIDCONTAINER', SecretAccessKey: 'secret', Token: 'token', Expiration: expiration }));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/credentials`;
      environment({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'container-token' });
      await expect(defaultProvider()()).resolves.toMatchObject({ accessKeyId: 'AKIDCONTAINER', sessionToken: 'token' });
      expect(requests).toEqual([{ url: '/credentials', authorization: 'container-token' }]);
    } finally {
      server.close();
    }
  });

  it('says where it looked when neither is set', async () => {
    environment({});
    await expect(defaultProvider()()).rejects.toThrow(/no AWS credentials: .*AWS_ACCESS_KEY_ID.*AWS_CONTAINER_CREDENTIALS_FULL_URI/);
  });
});
