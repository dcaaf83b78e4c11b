import * as z from 'zod';
import { type HeldPermissions, heldPermissions, roleGrantSchema } from '../permissions/grants.js';
import type { Caller } from '../access/verify-credential.js';

/**
 * What the authorizer hands the backend, in `event.requestContext.authorizer.lambda` (HTTP API)
 * or `event.requestContext.authorizer` (REST API). HTTP API simple responses carry JSON as is;
 * a REST authorizer's context holds only strings, numbers and booleans, so there `grants` and
 * `permissions` are JSON strings and a null expiry is left out. Never a secret.
 *
 *   credential   "key" or "token"
 *   keyId        the key (for a token: the key it was minted with)
 *   owner        the key's owner
 *   expiresAt    the key's fixed expiry, or the token's; absent or null: none
 *   admin        true when a role makes the caller an admin
 *   grants       { roles, permissions } as held (a token: as it carries them)
 *   permissions  effective permissions: { "alerts:read": "*", "cloud-accounts:read": ["acct-1"] }
 *   meta         the key's metadata (functions/keys/key-metadata.ts), a JSON object; null (REST: absent)
 *                for a key without any and for an access token, which is checked offline. No secrets,
 *                by convention. At most 1 KB, so it fits API Gateway's context limits.
 */
export interface CallerContext {
  credential: 'key' | 'token';
  keyId: string;
  owner: string;
  expiresAt: string | null;
  admin: boolean;
  grants: { roles: z.infer<typeof roleGrantSchema>[]; permissions: string[] };
  permissions: HeldPermissions;
  meta: Record<string, unknown> | null;
}

export function callerContext(caller: Caller): CallerContext {
  // The authorizer never accepts people (AcceptedCredentials.people): only keys and access tokens reach here.
  if (caller.credential === 'person') throw new Error('a signed-in person is not a credential of protected APIs');
  return {
    credential: caller.credential,
    keyId: caller.keyId ?? '',
    owner: caller.owner,
    expiresAt: caller.expiresAt,
    admin: caller.expanded.admin,
    grants: { roles: caller.grants.roles, permissions: caller.grants.permissions },
    permissions: heldPermissions(caller.expanded),
    meta: caller.credential === 'key' ? (caller.meta ?? null) : null,
  };
}

/** The REST API form: flat values only. */
export function flatCallerContext(context: CallerContext): Record<string, string | boolean> {
  return {
    credential: context.credential,
    keyId: context.keyId,
    owner: context.owner,
    ...(context.expiresAt === null ? {} : { expiresAt: context.expiresAt }),
    admin: context.admin,
    grants: JSON.stringify(context.grants),
    permissions: JSON.stringify(context.permissions),
    ...(context.meta === null ? {} : { meta: JSON.stringify(context.meta) }),
  };
}

const fromJsonString = <S extends z.ZodType>(schema: S) =>
  z.union([
    schema,
    z.string().transform((text, ctx) => {
      try {
        return schema.parse(JSON.parse(text)) as z.output<S>;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not the JSON keygate wrote' });
        return z.NEVER;
      }
    }),
  ]);

const scopeSchema = z.union([z.literal('*'), z.array(z.string())]);

const contextSchema = z.object({
  credential: z.enum(['key', 'token']),
  keyId: z.string(),
  owner: z.string(),
  expiresAt: z.string().nullable().default(null),
  admin: z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')]),
  grants: fromJsonString(z.object({ roles: z.array(roleGrantSchema), permissions: z.array(z.string()) })),
  permissions: fromJsonString(z.record(z.string(), scopeSchema)),
  meta: fromJsonString(z.record(z.string(), z.unknown())).nullable().default(null),
});

/** Any API Gateway proxy event: HTTP API (payload 2.0) or REST API. */
interface EventWithAuthorizer {
  requestContext?: object | null;
}

/**
 * For backends behind the keygate authorizer: the caller it let through, from an HTTP API
 * (payload 2.0) or REST API event. Throws when the event did not pass the keygate authorizer,
 * which means the route is not protected: a deployment error, never a caller's.
 */
export function keygateCaller(event: EventWithAuthorizer): CallerContext {
  const authorizer = (event.requestContext as { authorizer?: unknown } | null | undefined)?.authorizer;
  const raw = authorizer !== null && typeof authorizer === 'object' && 'lambda' in authorizer ? authorizer.lambda : authorizer;
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) throw new Error('this route is not behind the keygate authorizer: the request carries no keygate caller');
  return parsed.data;
}
