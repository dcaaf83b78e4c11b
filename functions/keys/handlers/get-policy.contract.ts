import * as z from 'zod';
import { defineContract } from '../../contract/route-contract.js';
import { authentication } from '../../contract/table-access.js';

const duration = (description: string) => z.string().meta({ description: `ISO 8601 duration: ${description}` });

export const policySchema = z
  .strictObject({
    maxLifetime: duration('the latest a key may expire, from when it is created ("Max Key Lifespan")'),
    defaultLifetime: duration('the expiry of a key created without one'),
    minLifetime: duration('the earliest a key may expire, from now'),
    notAccessedPeriod: duration('a key not used for this long expires ("Not Accessed Expiration")'),
    requireExpiry: z.boolean().meta({ description: 'false: a key may be created without a fixed expiry (expiresAt: null)' }),
    expiryPresets: z.array(z.string()).meta({ description: 'Expiry choices for clients to offer, as ISO 8601 durations' }),
    retention: duration('how long an ended (expired or deleted) key stays listed'),
    maxResetGracePeriod: duration('the longest an old secret keeps working after a reset'),
    maxRotationOverlap: duration('the longest a rotated key keeps working beside its successor'),
    metadata: z.strictObject({
      metaMaxBytes: z.number().int().meta({ description: 'The largest `meta` of a key, serialized as JSON (UTF-8 bytes)' }),
      metaMaxDepth: z.number().int().meta({ description: 'How deep `meta` may nest objects and arrays' }),
      maxTags: z.number().int().meta({ description: 'The most tags a key may carry' }),
    }),
  })
  .meta({ id: 'Policy' });

export const getPolicyContract = defineContract({
  id: 'GetPolicy',
  method: 'GET',
  path: '/v1/policy',
  entry: 'functions/keys/handlers/get-policy.ts',
  permission: 'authenticated',
  tableAccess: authentication,
  summary: 'The key policy: lifetimes, inactivity expiry, presets, grace and overlap limits',
  responses: { 200: { description: 'The bounds every create, edit, reset and rotation is held to', schema: policySchema } },
});
