import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../../functions/runtime/deps.js';

/** A tiny HTTP client for the local gateway, as curl would be. */
export function apiClient(baseUrl: string) {
  return async function call(
    method: string,
    path: string,
    options: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(baseUrl + path, { method, headers, body });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: test responses are asserted field by field
    const json: any = text === '' ? undefined : JSON.parse(text);
    return { status: response.status, headers: response.headers, json };
  };
}

/** Every item in the test's table, for assertions on what was stored. */
export async function storedItems(deps: Deps): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(new ScanCommand({ TableName: deps.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
