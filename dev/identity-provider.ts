import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';

/**
 * The development identity provider of the local run: a real OpenID Connect server (npm
 * `oidc-provider`) on loopback, with two fixed users and one public client, the console
 * (authorization code + PKCE). It stands in for the Cognito user pool the stack creates, and
 * emits the groups in Cognito's claim (`cognito:groups`) so the deployment config is the same.
 *
 * For the local run only: the passwords below are printed by `npm start` and written in the
 * README; its signing key is made anew at each start and its sessions live in memory.
 */
export interface LocalUser {
  email: string;
  password: string;
  name: string;
  groups: string[];
  role: string;
}

export const LOCAL_USERS: readonly LocalUser[] = [
  { email: 'admin@keygate.local', password: 'admin-local-only', name: 'Ada Admin', groups: ['keygate-admins'], role: 'admin: manages every key' },
  { email: 'user@keygate.local', password: 'user-local-only', name: 'Uma User', groups: [], role: 'regular user: manages only their own keys' },
];

export const CONSOLE_CLIENT_ID = 'keygate-console';

export interface IdentityProvider {
  issuer: string;
  clientId: string;
  users: readonly LocalUser[];
  close(): Promise<void>;
}

const subjectOf = (user: LocalUser) => `local-${user.email.split('@')[0]}`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, clientId: string, error?: string): string {
  // No script at all; the form posts back to the same interaction.
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in: keygate (local)</title>
<style>body{font:16px system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:.75rem 0 .25rem}input{width:100%;padding:.4rem;font:inherit}button{margin-top:1rem;padding:.5rem 1rem;font:inherit}.error{color:#a00}</style></head>
<body><main><h1>Sign in to keygate</h1><p>Local development identity provider (for <code>${escapeHtml(clientId)}</code>). Not for production.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="email">Email</label><input id="email" name="email" type="email" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) throw new Error('form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Starts the provider. `consoleUrl` is where the console lives (its redirect URI and the only
 * origin allowed to call the token endpoint from a browser). Port 0 picks a free one.
 */
export async function startIdentityProvider(options: { host: string; port: number; consoleUrl: string }): Promise<IdentityProvider> {
  const server: Server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host, () => done());
  });
  const issuer = `http://${options.host}:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'local-idp', alg: 'RS256', use: 'sig' };
  const consoleOrigin = new URL(options.consoleUrl).origin;
  const byEmail = new Map(LOCAL_USERS.map((user) => [user.email, user]));
  const bySubject = new Map(LOCAL_USERS.map((user) => [subjectOf(user), user]));

  const configuration: Configuration = {
    clients: [
      {
        client_id: CONSOLE_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [options.consoleUrl],
        post_logout_redirect_uris: [options.consoleUrl],
        id_token_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [crypto.randomUUID()] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'cognito:groups'] },
    // Claims go in the ID token of the code flow too: that token is what the console sends keygate.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { IdToken: 3600, AccessToken: 3600, Session: 8 * 3600, Interaction: 600, Grant: 8 * 3600 },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true, logoutSource: logoutPage } },
    clientBasedCORS: (_ctx, origin) => origin === consoleOrigin,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The console is keygate's own (first-party) client: no consent screen.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? '');
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client?.clientId ?? '', accountId: ctx.oidc.session?.accountId ?? '' });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    findAccount: (_ctx, sub) => {
      const user = bySubject.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => ({ sub, email: user.email, email_verified: true, name: user.name, 'cognito:groups': user.groups }),
      };
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      const interaction = /^\/interaction\/([\w-]+)(\/login)?$/.exec(url.pathname);
      if (!interaction) return callback(req, res);
      const details = await provider.interactionDetails(req, res);
      const page = (status: number, error?: string) => {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', // form-action covers the redirects after the post: back to the console.
          'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${consoleOrigin}`, 'cache-control': 'no-store' });
        res.end(loginPage(details.uid, CONSOLE_CLIENT_ID, error));
      };
      if (req.method === 'GET' && !interaction[2]) return page(200);
      if (req.method !== 'POST' || !interaction[2]) return page(405);
      const form = await readForm(req);
      const user = byEmail.get(form.get('email') ?? '');
      if (!user || user.password !== form.get('password')) return page(401, 'That email and password do not match a local user.');
      await provider.interactionFinished(req, res, { login: { accountId: subjectOf(user) } }, { mergeWithLastSubmission: false });
    })().catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`sign-in failed: ${(error as Error).message}; start again from the console`);
      } else res.destroy();
    });
  });

  return {
    issuer,
    clientId: CONSOLE_CLIENT_ID,
    users: LOCAL_USERS,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** The sign-out confirmation, submitted without a click (no inline script: the form is the page's only action). */
function logoutPage(ctx: { body: unknown }, form: string): void {
  ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign out</title></head><body><main><h1>Sign out of keygate?</h1>${form.replace('</form>', '<button type="submit" name="logout" value="yes">Sign out</button></form>')}</main></body></html>`;
}
