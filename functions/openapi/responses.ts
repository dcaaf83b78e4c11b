import * as z from 'zod';
import { auditPageSchema, personSchema } from '../audit/schemas.js';
import { keyFormats, keyStatuses } from '../keys/key-model.js';
import { roleGrantSchema } from '../permissions/grants.js';
import { accessTokenClaimsSchema } from '../tokens/access-token.js';

/**
 * What keygate's routes answer, as zod schemas, for the OpenAPI document. Each mirrors a domain
 * function's output (keyDetails, channelDetails, describeCatalog, ...). Objects are strict, so
 * test/integration/openapi.test.ts, which validates real responses against the document, fails
 * as soon as a response gains, loses or changes a field that is not described here.
 */
const instant = z.iso.datetime();
const actor = z.strictObject({ owner: z.string(), keyId: z.string().optional(), person: personSchema.optional() }).meta({ id: 'Actor' });
const page = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });

export const errorSchema = z
  .strictObject({ error: z.strictObject({ code: z.string(), message: z.string(), requestId: z.string() }) })
  .meta({ id: 'Error', description: 'Every error of the management API' });

export const oauthErrorSchema = z
  .strictObject({ error: z.string(), error_description: z.string(), request_id: z.string().optional() })
  .meta({ id: 'OAuthError', description: 'RFC 6749 §5.2 error' });

const notificationSchema = z
  .strictObject({
    at: instant,
    channelId: z.string(),
    before: z.string().nullable(),
    status: z.enum(['scheduled', 'sending', 'sent', 'failed', 'dropped']),
    firedAt: instant.nullable(),
    detail: z.string().optional(),
  })
  .meta({ id: 'Notification' });

export const keyDetailsSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    owner: z.string(),
    format: z.enum(keyFormats).meta({ description: '"key": a kg_ key string; "jwt": a JWT signed by keygate (typ kg-key+jwt)' }),
    roles: z.array(roleGrantSchema),
    permissions: z.array(z.string()),
    status: z.enum(keyStatuses),
    createdAt: instant,
    createdBy: actor,
    updatedAt: instant,
    lastUsedAt: instant.nullable(),
    expiresAt: instant.nullable(),
    inactivityExpiresAt: instant,
    effectiveExpiresAt: instant,
    expiryReason: z.enum(['expires_at', 'inactivity']),
    secretResetAt: instant.nullable(),
    previousSecretValidUntil: instant.nullable(),
    revokedAt: instant.nullable(),
    revokedBy: actor.nullable(),
    notification: notificationSchema.nullable(),
    defaultNotifications: z.array(notificationSchema),
  })
  .meta({ id: 'KeyDetails' });

export const issuedKeySchema = keyDetailsSchema
  .extend({ key: z.string().meta({ description: 'The key string, or the JWT of a JWT-format key: shown in this response only' }) })
  .meta({ id: 'IssuedKey' });

export const keyPageSchema = page(keyDetailsSchema);

export const callerSchema = z
  .strictObject({
    owner: z.string(),
    admin: z.boolean(),
    keyId: z.string().optional(),
    person: personSchema.optional(),
    grants: z.strictObject({ roles: z.array(roleGrantSchema), permissions: z.array(z.string()) }),
    permissions: z.record(z.string(), z.union([z.literal('*'), z.array(z.string())])),
  })
  .meta({ id: 'Caller' });

export const catalogSchema = z.strictObject({
  resources: z.array(
    z.strictObject({
      name: z.string(),
      description: z.string(),
      access: z.array(z.enum(['read', 'write'])),
      aliases: z.array(z.string()),
      grantable: z.boolean(),
      permissions: z.array(z.string()),
    }),
  ),
  roles: z.array(
    z.strictObject({
      name: z.string(),
      description: z.string(),
      permissions: z.array(z.string()),
      scoped: z.boolean(),
      scopeDescription: z.string().optional(),
      admin: z.boolean(),
    }),
  ),
});

export const verificationSchema = z.strictObject({
  valid: z.boolean(),
  code: z.enum(['valid', 'malformed', 'invalid', 'expired', 'expired_inactive', 'revoked', 'insufficient_permissions']),
  keyId: z.string().nullable(),
  owner: z.string().nullable(),
  permissions: z.record(z.string(), z.union([z.literal('*'), z.array(z.string())])).nullable(),
  expiresAt: instant.nullable(),
});

export const tokenResponseSchema = z.strictObject({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
});

const { kg_sfp: _fingerprint, ...publicClaims } = accessTokenClaimsSchema.shape;
export const introspectionSchema = z.union([
  z.strictObject({ active: z.literal(false) }),
  z.strictObject({ active: z.literal(true), token_type: z.literal('Bearer'), ...publicClaims }),
]);

export const jwksSchema = z.strictObject({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') })),
});

export const authorizationServerMetadataSchema = z.strictObject({
  issuer: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  introspection_endpoint: z.url(),
  grant_types_supported: z.array(z.string()),
  token_endpoint_auth_methods_supported: z.array(z.string()),
  response_types_supported: z.array(z.string()),
  scopes_supported: z.array(z.string()),
  subject_types_supported: z.array(z.string()),
});

const channelBase = {
  id: z.string(),
  name: z.string(),
  owner: z.string().nullable().meta({ description: 'Whose channel; null for channels made before channels had owners (admin channels)' }),
  adminChannel: z.boolean().meta({ description: "Created by an admin for its own owner: admins may send any owner's key notifications to it; only admins delete it" }),
  createdAt: instant,
  createdBy: actor,
};
export const channelSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ ...channelBase, type: z.literal('email'), addresses: z.array(z.string()) }),
    z.strictObject({ ...channelBase, type: z.literal('webhook'), url: z.string() }),
    z.strictObject({ ...channelBase, type: z.literal('operator') }),
  ])
  .meta({ id: 'Channel' });

export const createdChannelSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...channelBase, type: z.literal('email'), addresses: z.array(z.string()) }),
  z.strictObject({
    ...channelBase,
    type: z.literal('webhook'),
    url: z.string(),
    signingSecret: z.string().meta({ description: 'Standard Webhooks signing secret: shown in this response only' }),
  }),
  z.strictObject({ ...channelBase, type: z.literal('operator') }),
]);

export const channelPageSchema = page(channelSchema);

export const operatorMessageSchema = z
  .strictObject({
    id: z.string(),
    channelId: z.string(),
    channelName: z.string(),
    keyId: z.string(),
    owner: z.string().nullable().meta({ description: "The key's owner; null for messages stored before messages had owners (admins only)" }),
    subject: z.string(),
    text: z.string(),
    createdAt: instant,
    acknowledgedAt: instant.nullable(),
    acknowledgedBy: actor.nullable(),
  })
  .meta({ id: 'OperatorMessage' });

export const operatorMessagePageSchema = page(operatorMessageSchema);

export { auditPageSchema };

/** The document itself, described loosely: its own schema is OpenAPI's. */
export const openApiDocumentSchema = z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({}), paths: z.looseObject({}) });
