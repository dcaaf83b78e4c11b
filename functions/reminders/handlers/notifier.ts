import * as z from 'zod';
import { SLOT_PATTERN, type Slot } from '../../keys/key-notifications.js';
import type { Deps } from '../../runtime/deps.js';
import { notifierDeps } from '../../runtime/notifications.js';
import { type FireOutcome, fireNotification } from '../notifier.js';

/**
 * The notifier: what a notification's schedule invokes (asynchronously) with its input. An
 * input that does not parse, or an error before the claim, fails the invocation: Lambda retries
 * it, then sends it to the dead-letter queue.
 */
const fireSchema = z.strictObject({
  keyId: z.string().regex(/^[0-9A-Za-z]{22}$/),
  slot: z.string().regex(new RegExp(`^(${SLOT_PATTERN})$`)) as z.ZodType<Slot>,
  rev: z.string().min(1).max(64),
});

export async function notify(event: unknown, deps: Deps): Promise<FireOutcome> {
  return fireNotification(deps, fireSchema.parse(event));
}

export const handler = (event: unknown) => notify(event, notifierDeps());
