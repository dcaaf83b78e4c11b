import * as z from 'zod';
import { type Catalog, type CatalogInput, catalogSchema } from './permissions/catalog.js';
import type { Grants } from './permissions/grants.js';
import { parseDuration } from './shared/durations.js';

/**
 * What a deployment of keygate decides: the key prefix, the expiry policy and the permission
 * catalog. This is the one typed configuration the CDK stack and the local run share; edit it
 * and redeploy. The catalog below is the example one: it shows every case the model supports.
 */
const exampleCatalog: CatalogInput = {
  resources: {
    alerts: { description: 'Security alerts', access: ['read', 'write'] },
    cases: { description: 'Investigation cases', access: ['read', 'write'] },
    users: { description: 'User directory', access: ['read', 'write'] },
    'alert-rules': {
      description: 'Alert rules (the console calls them "rules")',
      access: ['read', 'write'],
      aliases: ['rules'],
    },
    'audit-log': { description: 'Audit log (read-only)', access: ['read'] },
    'file-events': { description: 'File events (read-only)', access: ['read'] },
    'cloud-accounts': { description: 'Connected cloud accounts', access: ['read', 'write'] },
    tokens: {
      description: 'Access tokens: tokens:read may introspect any token (POST /oauth/introspect, RFC 7662)',
      access: ['read'],
    },
    keys: {
      description: "keygate's own keys: read and write keys of the caller's own owner",
      access: ['read', 'write'],
    },
    'key-verification': {
      description: 'Verify keys that callers present (POST /v1/keys/verify), for services not behind API Gateway',
      access: ['read'],
    },
    channels: {
      description: "Alert channels that expiry notifications go to (email, webhook, operator messages): those of the caller's own owner",
      access: ['read', 'write'],
    },
    'operator-messages': {
      description: "Messages kept in keygate by operator channels, about keys of the caller's own owner: read lists them, write acknowledges them",
      access: ['read', 'write'],
    },
    oauth: { description: 'Token issuance internals (never granted to a key)', access: ['read', 'write'], grantable: false },
    customer: { description: 'Customer account settings (never granted to a key)', access: ['read', 'write'], grantable: false },
  },
  roles: {
    'global-admin': {
      description: 'Unlimited access: every grantable permission, and every key of every owner',
      permissions: ['*:*'],
      admin: true,
    },
    'global-viewer': {
      description: 'Read access to every grantable resource',
      permissions: ['*:read'],
    },
    'cloud-account-viewer': {
      description: 'Read access to the listed cloud accounts (or all of them) and their alerts',
      permissions: ['cloud-accounts:read', 'alerts:read'],
      scoped: true,
      scopeDescription: 'cloud account ids',
    },
  },
};

export interface Policy {
  defaultLifetime: string;
  maxLifetime: string;
  notAccessedPeriod: string;
  retention: string;
  requireExpiry: boolean;
  maxResetGracePeriod: string;
  /** The longest a rotated key may keep working beside its successor. */
  maxRotationOverlap: string;
}

/** The algorithms token signing keys may use (functions/signing/signing-keys.ts makes and checks them). */
export const signingAlgorithms = ['ES256', 'EdDSA', 'RS256'] as const;

/** OAuth 2.0 access tokens (PRODUCT §4). Durations are ISO 8601. */
export interface TokenPolicy {
  /** How long an access token lives; a token never outlives the key it was minted with. */
  lifetime: string;
  /** The `aud` of every access token, which resource servers pin. */
  audience: string;
  /**
   * The algorithm of new signing keys. Keys made under an earlier choice keep theirs. RS256
   * (2048-bit RSA) is the one API Gateway's built-in JWT authorizer for HTTP APIs can verify.
   */
  algorithm: (typeof signingAlgorithms)[number];
  /**
   * How long verifiers may cache the JWKS and the discovery documents (Cache-Control max-age).
   * A new signing key is published at least this long (plus keygate's own cache) before it signs.
   */
  jwksMaxAge: string;
  /** How often the signing key is replaced (the rotation schedule on AWS). */
  rotationInterval: string;
  /**
   * Issuers keygate used before (its API URL before a custom domain, say) that it still accepts
   * in its own JWT-format keys, which name the issuer they were signed under. Never in access
   * tokens (they live minutes). Remove one once every key signed under it has expired.
   */
  earlierKeyIssuers: string[];
}

