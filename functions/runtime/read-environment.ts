import type * as z from 'zod';

/**
 * The one place that reads process.env. Each Lambda function's entry asks functions/runtime/ for
 * its dependencies; the variables it needs (set by the CDK stack, never by hand) are validated
 * once per cold start with a schema, and a missing or malformed one fails loudly: no defaults.
 */
export function readEnvironment<S extends z.ZodType>(
  schema: S,
  misconfigured = 'keygate is misconfigured',
  /** Values compiled into the bundle (the authorizer's route rules); they take the variable's place. */
  bundled: Record<string, string> = {},
): z.output<S> {
  const env = schema.safeParse({ ...process.env, ...bundled });
  if (!env.success) throw new Error(`${misconfigured}: ${env.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return env.data;
}
