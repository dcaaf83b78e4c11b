import * as z from 'zod';
import { grantsInputSchema, scopeIdSchema } from '../permissions/grants.js';
import { MAX_KEY_JWT_LENGTH } from './key-jwt.js';
import { metaSchema, tagSchema, tagsSchema } from './key-metadata.js';
import { isIpAddress } from './key-ip-allowlist.js';
import { keyFormats, keyStatuses } from './key-model.js';
import { CHANNEL_ID, KEY_ID } from '../shared/ids.js';
import { quotaInputSchema, rateLimitsInputSchema } from '../usage/limit-model.js';
import { ownerSchema } from '../shared/owner-schema.js';
import { pageQuerySchema } from '../shared/page-query.js';
import { descriptionSchema as keyDescriptionSchema, nameSchema as keyNameSchema } from '../shared/text-schemas.js';
import { lazySchema, onFirstUse } from '../shared/on-first-use.js';

/**
 * One schema per request shape; handlers validate with them and the domain types come from them.
 * Each is built on first use (lazySchema): every key route's bundle imports them all and parses with one.
 */

/**
 * A key's notification, at create or PATCH: `at` is an ISO 8601 date-time, or a duration
 * before the key's fixed expiry (`P7D`). `null` cancels (and opts out of the deployment defaults).
 */
export const notificationInputSchema = lazySchema(() =>
  z
    .strictObject({
      at: z.string().min(2).max(40),
      channelId: z.string().regex(CHANNEL_ID, 'channelId must be the id of a channel (GET /v1/channels lists them)'),
    })
    .nullable(),
);
export type NotificationInput = z.infer<typeof notificationInputSchema>;

/** The fields several request shapes share, built once, on the first build of one of them. */
const parts = onFirstUse(() => ({
  name: keyNameSchema(),
  description: keyDescriptionSchema(),
  /**
   * A key's IP allowlist: CIDR ranges or addresses, IPv4 or IPv6 (checked and normalized by
   * key-ip-allowlist.ts, which also refuses an empty list); `null` (on edit) removes it.
   */
  allowedIps: z
    .array(z.string().min(1).max(64), { error: 'allowedIps must be a list of CIDR ranges such as ["203.0.113.0/24", "2001:db8::/32"]' })
    .max(32, 'allowedIps: at most 32 ranges')
    .nullable()
    .meta({ description: 'CIDR ranges (IPv4, IPv6) the key may be used from; absent or null: anywhere' }),
  expiresAt: z.iso.datetime({ offset: true, message: 'expiresAt must be an ISO 8601 date-time such as 2026-12-31T00:00:00Z' }),
  durationText: z.string().min(2).max(40),
}));

export const createKeyBodySchema = lazySchema(() =>
  z.strictObject({
    name: parts().name,
    description: parts().description.default(''),
    owner: ownerSchema.optional(),
    /** Absent: `key`. */
    format: z
      .enum(keyFormats, { error: 'format must be "key" (a kg_ key string) or "jwt" (a signed JWT)' })
      .optional()
      .meta({ description: 'What the key string looks like: "key" (default) or "jwt", a JWT signed by keygate' }),
    roles: grantsInputSchema().roles.default([]),
    permissions: grantsInputSchema().permissions.default([]),
    expiresAt: parts().expiresAt.nullable().optional(),
    expiresIn: parts().durationText.optional(),
    notification: notificationInputSchema.unwrap().optional(),
    tags: tagsSchema.unwrap().optional(),
    meta: metaSchema.unwrap().optional(),
    allowedIps: parts().allowedIps.optional(),
    rateLimits: rateLimitsInputSchema.unwrap().optional(),
    quota: quotaInputSchema.unwrap().optional(),
  }),
);
export type CreateKeyInput = z.infer<typeof createKeyBodySchema>;

export const updateKeyBodySchema = lazySchema(() =>
  z
    .strictObject({
      name: parts().name.optional(),
      description: parts().description.optional(),
      roles: grantsInputSchema().roles.optional(),
      permissions: grantsInputSchema().permissions.optional(),
      expiresAt: parts().expiresAt.optional(),
      expiresIn: parts().durationText.optional(),
      notification: notificationInputSchema.unwrap().optional(),
      /** Replaces the tags ([] removes them all). */
      tags: tagsSchema.unwrap().optional(),
      /** Replaces the metadata; null removes it. */
      meta: metaSchema.unwrap().nullable().optional(),
      allowedIps: parts().allowedIps.optional(),
      /** Replaces the rate limits; [] or null removes them. Counts in the current windows carry on. */
      rateLimits: rateLimitsInputSchema.unwrap().optional(),
      /** Sets the quota afresh (its full `remaining`, periods counted from now); null removes it. */
      quota: quotaInputSchema.unwrap().optional(),
    })
    .refine(
      (body) => Object.keys(body).length > 0,
      'give at least one field to change: name, description, roles, permissions, expiresAt, expiresIn, notification, tags, meta, allowedIps, rateLimits or quota',
    ),
);
export type UpdateKeyInput = z.infer<typeof updateKeyBodySchema>;

