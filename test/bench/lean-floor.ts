import { Agent, request } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { localDynamoClientConfig } from '../../dev/dynamodb-local.js';

/**
 * The physical floor of a key read in Node: one consistent GetItem (and one BatchGetItem of the
 * given keys) signed once, at start, and the same bytes replayed over a keep-alive connection
 * for every read (DynamoDB Local does not refuse an old signature), the answer parsed as JSON.
 * No signing, marshalling, retries or timeouts per call: what any client must at least pay.
 */
export interface LeanFloor {
  /** True when the item was found. */
  getItem(): Promise<boolean>;
  /** True when every item was found. */
  batchGetItem(): Promise<boolean>;
  close(): void;
}

interface Presigned {
  headers: Record<string, string>;
  body: string;
}

export async function leanFloor(endpoint: string, tableName: string, keyIds: readonly string[]): Promise<LeanFloor> {
  const url = new URL(endpoint);
  const config = localDynamoClientConfig(endpoint);
  const sha256 = new DynamoDBClient(config).config.sha256;
  const signer = new SignatureV4({ credentials: config.credentials as { accessKeyId: string; secretAccessKey: string }, region: 'us-east-1', service: 'dynamodb', sha256 });
  const key = (id: string) => ({ pk: { S: `KEY#${id}` }, sk: { S: 'KEY' } });
  const presign = async (operation: string, input: unknown): Promise<Presigned> => {
    const body = JSON.stringify(input);
    const headers = { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}`, 'content-length': String(Buffer.byteLength(body)) };
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body });
    return { headers: signed.headers, body };
  };
  const [first] = keyIds;
  if (first === undefined) throw new Error('lean floor: no key to read');
  const get = await presign('GetItem', { TableName: tableName, Key: key(first), ConsistentRead: true });
  const batch = await presign('BatchGetItem', { RequestItems: { [tableName]: { Keys: keyIds.map(key), ConsistentRead: true } } });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const replay = (presigned: Presigned) =>
    new Promise<Record<string, unknown>>((done, fail) => {
      const req = request({ method: 'POST', hostname: url.hostname, port: url.port, path: '/', headers: presigned.headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          if (res.statusCode !== 200) fail(new Error(`lean floor: DynamoDB answered ${res.statusCode}`));
          else done(answer);
        });
      });
      req.on('error', fail);
      req.end(presigned.body);
    });
  return {
    getItem: async () => (await replay(get)).Item !== undefined,
    batchGetItem: async () => ((await replay(batch)).Responses as Record<string, unknown[]> | undefined)?.[tableName]?.length === keyIds.length,
    close: () => agent.destroy(),
  };
}
