import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';

/**
 * The AWS SDK's default credential chain as a Lambda function needs it, and only that: the
 * stack's bundles take this module for `@aws-sdk/credential-provider-node` (an esbuild alias in
 * infra/api.ts), so they leave out the SSO, login, INI-file, process, web-identity and EC2
 * providers, about 100 KB of minified code and a `child_process` import that every cold start
 * parsed and loaded for nothing. The tests, the local run and the CDK keep the SDK's whole chain.
 *
 * Lambda hands a function its role's credentials in the environment (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`): the SDK's own `fromEnv` reads them. Where the
 * environment names a container credentials endpoint instead (`AWS_CONTAINER_CREDENTIALS_FULL_URI`
 * or `_RELATIVE_URI`, as Lambda's SnapStart and container runtimes do), the SDK's own `fromHttp`
 * fetches them, on first use only. Credentials are kept until five minutes before they expire,
 * as the SDK's chain does.
 */
type Init = Parameters<typeof fromEnv>[0] & Record<string, unknown>;
type AwsCredentialIdentityProvider = ReturnType<typeof fromEnv>;
type AwsCredentialIdentity = Awaited<ReturnType<AwsCredentialIdentityProvider>>;

const REFRESH_BEFORE_MS = 300_000;

function source(init: Init): AwsCredentialIdentityProvider {
  if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init);
  if (process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    return fromHttp(init);
  }
  return async () => {
    throw new Error(
      'no AWS credentials: this bundle reads them from the Lambda environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or a ' +
        'container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI), and neither is set',
    );
  };
}

/** Same name and shape as `@aws-sdk/credential-provider-node`'s, which the SDK clients import. */
export function defaultProvider(init: Init = {}): AwsCredentialIdentityProvider {
  let credentials: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const refresh = () => {
    pending ??= source(init)()
      .then((fresh) => {
        credentials = fresh;
        return fresh;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  return async (options?: { forceRefresh?: boolean }) => {
    const expiresSoon = credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < REFRESH_BEFORE_MS;
    if (credentials === undefined || expiresSoon || options?.forceRefresh) return refresh();
    return credentials;
  };
}