/** Expiry notifications (PRODUCT §6). Durations are ISO 8601. */
export interface NotificationPolicy {
  /**
   * Reminders before a key's fixed expiry for keys that set no notification of their own
   * (`"notification": null` opts a key out of these too). Ones already past are skipped.
   */
  defaultBefore: string[];
  /**
   * The name of the admin channel default reminders go to (an admin creates it with POST
   * /v1/channels, for its own owner; nobody else may take the name). While no admin channel has
   * this name, new keys get no default reminders. null: no defaults at all.
   */
  defaultChannel: string | null;
  /**
   * Where an owner has marked a default channel (POST /v1/channels/{id}/default), the default
   * reminders of its keys go there; with this set they also go to the admin channel above.
   */
  defaultsAlsoToAdminChannel: boolean;
  /** Sender of notification emails on AWS: an identity verified in Amazon SES. */
  emailFrom: string;
  /** At most this many addresses per email channel. */
  maxEmailAddresses: number;
}

/** The audit log (PRODUCT §2). */
export interface AuditPolicy {
  /** How long an audit entry is kept; DynamoDB TTL deletes it after that (ISO 8601 duration). */
  retention: string;
}

/**
 * People who sign in (the console) with OpenID Connect: how their ID token becomes a principal.
 * Which issuer and client are trusted is decided at deploy time (the stack's Cognito user pool or
 * an external issuer, see infra/) and reaches the functions as their environment.
 */
export interface PeoplePolicy {
  /** The ID token claim that names a person's owner (keys, channels and messages they manage). */
  ownerClaim: string;
  /** The claim listing a person's groups (Cognito: `cognito:groups`; Okta/Entra: `groups`). */
  groupsClaim: string;
  /** Members of this group hold `adminRole`: they manage every key. */
  adminGroup: string;
  /** What everybody else holds: by default, managing their own keys, channels and messages. */
  memberGrants: Grants;
  /** The signature algorithms accepted from the issuer (Cognito signs with RS256). */
  algorithms: string[];
  /**
   * The OpenID Connect issuer people sign in with. null: the stack creates a Cognito user pool
   * with managed login, the console's app client and the admin group (infra/sign-in.ts). Or the
   * company's own issuer (Okta, Entra ID, Google…): its URL and the console's client id there,
   * a public client (no secret) allowing authorization code + PKCE with the redirect URI
   * `<API URL>/console`, whose ID tokens carry `ownerClaim` and `groupsClaim`.
   */
  issuer: { url: string; clientId: string } | null;
}

/**
 * Leak reports from GitHub secret scanning (functions/leaks/): what keygate does with a reported
 * key string that is a real key, and where GitHub's signing keys are published.
 */
export interface LeakReportPolicy {
  /**
   * `revoke`: the reported key is revoked at once (as DELETE /v1/keys/{id}, by `github-secret-scanning`).
   * `suspend`: it is suspended at once (as POST /v1/keys/{id}/suspend) and its owner's channels are
   * alerted (`key.leaked` messages); someone decides, then deletes or resumes it.
   */
  action: 'revoke' | 'suspend';
  /** GitHub's secret scanning public keys ({ public_keys: [{ key_identifier, key, is_current }] }). */
  githubKeysUrl: string;
  /** How long fetched keys are trusted before they are fetched again (an unknown key id refetches sooner). */
  githubKeysMaxAge: string;
}

export interface DeploymentConfig {
  keyPrefix: string;
  policy: Policy;
  catalog: Catalog;
  adminRole: string;
  tokens: TokenPolicy;
  audit: AuditPolicy;
  notifications: NotificationPolicy;
  people: PeoplePolicy;
  leaks: LeakReportPolicy;
}

const duration = (field: string) =>
  z.string().refine((text) => {
    parseDuration(text, field);
    return true;
  });

/** Checked when a function starts: a policy that does not parse stops it there, not at a request. */
const policySchema = z.strictObject({
  defaultLifetime: duration('defaultLifetime'),
  maxLifetime: duration('maxLifetime'),
  notAccessedPeriod: duration('notAccessedPeriod'),
  retention: duration('retention'),
  requireExpiry: z.boolean(),
  maxResetGracePeriod: duration('maxResetGracePeriod'),
  maxRotationOverlap: duration('maxRotationOverlap'),
});

