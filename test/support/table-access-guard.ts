import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { leanReaderOf } from '../../functions/shared/dynamodb-lean.js';
import type { GatewayRoute } from '../../dev/gateway.js';
import { functionTableAccess, type TableAccess, type TableAction, type TableGrant } from '../../functions/contract/table-access.js';
import { tableSchema } from '../../functions/contract/table-schema.js';
import type { RouteContract } from '../../functions/contract/route-contract.js';

/**
 * IAM's view of keygate's table, played on the test client: while a function runs inside
 * `withTableAccess(access, ...)` (the gateway of the tests runs each route in its contract's
 * `tableAccess`), every DynamoDB call it sends must be allowed by a grant of `access`, evaluated
 * as IAM evaluates the statements infra/table-grants.ts makes of it: the action (a transaction
 * item by item), the table or the queried index, every leading key against the grant's
 * `StringLike` patterns, and the attributes the request names against the grant's list. A call
 * no grant allows fails with AccessDeniedException, as on AWS, so the route answers 500 and the
 * test that drove it fails. Calls outside any scope (a test's own setup) are not checked.
 */
const scope = new AsyncLocalStorage<{ who: string; access: TableAccess }>();

export function withTableAccess<T>(who: string, access: TableAccess, run: () => T): T {
  return scope.run({ who, access }, run);
}

/** Runs `run` as no keygate function: a test's own writes in the middle of a request (a concurrent writer). */
export function unguarded<T>(run: () => T): T {
  return scope.exit(run);
}

export class AccessDeniedError extends Error {
  override name = 'AccessDeniedException';
}

/** Undefined when allowed; else why not. */
export function deniedCall(access: TableAccess, operation: string, input: Record<string, unknown>): string | undefined {
  const requests = authorizationRequests(operation, input);
  if (requests === undefined) return `${operation} is granted to no keygate function`;
  for (const request of requests) {
    if (!access.some((grant) => allows(grant, request))) {
      const attributes = request.attributes === undefined ? '' : ` naming ${request.attributes.join(', ')}`;
      const where = request.index === undefined ? 'the table' : `index ${request.index}`;
      return `${request.action} on ${where}, partitions ${request.leadingKeys.join(', ')}${attributes}`;
    }
  }
  return undefined;
}

interface AuthorizationRequest {
  action: TableAction;
  index?: string;
  leadingKeys: string[];
  /** Top-level attributes the request names; undefined where no grant restricts them (puts, reads). */
  attributes?: string[];
}

function allows(grant: TableGrant, request: AuthorizationRequest): boolean {
  if (!grant.actions.includes(request.action) || grant.index !== request.index) return false;
  if (!request.leadingKeys.every((key) => grant.partitions.some((pattern) => stringLike(pattern, key)))) return false;
  if (grant.attributes === undefined) return true;
  return (request.attributes ?? ['<every attribute>']).every((name) => grant.attributes?.includes(name));
}

