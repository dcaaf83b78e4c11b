/** The keygate API on this origin, called with the signed-in person's ID token. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function apiWith(token: () => string, onUnauthenticated: (message: string) => void): Api {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status === 204) return undefined as T;
    const json = (await response.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
    if (!response.ok) {
      const error = new ApiError(response.status, json?.error?.code ?? 'error', json?.error?.message ?? `keygate answered ${response.status}`);
      if (response.status === 401) onUnauthenticated(error.message);
      throw error;
    }
    return json as T;
  };
}

/** Which field of a form an API error is about, to show it next to that field. */
export function fieldOfError(error: unknown): string {
  if (!(error instanceof ApiError)) return 'form';
  if (error.code === 'name_taken') return 'name';
  const text = error.message.toLowerCase();
  if (/^body (name|description|owner|notification)\b/.test(text)) return /^body (\w+)/.exec(text)?.[1] ?? 'form';
  if (/expir/.test(text)) return 'expiry';
  if (/notification|channel/.test(text)) return 'notification';
  if (/grant|permission|role|scope/.test(text)) return 'grants';
  if (/owner/.test(text)) return 'owner';
  return 'form';
}