export const deploymentConfig: DeploymentConfig = {
  /** Starts every key string; secret scanners match on it. 2 to 10 lower-case letters or digits. */
  keyPrefix: z.string().regex(/^[a-z0-9]{2,10}$/).parse('kg'),
  policy: policySchema.parse({
    /** Lifetime of a key that names no expiry. */
    defaultLifetime: 'P6M',
    /** No key may be made to live longer than this from now. */
    maxLifetime: 'P6M',
    /** A key unused for this long expires (`expired_inactive`). */
    notAccessedPeriod: 'P3M',
    /** Expired and deleted keys stay listed this long, then DynamoDB TTL removes them. */
    retention: 'P30D',
    /** When false, a key may be created with `"expiresAt": null` (no fixed expiry). */
    requireExpiry: true,
    /** The longest grace period a secret reset may give the old secret. */
    maxResetGracePeriod: 'P7D',
    /** The longest overlap a rotation may give the old key (POST /v1/keys/{id}/rotate). */
    maxRotationOverlap: 'P7D',
  }),
  catalog: catalogSchema.parse(exampleCatalog),
  /** The role the first admin credential holds. */
  adminRole: 'global-admin',
  tokens: z
    .strictObject({
      lifetime: duration('tokens.lifetime'),
      audience: z.string().min(1),
      algorithm: z.enum(signingAlgorithms),
      jwksMaxAge: duration('tokens.jwksMaxAge'),
      rotationInterval: duration('tokens.rotationInterval'),
      earlierKeyIssuers: z.array(z.string().min(1).max(2048)).max(10),
    })
    .parse({
      lifetime: 'PT15M',
      audience: 'urn:keygate:api',
      algorithm: 'ES256',
      jwksMaxAge: 'PT1H',
      rotationInterval: 'P30D',
      // e.g. ['https://abc123.execute-api.eu-west-1.amazonaws.com'] after moving to a custom domain
      earlierKeyIssuers: [],
    }),
  notifications: z
    .strictObject({
      defaultBefore: z.array(duration('defaultBefore')).max(5),
      defaultChannel: z.string().min(1).max(64).nullable(),
      defaultsAlsoToAdminChannel: z.boolean(),
      emailFrom: z.email(),
      maxEmailAddresses: z.number().int().min(1).max(50),
    })
    .parse({
      defaultBefore: ['P7D', 'P1D'],
      defaultChannel: 'operators',
      defaultsAlsoToAdminChannel: false,
      emailFrom: 'keygate@example.com',
      maxEmailAddresses: 10,
    }),
  audit: z.strictObject({ retention: duration('audit.retention') }).parse({
    /** One year. Changing it applies to entries written from then on: each stores its own expiry. */
    retention: 'P1Y',
  }),
  people: z
    .strictObject({
      ownerClaim: z.string().min(1),
      groupsClaim: z.string().min(1),
      adminGroup: z.string().min(1),
      memberGrants: z.strictObject({ roles: z.array(z.strictObject({ role: z.string(), scope: z.union([z.literal('*'), z.array(z.string())]).optional() })), permissions: z.array(z.string()) }),
      algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'])).min(1),
      issuer: z.strictObject({ url: z.url({ protocol: /^https$/ }), clientId: z.string().min(1) }).nullable(),
    })
    .parse({
      ownerClaim: 'email',
      groupsClaim: 'cognito:groups',
      adminGroup: 'keygate-admins',
      memberGrants: {
        roles: [],
        permissions: ['keys:read', 'keys:write', 'channels:read', 'channels:write', 'operator-messages:read', 'operator-messages:write'],
      },
      algorithms: ['RS256'],
      issuer: null,
    }),
  leaks: z
    .strictObject({
      action: z.enum(['revoke', 'suspend']),
      // https, or plain http to this machine only (tests and the local run serve their own keys).
      githubKeysUrl: z.url().refine((url) => /^https:\/\//.test(url) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(url), {
        message: 'leaks.githubKeysUrl must be https (or http to 127.0.0.1 / localhost)',
      }),
      githubKeysMaxAge: duration('leaks.githubKeysMaxAge'),
    })
    .parse({
      action: 'revoke',
      githubKeysUrl: 'https://api.github.com/meta/public_keys/secret_scanning',
      githubKeysMaxAge: 'PT1H',
    }),
};
