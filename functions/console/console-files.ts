import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPIRY_PRESETS } from '../keys/key-expiry-policy.js';
import { addDuration } from '../shared/durations.js';
import type { Deps } from '../runtime/deps.js';
import { NotFoundError } from '../shared/errors.js';
import type { consoleAssets } from './schemas.js';

/**
 * The console as keygate serves it on its own origin: one HTML page, its script and style sheet
 * (built by console/build.ts), and its settings (config.json). Strict CSP: scripts and styles
 * from this origin only, no inline script, connections to this origin and the sign-in issuer's
 * token endpoint only, no framing.
 */
export type ConsoleFile = 'index.html' | (typeof consoleAssets)[number];

export interface ServedFile {
  body: string;
  headers: Record<string, string>;
}

const CONTENT_TYPES: Record<ConsoleFile, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'config.json': 'application/json',
};

/** The expiry presets the new-key window offers: the ones GET /v1/policy shows. */
export { EXPIRY_PRESETS };

const held = new Map<string, Promise<string>>();

function builtFile(deps: Deps, name: string): Promise<string> {
  const dir = deps.consoleAssets;
  if (dir === undefined) throw new NotFoundError('this keygate serves no console');
  const path = join(dir, name);
  let file = held.get(path);
  if (!file) {
    file = readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      held.delete(path);
      if (error.code === 'ENOENT') throw new NotFoundError('the console is not built: run npm run console:build');
      throw error;
    });
    held.set(path, file);
  }
  return file;
}

/** What the console needs to sign people in and to bound its forms; nothing secret. */
export async function consoleSettings(deps: Deps) {
  const { policy } = deps.config;
  const now = deps.clock();
  const signIn = deps.people
    ? await deps.people.metadata().then((m) => ({
        issuer: deps.people?.issuer ?? '',
        clientId: deps.people?.clientId ?? '',
        authorizationEndpoint: m.authorization_endpoint,
        tokenEndpoint: m.token_endpoint,
        ...(m.end_session_endpoint === undefined ? {} : { endSessionEndpoint: m.end_session_endpoint }),
      }))
    : null;
  return {
    signIn,
    policy: {
      defaultLifetime: policy.defaultLifetime,
      maxLifetime: policy.maxLifetime,
      // As days, so the browser need not parse ISO 8601 durations: measured from now.
      maxLifetimeDays: Math.floor((addDuration(now, policy.maxLifetime).getTime() - now.getTime()) / 86_400_000),
      defaultLifetimeDays: Math.floor((addDuration(now, policy.defaultLifetime).getTime() - now.getTime()) / 86_400_000),
      notAccessedPeriod: policy.notAccessedPeriod,
      maxResetGracePeriod: policy.maxResetGracePeriod,
      maxRotationOverlap: policy.maxRotationOverlap,
      requireExpiry: policy.requireExpiry,
    },
    expiryPresets: EXPIRY_PRESETS,
  };
}

export function contentSecurityPolicy(connectOrigins: string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${["'self'", ...connectOrigins].join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  // The sign-in callback URL carries the authorization code: never send it on.
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export async function consoleFile(deps: Deps, name: ConsoleFile): Promise<ServedFile> {
  const base = { 'content-type': CONTENT_TYPES[name], ...SECURITY_HEADERS, 'cache-control': 'no-cache' };
  if (name === 'config.json') return { body: JSON.stringify(await consoleSettings(deps)), headers: { ...base, 'cache-control': 'no-store' } };
  const body = await builtFile(deps, name);
  if (name !== 'index.html') return { body, headers: base };
  const tokenOrigin = deps.people ? new URL((await deps.people.metadata()).token_endpoint).origin : undefined;
  return { body, headers: { ...base, 'content-security-policy': contentSecurityPolicy(tokenOrigin === undefined ? [] : [tokenOrigin]) } };
}
