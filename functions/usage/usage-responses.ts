import * as z from 'zod';
import { instant } from '../contract/response-parts.js';
import { lazySchema } from '../shared/on-first-use.js';

/** Usage counts as the usage route and the key details answer them (functions/usage/key-usage.ts); built on first use. */
const counts = () => ({
  allowed: z.number().int().meta({ description: 'Uses that were let through' }),
  rateLimited: z.number().int().meta({ description: 'Uses refused by one of the key\'s rate limits' }),
  refused: z.number().int().meta({
    description: 'Uses refused otherwise: wrong secret, expired, suspended, IP allowlist, quota, missing permission',
  }),
});

export const usageCountsSchema = lazySchema(() => z.strictObject(counts()).meta({ id: 'UsageCounts' }));

export const usageBucketSchema = lazySchema(() =>
  z
    .strictObject({ start: instant.unwrap().meta({ description: 'The minute or hour the counts are for (its start)' }), ...counts() })
    .meta({ id: 'UsageBucket' }),
);

export const keyUsageSchema = lazySchema(() =>
  z
    .strictObject({
      keyId: z.string(),
      granularity: z.enum(['minute', 'hour']),
      from: instant.unwrap(),
      to: instant.unwrap(),
      buckets: z.array(usageBucketSchema.unwrap()).meta({
        description: 'Buckets whose start lies in [from, to) and that hold any use, oldest first (sparse: a bucket without uses is left out)',
      }),
      total: usageCountsSchema.unwrap(),
    })
    .meta({ id: 'KeyUsage' }),
);

export const usage24hSchema = lazySchema(() =>
  z
    .strictObject({ since: instant.unwrap().meta({ description: 'The start of the first hour counted: the current hour and the 23 before it' }), ...counts() })
    .meta({
      id: 'KeyUsage24h',
      description: 'Uses of the key in the last 24 hours (hour buckets). Counts reach the table in batches: the last few seconds may not show yet',
    }),
);
