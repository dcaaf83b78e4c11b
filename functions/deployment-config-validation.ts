import * as z from 'zod';
import { accessLevels } from './permissions/catalog.js';
import { parseDuration } from './shared/durations.js';
import { signingAlgorithms } from './signing/signing-algorithms.js';

/**
 * The schema of functions/deployment-config.ts: what the synth, the local run and the tests check
 * before anything uses the configuration (a setting that does not parse stops `cdk synth` with
 * zod's message). Deployed functions never load this module: they get the validated result
 * compiled in. It imports nothing of functions/deployment-config.ts, not even its types (that
 * module awaits this one while it loads; it checks that the result has its types).
 */
const duration = (field: string) =>
  z.string().refine((text) => {
    parseDuration(text, field);
    return true;
  });

const resourceName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'resource names are lower-case words joined by "-"');

const catalogSchema = z.strictObject({
  resources: z.record(
    resourceName,
    z.strictObject({
      description: z.string(),
      access: z.array(z.enum(accessLevels)).min(1),
      aliases: z.array(resourceName).default([]),
      grantable: z.boolean().default(true),
    }),
  ),
  roles: z.record(
    z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
    z.strictObject({
      description: z.string(),
      permissions: z.array(z.string()).min(1),
      scoped: z.boolean().default(false),
      scopeDescription: z.string().optional(),
      admin: z.boolean().default(false),
    }),
  ),
});

const deploymentConfigSchema = z.strictObject({
  keyPrefix: z.string().regex(/^[a-z0-9]{2,10}$/),
  policy: z.strictObject({
    defaultLifetime: duration('defaultLifetime'),
    maxLifetime: duration('maxLifetime'),
    notAccessedPeriod: duration('notAccessedPeriod'),
    retention: duration('retention'),
    requireExpiry: z.boolean(),
    maxResetGracePeriod: duration('maxResetGracePeriod'),
    maxRotationOverlap: duration('maxRotationOverlap'),
  }),
  catalog: catalogSchema,
  adminRole: z.string().min(1),
  tokens: z.strictObject({
    lifetime: duration('tokens.lifetime'),
    audience: z.string().min(1),
    algorithm: z.enum(signingAlgorithms),
    jwksMaxAge: duration('tokens.jwksMaxAge'),
    rotationInterval: duration('tokens.rotationInterval'),
    earlierKeyIssuers: z.array(z.string().min(1).max(2048)).max(10),
  }),
  notifications: z.strictObject({
    defaultBefore: z.array(duration('defaultBefore')).max(5),
    defaultChannel: z.string().min(1).max(64).nullable(),
    defaultsAlsoToAdminChannel: z.boolean(),
    emailFrom: z.email(),
    maxEmailAddresses: z.number().int().min(1).max(50),
  }),
  audit: z.strictObject({ retention: duration('audit.retention') }),
  people: z.strictObject({
    ownerClaim: z.string().min(1),
    groupsClaim: z.string().min(1),
    adminGroup: z.string().min(1),
    memberGrants: z.strictObject({
      roles: z.array(z.strictObject({ role: z.string(), scope: z.union([z.literal('*'), z.array(z.string())]).optional() })),
      permissions: z.array(z.string()),
    }),
    algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'])).min(1),
    issuer: z.strictObject({ url: z.url({ protocol: /^https$/ }), clientId: z.string().min(1) }).nullable(),
  }),
  leaks: z.strictObject({
    action: z.enum(['revoke', 'suspend']),
    // https, or plain http to this machine only (tests and the local run serve their own keys).
    githubKeysUrl: z.url().refine((url) => /^https:\/\//.test(url) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(url), {
      message: 'leaks.githubKeysUrl must be https (or http to 127.0.0.1 / localhost)',
    }),
    githubKeysMaxAge: duration('leaks.githubKeysMaxAge'),
  }),
  usage: z
    .strictObject({
      flushIntervalSeconds: z.number().int().min(1).max(300),
      flushAtEntries: z.number().int().min(1).max(10_000),
      maxBufferedEntries: z.number().int().min(1).max(200_000),
    })
    .refine((usage) => usage.maxBufferedEntries >= usage.flushAtEntries, {
      message: 'usage.maxBufferedEntries must be at least usage.flushAtEntries',
      path: ['maxBufferedEntries'],
    }),
});

/** The settings checked and completed (the catalog's defaults filled in); throws zod's error on a bad one. */
export function validateDeploymentConfig(settings: unknown): z.output<typeof deploymentConfigSchema> {
  return deploymentConfigSchema.parse(settings);
}
