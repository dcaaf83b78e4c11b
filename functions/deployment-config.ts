import type { Catalog, CatalogInput } from './permissions/catalog.js';
import type { Grants } from './permissions/grants.js';
import { signingAlgorithms } from './signing/signing-algorithms.js';

export { signingAlgorithms };

/**
 * What a deployment of keygate decides: the key prefix, the expiry policy and the permission
 * catalog. This is the one typed configuration the CDK stack, the local run and the tests share;
 * edit `deploymentSettings` below and redeploy. The catalog below is the example one: it shows
 * every case the model supports.
 *
 * The settings are validated where they are read from this file: by the synth (`cdk synth` stops
 * on a bad setting, with zod's message), by the local run and by the tests
 * (functions/deployment-config-validation.ts). A deployed function does not validate them again:
 * the stack compiles the validated configuration into every bundle as JSON (esbuild `define`,
 * infra/api.ts), which saves a cold start the schemas and their parsing.
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

/**
 * Usage counts per key (functions/usage/usage-counts.ts): each process counts in memory and writes
 * its counts to the table in batches, so a key's use costs no write of its own.
 */
export interface UsagePolicy {
  /** A process writes its counts at most this often (on the first request after it), and on shutdown. */
  flushIntervalSeconds: number;
  /** ...or sooner, once it holds counts for this many key-minutes. */
  flushAtEntries: number;
  /**
   * The most key-minutes a process holds (while writes fail, say); counts beyond it are dropped and
   * counted in the UsageCountsDropped metric.
   */
  maxBufferedEntries: number;
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
  usage: UsagePolicy;
}

/** The configuration as written here: the catalog's defaults are not filled in yet. */
export type DeploymentSettings = Omit<DeploymentConfig, 'catalog'> & { catalog: CatalogInput };

export const deploymentSettings: DeploymentSettings = {
  /** Starts every key string; secret scanners match on it. 2 to 10 lower-case letters or digits. */
  keyPrefix: 'kg',
  policy: {
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
  },
  catalog: exampleCatalog,
  /** The role the first admin credential holds. */
  adminRole: 'global-admin',
  tokens: {
    lifetime: 'PT15M',
    audience: 'urn:keygate:api',
    algorithm: 'ES256',
    jwksMaxAge: 'PT1H',
    rotationInterval: 'P30D',
    // e.g. ['https://abc123.execute-api.eu-west-1.amazonaws.com'] after moving to a custom domain
    earlierKeyIssuers: [],
  },
  notifications: {
    defaultBefore: ['P7D', 'P1D'],
    defaultChannel: 'operators',
    defaultsAlsoToAdminChannel: false,
    emailFrom: 'keygate@example.com',
    maxEmailAddresses: 10,
  },
  audit: {
    /** One year. Changing it applies to entries written from then on: each stores its own expiry. */
    retention: 'P1Y',
  },
  people: {
    ownerClaim: 'email',
    groupsClaim: 'cognito:groups',
    adminGroup: 'keygate-admins',
    memberGrants: {
      roles: [],
      permissions: ['keys:read', 'keys:write', 'channels:read', 'channels:write', 'operator-messages:read', 'operator-messages:write'],
    },
    algorithms: ['RS256'],
    issuer: null,
  },
  leaks: {
    action: 'revoke',
    githubKeysUrl: 'https://api.github.com/meta/public_keys/secret_scanning',
    githubKeysMaxAge: 'PT1H',
  },
  usage: {
    /** At most this many seconds of one process's counts are lost if it stops without a shutdown signal. */
    flushIntervalSeconds: 10,
    flushAtEntries: 500,
    maxBufferedEntries: 20_000,
  },
};

/** The validated configuration, as JSON text, where the stack compiled it into the bundle (infra/api.ts). */
declare const __KEYGATE_DEPLOYMENT_CONFIG__: string | undefined;

/**
 * In a deployed function: the configuration the synth validated, compiled in (esbuild drops the
 * other branch and the validation module with it). Anywhere else (the synth itself, the local
 * run, the tests): `deploymentSettings` validated now, so a bad setting stops `cdk synth`.
 */
export const deploymentConfig: DeploymentConfig =
  typeof __KEYGATE_DEPLOYMENT_CONFIG__ === 'string'
    ? (JSON.parse(__KEYGATE_DEPLOYMENT_CONFIG__) as DeploymentConfig)
    : ((await import('./deployment-config-validation.js')).validateDeploymentConfig(deploymentSettings) satisfies DeploymentConfig);
