import * as z from 'zod';
import { personSchema } from '../contract/response-parts.js';
import { roleGrantSchema } from '../permissions/grants.js';
import { lazySchema } from '../shared/on-first-use.js';

/** What GET /v1/me answers (functions/console/handlers/get-caller.ts), for its contract and the OpenAPI document. */
export const callerSchema = lazySchema(() =>
  z
    .strictObject({
      owner: z.string(),
      admin: z.boolean(),
      keyId: z.string().optional(),
      person: personSchema.unwrap().optional(),
      grants: z.strictObject({ roles: z.array(roleGrantSchema.unwrap()), permissions: z.array(z.string()) }),
      permissions: z.record(z.string(), z.union([z.literal('*'), z.array(z.string())])),
    })
    .meta({ id: 'Caller' }),
);
