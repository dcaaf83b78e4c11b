import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { leanReaderOf } from '../../functions/shared/dynamodb-lean.js';

/**
 * Client middleware for tests and the bench: counts the DynamoDB calls a client sends, by
 * operation, or changes what one operation answers. Middleware sits on the client, and test
 * clients are shared by the tests of a worker: take it off (`remove`) when the test ends.
 */

/** DynamoDB calls sent through a client, by operation (GetItem, UpdateItem, ...): one per send, the SDK's own retries aside. */
export interface CallCounter {
  count(operation: string): number;
  total(): number;
  writes(): number;
  /** Every call in the order sent, with its input (what the SDK was asked, before marshalling). */
  sent(): { operation: string; input: Record<string, unknown> }[];
  reset(): void;
  remove(): void;
}

/** The DynamoDB operations that write. */
export const WRITE_OPERATIONS: ReadonlySet<string> = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

let added = 0;

/**
 * `initialize` runs once per send, before marshalling: on a document client it sees the plain
 * JavaScript input and output. The key reads that go around the SDK (the client's lean reader,
 * functions/shared/dynamodb-lean.ts) get the same middleware, in the same shapes.
 */
function addInitializeMiddleware(
  client: DynamoDBDocumentClient,
  middleware: (operation: string, next: () => Promise<{ output: unknown }>, input: Record<string, unknown>) => Promise<{ output: unknown }>,
): () => void {
  const name = `keygateTestMiddleware${++added}`;
  client.middlewareStack.add(
    (next, context) => (args) =>
      middleware(String(context.commandName ?? 'unknown').replace(/Command$/, ''), () => next(args), args.input as Record<string, unknown>) as ReturnType<
        typeof next
      >,
    { step: 'initialize', name },
  );
  const removeLean = leanReaderOf(client).intercept(async (operation, input, next) => {
    const { output } = await middleware(operation, async () => ({ output: await next() }), input);
    return output as Record<string, unknown>;
  });
  return () => {
    client.middlewareStack.remove(name);
    removeLean();
  };
}

export function countCalls(client: DynamoDBDocumentClient): CallCounter {
  const counts = new Map<string, number>();
  const sent: { operation: string; input: Record<string, unknown> }[] = [];
  const remove = addInitializeMiddleware(client, (operation, next, input) => {
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    sent.push({ operation, input });
    return next();
  });
  const sum = (pick: (operation: string) => boolean) => [...counts].filter(([operation]) => pick(operation)).reduce((total, [, n]) => total + n, 0);
  return {
    count: (operation) => counts.get(operation) ?? 0,
    total: () => sum(() => true),
    writes: () => sum((operation) => WRITE_OPERATIONS.has(operation)),
    sent: () => [...sent],
    reset: () => {
      counts.clear();
      sent.length = 0;
    },
    remove,
  };
}

/** Lets `change` rewrite the output of every call of `operation` (BatchGetItem, ...) the client sends; returns what removes it. */
export function rewriteOutputs<T>(client: DynamoDBDocumentClient, operation: string, change: (output: T, call: number) => T): () => void {
  let calls = 0;
  return addInitializeMiddleware(client, async (sent, next) => {
    const result = await next();
    return sent === operation ? { ...result, output: change(result.output as T, ++calls) } : result;
  });
}