export const resetKeyBodySchema = lazySchema(() => z.strictObject({ gracePeriod: parts().durationText.optional() }));
export type ResetKeyInput = z.infer<typeof resetKeyBodySchema>;

const instantQuery = (field: string) =>
  z.iso
    .datetime({ offset: true, message: `${field} must be an ISO 8601 date-time such as 2026-12-31T00:00:00Z` })
    .transform((text) => new Date(text).toISOString());

/** A rotation: the successor's expiry (default lifetime when absent), and how long the old key keeps working (none: revoked at once). */
export const rotateKeyBodySchema = lazySchema(() =>
  z.strictObject({
    expiresAt: parts().expiresAt.optional(),
    expiresIn: parts().durationText.optional(),
    overlap: parts().durationText.optional().meta({ description: 'ISO 8601 duration the old key keeps working (at most P7D); absent: it is revoked at once' }),
  }),
);
export type RotateKeyInput = z.infer<typeof rotateKeyBodySchema>;

/** Suspend, resume, and the bulk actions: an optional reason for the audit log (and the key's details, on suspend). */
export const keyStateBodySchema = lazySchema(() =>
  z.strictObject({
    reason: z.string().min(1).max(256).regex(/^[^\p{Cc}\p{Cf}\u2028\u2029]*$/u, 'reason must not contain control or format characters').optional(),
  }),
);
export type KeyStateInput = z.infer<typeof keyStateBodySchema>;

export const ownerPathSchema = lazySchema(() => z.strictObject({ owner: ownerSchema }));

export const listKeysQuerySchema = lazySchema(() =>
  z.strictObject({
    owner: ownerSchema.optional(),
    status: z.enum(keyStatuses).optional(),
    tag: tagSchema.unwrap().optional().meta({ description: 'Only keys carrying this tag (team:payments)' }),
    namePrefix: z
      .string()
      .min(1, 'namePrefix must not be empty')
      .max(64, 'namePrefix must be at most 64 characters')
      .optional()
      .meta({ description: 'Only keys whose name starts with this, ignoring case. Without owner, the page is in name order' }),
    expiringBefore: instantQuery('expiringBefore')
      .optional()
      .meta({ description: 'Only keys whose effective expiry (fixed or by inactivity) lies before this instant' }),
    unusedSince: instantQuery('unusedSince')
      .optional()
      .meta({ description: 'Only keys with no use recorded at or after this instant (never-used keys included; uses are recorded once a minute)' }),
    ...pageQuerySchema.unwrap().shape,
  }),
);
export type ListKeysInput = z.infer<typeof listKeysQuerySchema>;

export const keyIdPathSchema = lazySchema(() =>
  z.strictObject({
    id: z.string().regex(KEY_ID, 'key id must be the 22-character id from the key details'),
  }),
);

/** The presented key is a string to judge, not to validate here: a wrong one is a 200 with valid: false. */
export const verifyKeyBodySchema = lazySchema(() =>
  z
    .strictObject({
      key: z.string().min(1, 'key must not be empty').max(MAX_KEY_JWT_LENGTH),
      /** Also check this permission (`resource:access`); unknown permissions are a 400. */
      permission: z.string().min(1).max(130).optional(),
      /** The instance the permission must cover (e.g. a cloud account id for a scoped role). */
      instance: scopeIdSchema.unwrap().optional(),
      /**
       * The address the key's presenter called the service from: a key with an IP allowlist is
       * checked against it (and refused with code ip_not_allowed). Absent: the allowlist is not checked.
       */
      clientIp: z
        .string()
        .max(64)
        .refine(isIpAddress, 'clientIp must be an IPv4 or IPv6 address such as 203.0.113.9')
        .optional(),
    })
    .refine((body) => body.instance === undefined || body.permission !== undefined, 'instance needs a permission to check on it'),
);
export type VerifyKeyInput = z.infer<typeof verifyKeyBodySchema>;
