import * as z from 'zod';
import { actor, instant, page } from '../contract/response-parts.js';
import { roleGrantSchema } from '../permissions/grants.js';
import { rateLimitModes } from '../usage/limit-model.js';
import { keyFormats, keyStatuses } from './key-model.js';
import { usage24hSchema } from '../usage/usage-responses.js';
import { lazySchema, onFirstUse } from '../shared/on-first-use.js';
import { type AuthenticationFailure, authenticationFailures } from '../shared/errors.js';

/**
 * What these routes answer, as zod schemas, for their contracts and the OpenAPI document. Each
 * mirrors a domain function's output. Objects are strict, so test/integration/openapi.test.ts,
 * which validates real responses against the document, fails as soon as a response gains, loses
 * or changes a field that is not described here. Each is built on first use (lazySchema): every
 * key route's bundle imports this module, and only the OpenAPI document reads more than one.
 */
const notificationSchema = onFirstUse(() =>
  z
    .strictObject({
      at: instant.unwrap(),
      channelId: z.string(),
      before: z.string().nullable(),
      status: z.enum(['scheduled', 'sending', 'sent', 'failed', 'dropped', 'canceled']),
      firedAt: instant.unwrap().nullable(),
      canceledAt: instant.unwrap().optional(),
      detail: z.string().optional(),
    })
    .meta({ id: 'Notification' }),
);

export const keyDetailsSchema = lazySchema(() =>
  z
    .strictObject({
      id: z.string(),
      name: z.string(),
      description: z.string(),
      owner: z.string(),
      format: z.enum(keyFormats).meta({ description: '"key": a kg_ key string; "jwt": a JWT signed by keygate (typ kg-key+jwt)' }),
      roles: z.array(roleGrantSchema.unwrap()),
      permissions: z.array(z.string()),
      status: z.enum(keyStatuses),
      createdAt: instant.unwrap(),
      createdBy: actor.unwrap(),
      updatedAt: instant.unwrap(),
      lastUsedAt: instant.unwrap().nullable(),
      expiresAt: instant.unwrap().nullable(),
      inactivityExpiresAt: instant.unwrap(),
      effectiveExpiresAt: instant.unwrap(),
      expiryReason: z.enum(['expires_at', 'inactivity']),
      secretResetAt: instant.unwrap().nullable(),
      previousSecretValidUntil: instant.unwrap().nullable(),
      revokedAt: instant.unwrap().nullable(),
      revokedBy: actor.unwrap().nullable(),
      tags: z.array(z.string()).meta({ description: 'Labels such as team:payments; GET /v1/keys?tag= filters on one' }),
      meta: z.record(z.string(), z.json()).nullable().meta({ description: 'The key\'s metadata (no secrets, by convention); null: none' }),
      suspendedAt: instant.unwrap().nullable(),
      suspendedBy: actor.unwrap().nullable(),
      suspendedReason: z.string().nullable(),
      allowedIps: z.array(z.string()).nullable().meta({ description: 'CIDR ranges the key may be used from (normalized); null: anywhere' }),
      rateLimits: z
        .array(z.strictObject({ limit: z.number().int(), window: z.string(), mode: z.enum(rateLimitModes) }))
        .meta({ description: 'Rate limits: at most `limit` uses per fixed `window`; [] none' }),
      quota: z
        .strictObject({
          remaining: z.number().int().meta({ description: 'The uses the quota was set with (its first period)' }),
          refill: z.strictObject({ amount: z.number().int(), interval: z.string() }).nullable(),
          setAt: instant.unwrap().meta({ description: 'When the quota was set: refill periods count from here' }),
        })
        .nullable()
        .meta({ description: 'The quota as set; null: none' }),
      quotaRemaining: z
        .number()
        .int()
        .nullable()
        .meta({ description: 'Uses left in the current quota period (GET, list, create, PATCH, rotate read it); null: no quota, or not read by this answer' }),
      predecessorId: z.string().nullable().meta({ description: 'The key this one replaced by a rotation' }),
      successorId: z.string().nullable().meta({ description: 'The key that replaced this one by a rotation' }),
      rotatedAt: instant.unwrap().nullable(),
      notification: notificationSchema().nullable(),
      defaultNotifications: z.array(notificationSchema()),
      notificationHistory: z.array(notificationSchema()).meta({ description: 'Earlier notifications, oldest first (at most 20): fired, or canceled' }),
      leakAlerts: z.array(notificationSchema()).meta({
        description: "Alerts sent because GitHub secret scanning reported the key's string and keygate suspended it (deployments whose leaks.action is suspend): one per channel",
      }),
    })
    .meta({ id: 'KeyDetails' }),
);

/** GET /v1/keys/{id}: the details and the last 24 hours' usage counts (functions/usage/key-usage.ts). */
export const keyDetailsWithUsageSchema = lazySchema(() =>
    keyDetailsSchema.unwrap().extend({ usage24h: usage24hSchema.unwrap() }).meta({ id: 'KeyDetailsWithUsage' }),
);

export const issuedKeySchema = lazySchema(() =>
    keyDetailsSchema
    .unwrap()
    .extend({ key: z.string().meta({ description: 'The key string, or the JWT of a JWT-format key: shown in this response only' }) })
    .meta({ id: 'IssuedKey' }),
);

export const keyPageSchema = lazySchema(() => page(keyDetailsSchema.unwrap()));

export const verificationSchema = lazySchema(() =>
  z.strictObject({
    valid: z.boolean(),
    // verify-key.ts VerificationCode: a refusal's reason ('missing' is answered as 'malformed'), or a key that lacks the permission.
    code: z.enum(['valid', ...authenticationFailures.filter((reason): reason is Exclude<AuthenticationFailure, 'missing'> => reason !== 'missing'), 'insufficient_permissions']),
    keyId: z.string().nullable(),
    owner: z.string().nullable(),
    permissions: z.record(z.string(), z.union([z.literal('*'), z.array(z.string())])).nullable(),
    expiresAt: instant.unwrap().nullable(),
    meta: z
      .record(z.string(), z.json())
      .nullable()
      .meta({ description: "The key's metadata, when the key is valid (null: none, or not known)" }),
  }),
);

export const ownerActionResultSchema = lazySchema(() =>
  z
    .strictObject({
      owner: z.string(),
      action: z.enum(['suspend', 'revoke']),
      count: z.number().int().meta({ description: 'Keys suspended (or revoked) by this call, one audit entry each' }),
      failed: z.number().int().meta({ description: 'Keys that could not be changed (changed concurrently twice, or holding grants the caller lacks)' }),
      complete: z.boolean().meta({ description: 'False when the time budget ran out first: call again to continue' }),
    })
    .meta({ id: 'OwnerKeysActionResult' }),
);
