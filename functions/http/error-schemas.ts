import * as z from 'zod';

/** The error bodies of the two route styles (see functions/contract/route-contract.ts). */
export const errorSchema = z
  .strictObject({ error: z.strictObject({ code: z.string(), message: z.string(), requestId: z.string() }) })
  .meta({ id: 'Error', description: 'Every error of the management API' });

export const oauthErrorSchema = z
  .strictObject({ error: z.string(), error_description: z.string(), request_id: z.string().optional() })
  .meta({ id: 'OAuthError', description: 'RFC 6749 §5.2 error' });
