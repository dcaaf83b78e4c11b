import * as z from 'zod';
import { lazySchema } from '../shared/on-first-use.js';

/**
 * GET /v1/keys/{id}/usage's query. Each field alone is checked here; what depends on the clock or on
 * both ends (defaults, from before to, the longest span) is checked by key-usage.ts readKeyUsage.
 */
export const keyUsageQuerySchema = lazySchema(() =>
  z.strictObject({
    from: z.iso.datetime({ offset: true, message: 'from must be an ISO 8601 date-time such as 2026-11-23T12:00:00Z' }).optional(),
    to: z.iso.datetime({ offset: true, message: 'to must be an ISO 8601 date-time such as 2026-11-23T13:00:00Z' }).optional(),
    granularity: z.enum(['minute', 'hour'], { message: 'granularity must be minute or hour' }).default('hour'),
  }),
);
export type KeyUsageQuery = z.infer<typeof keyUsageQuerySchema>;
