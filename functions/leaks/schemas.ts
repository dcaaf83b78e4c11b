import * as z from 'zod';
import { lazySchema } from '../shared/on-first-use.js';

/**
 * GitHub's secret scanning report (the partner program): a JSON array of matches, each the
 * string found (`token`), the secret type keygate registered (`type`), where it was found
 * (`url`, may be empty) and what kind of place that is (`source`: content, commit,
 * issue_comment, ...). Unknown fields are kept out, not refused: GitHub may add some.
 */
export const MAX_LEAK_MATCHES = 1000;

export const leakMatchSchema = lazySchema(() =>
  z
    .object({
      token: z.string().min(1).max(8192),
      type: z.string().max(256),
      url: z.string().max(4096).optional(),
      source: z.string().max(256).optional(),
    })
    .meta({ id: 'LeakMatch' }),
);

export const leakReportSchema = lazySchema(() => z.array(leakMatchSchema.unwrap()).min(1).max(MAX_LEAK_MATCHES).meta({ id: 'LeakReport' }));

export type LeakMatch = z.infer<typeof leakMatchSchema>;

/**
 * The answer GitHub reads back, one entry per match: whether the string is a real credential.
 * keygate answers with the token's SHA-256 (`token_hash`, which GitHub accepts in place of
 * `token_raw`), so no response carries a key string, not even back to GitHub.
 */
export const leakLabelSchema = lazySchema(() =>
  z
    .object({
      token_hash: z.string().regex(/^[0-9a-f]{64}$/),
      token_type: z.string(),
      label: z.enum(['true_positive', 'false_positive']),
    })
    .meta({ id: 'LeakLabel' }),
);

export const leakLabelsSchema = lazySchema(() => z.array(leakLabelSchema.unwrap()));

export type LeakLabel = z.infer<typeof leakLabelSchema>;
