import * as z from 'zod';
import { grantsInputSchema, scopeIdSchema } from '../permissions/grants.js';
import { MAX_KEY_JWT_LENGTH } from './key-jwt.js';
import { keyFormats, keyStatuses } from './key-model.js';
import { CHANNEL_ID, KEY_ID } from '../shared/ids.js';
import { ownerSchema } from '../shared/owner-schema.js';
import { pageQuerySchema } from '../shared/page-query.js';
import { descriptionSchema as keyDescriptionSchema, nameSchema as keyNameSchema } from '../shared/text-schemas.js';

/** One schema per request shape; handlers validate with them and the domain types come from them. */

/**
 * A key's notification, at create or PATCH: `at` is an ISO 8601 date-time, or a duration
 * before the key's fixed expiry (`P7D`). `null` cancels (and opts out of the deployment defaults).
 */
export const notificationInputSchema = z
  .strictObject({
    at: z.string().min(2).max(40),
    channelId: z.string().regex(CHANNEL_ID, 'channelId must be the id of a channel (GET /v1/channels lists them)'),
  })
  .nullable();
export type NotificationInput = z.infer<typeof notificationInputSchema>;

const nameSchema = keyNameSchema();
const descriptionSchema = keyDescriptionSchema();

const expiresAtSchema = z.iso.datetime({ offset: true, message: 'expiresAt must be an ISO 8601 date-time such as 2026-12-31T00:00:00Z' });
const durationText = z.string().min(2).max(40);

export const createKeyBodySchema = z.strictObject({
  name: nameSchema,
  description: descriptionSchema.default(''),
  owner: ownerSchema.optional(),
  /** Absent: `key`. */
  format: z
    .enum(keyFormats, { error: 'format must be "key" (a kg_ key string) or "jwt" (a signed JWT)' })
    .optional()
    .meta({ description: 'What the key string looks like: "key" (default) or "jwt", a JWT signed by keygate' }),
  roles: grantsInputSchema.roles.default([]),
  permissions: grantsInputSchema.permissions.default([]),
  expiresAt: expiresAtSchema.nullable().optional(),
  expiresIn: durationText.optional(),
  notification: notificationInputSchema.optional(),
});
export type CreateKeyInput = z.infer<typeof createKeyBodySchema>;

export const updateKeyBodySchema = z
  .strictObject({
    name: nameSchema.optional(),
    description: descriptionSchema.optional(),
    roles: grantsInputSchema.roles.optional(),
    permissions: grantsInputSchema.permissions.optional(),
    expiresAt: expiresAtSchema.optional(),
    expiresIn: durationText.optional(),
    notification: notificationInputSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change: name, description, roles, permissions, expiresAt, expiresIn or notification');
export type UpdateKeyInput = z.infer<typeof updateKeyBodySchema>;

export const resetKeyBodySchema = z.strictObject({ gracePeriod: durationText.optional() });
export type ResetKeyInput = z.infer<typeof resetKeyBodySchema>;

export const listKeysQuerySchema = z.strictObject({
  owner: ownerSchema.optional(),
  status: z.enum(keyStatuses).optional(),
  ...pageQuerySchema.shape,
});
export type ListKeysInput = z.infer<typeof listKeysQuerySchema>;

export const keyIdPathSchema = z.strictObject({
  id: z.string().regex(KEY_ID, 'key id must be the 22-character id from the key details'),
});

/** The presented key is a string to judge, not to validate here: a wrong one is a 200 with valid: false. */
export const verifyKeyBodySchema = z
  .strictObject({
    key: z.string().min(1, 'key must not be empty').max(MAX_KEY_JWT_LENGTH),
    /** Also check this permission (`resource:access`); unknown permissions are a 400. */
    permission: z.string().min(1).max(130).optional(),
    /** The instance the permission must cover (e.g. a cloud account id for a scoped role). */
    instance: scopeIdSchema.optional(),
  })
  .refine((body) => body.instance === undefined || body.permission !== undefined, 'instance needs a permission to check on it');
export type VerifyKeyInput = z.infer<typeof verifyKeyBodySchema>;
