import * as z from 'zod';
import { lazySchema } from './on-first-use.js';

/**
 * The paging parameters every listing takes. Query integers are decimal digits only: a number
 * coercion would also read `0x10`, `1e1`, ` 5` or `0b11`, so one value would have several
 * spellings (a cache key, a log line and a WAF rule would disagree on what was asked).
 */
export const limitQuerySchema = lazySchema(() =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, 'limit must be a whole number in decimal digits, from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'limit must be at least 1').max(100, 'limit must be at most 100'))
    .default(25),
);

export const pageQuerySchema = lazySchema(() =>
  z.strictObject({
    limit: limitQuerySchema.unwrap(),
    cursor: z.string().min(1).max(2048).optional(),
  }),
);