/** IAM's StringLike: `*` any run of characters, `?` one character, the rest literal. */
function stringLike(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

type Input = Record<string, unknown> & {
  Key?: Record<string, unknown>;
  Item?: Record<string, unknown>;
  IndexName?: string;
  UpdateExpression?: string;
  ConditionExpression?: string;
  KeyConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
};

const PK = tableSchema.partitionKey;

/** The document client's command names and the service's operation names, to one set. */
const OPERATIONS: Record<string, string> = {
  GetItem: 'Get',
  BatchGetItem: 'BatchGet',
  PutItem: 'Put',
  UpdateItem: 'Update',
  DeleteItem: 'Delete',
  TransactWriteItems: 'TransactWrite',
};

function authorizationRequests(operation: string, input: Record<string, unknown>): AuthorizationRequest[] | undefined {
  const item = input as Input;
  switch (OPERATIONS[operation] ?? operation) {
    case 'Get':
      return [{ action: 'GetItem', leadingKeys: [String(item.Key?.[PK])] }];
    case 'BatchGet': {
      const requestItems = Object.values((input.RequestItems ?? {}) as Record<string, { Keys: Record<string, unknown>[] }>);
      return [{ action: 'BatchGetItem', leadingKeys: requestItems.flatMap((r) => r.Keys.map((k) => String(k[PK]))) }];
    }
    case 'Query':
      return [{ action: 'Query', ...(item.IndexName === undefined ? {} : { index: item.IndexName }), leadingKeys: [queriedPartition(item)] }];
    case 'Put':
      return [{ action: 'PutItem', leadingKeys: [String(item.Item?.[PK])] }];
    case 'Update':
      return [{ action: 'UpdateItem', leadingKeys: [String(item.Key?.[PK])], attributes: namedAttributes(item) }];
    case 'Delete':
      return [{ action: 'DeleteItem', leadingKeys: [String(item.Key?.[PK])], attributes: namedAttributes(item) }];
    case 'TransactWrite': {
      const requests: AuthorizationRequest[] = [];
      for (const part of (input.TransactItems ?? []) as Record<string, Input>[]) {
        if (part.Put) requests.push(...(authorizationRequests('Put', part.Put) ?? []));
        else if (part.Update) requests.push(...(authorizationRequests('Update', part.Update) ?? []));
        else if (part.Delete) requests.push(...(authorizationRequests('Delete', part.Delete) ?? []));
        else return undefined; // ConditionCheck: granted to nobody
      }
      return requests;
    }
    default:
      return undefined; // Scan, BatchWrite, TransactGet, PartiQL: granted to nobody
  }
}

/** The partition value of a Query's key condition (`<partition key> = :value`), on the table or the index. */
function queriedPartition(input: Input): string {
  const index = tableSchema.indexes.find((i) => i.name === input.IndexName);
  const attribute = index?.partitionKey ?? PK;
  for (const match of (input.KeyConditionExpression ?? '').matchAll(/(#?\w+)\s*=\s*(:\w+)/g)) {
    const [, name = '', value = ''] = match;
    if ((input.ExpressionAttributeNames?.[name] ?? name) === attribute) return String(input.ExpressionAttributeValues?.[value]);
  }
  return '<no partition>';
}

const EXPRESSION_WORDS = new Set(
  ['set', 'add', 'remove', 'delete', 'and', 'or', 'not', 'between', 'in'].concat(
    ['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains', 'size', 'if_not_exists', 'list_append'],
  ),
);

/** The key's attributes and every top-level attribute the update and condition expressions name. */
function namedAttributes(input: Input): string[] {
  const names = new Set(Object.keys(input.Key ?? {}));
  for (const expression of [input.UpdateExpression, input.ConditionExpression]) {
    if (expression === undefined) continue;
    // A path's first element only: `#n[0].firedAt` names #n; a value (`:x`) names nothing.
    for (const match of expression.matchAll(/(^|[^.:#\w])(#?[A-Za-z_]\w*)/g)) {
      const token = match[2] ?? '';
      if (EXPRESSION_WORDS.has(token.toLowerCase())) continue;
      names.add(token.startsWith('#') ? (input.ExpressionAttributeNames?.[token] ?? token) : token);
    }
  }
  return [...names].sort();
}

const guarded = new WeakSet<DynamoDBDocumentClient>();

/** Checks every call sent through `client` inside a scope (once per client). */
export function guardTableAccess(client: DynamoDBDocumentClient): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const current = scope.getStore();
      if (current !== undefined) {
        const operation = String(context.commandName ?? '').replace(/Command$/, '');
        const denied = deniedCall(current.access, operation, args.input as Record<string, unknown>);
        if (denied !== undefined) {
          const message = `${current.who} is not granted ${denied} (functions/contract/table-access.ts)`;
          console.error(`table access guard: ${message}`);
          throw new AccessDeniedError(message);
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'keygateTableAccessGuard' },
  );
  // The lean client (key reads, limit counters) is held to the same grants.
  leanReaderOf(client).intercept(async (operation, input, next) => {
    const current = scope.getStore();
    const denied = current === undefined ? undefined : deniedCall(current.access, operation, input);
    if (current !== undefined && denied !== undefined) {
      const message = `${current.who} is not granted ${denied} (functions/contract/table-access.ts)`;
      console.error(`table access guard: ${message}`);
      throw new AccessDeniedError(message);
    }
    return next();
  });
}

/**
 * What the function behind a gateway request is granted: the matched route's contract (a route of
 * another API behind the keygate authorizer also runs the authorizer's grants). Undefined for a
 * request no route matches (the gateway answers it without running anything).
 */
export function requestAccess(routeTable: readonly GatewayRoute[], req: IncomingMessage): { who: string; access: TableAccess } | undefined {
  const path = new URL(req.url ?? '/', 'http://gateway').pathname;
  let match: { route: GatewayRoute; params: number } | undefined;
  for (const route of routeTable) {
    if (route.method !== req.method) continue;
    const pattern = new RegExp(`^${route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`);
    const params = (route.path.match(/\{\w+\}/g) ?? []).length;
    if (pattern.test(path) && (match === undefined || params < match.params)) match = { route, params };
  }
  if (match === undefined) return undefined;
  const own = (match.route as Partial<RouteContract>).tableAccess ?? [];
  const access = match.route.authorizer === undefined ? own : [...functionTableAccess.authorizer, ...own];
  return { who: match.route.id, access };
}
