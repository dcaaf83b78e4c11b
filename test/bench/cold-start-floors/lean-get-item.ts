import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import aws4 from 'aws4';

/**
 * The lean floor of a cold start: the same one consistent GetItem as sdk-get-item.ts, signed by
 * aws4 and sent over a keep-alive connection with node:http, as keygate's lean reader sends it
 * (functions/shared/dynamodb-lean.ts), but with nothing else: no SDK, no retries, no timeouts.
 * What any Node function that reads a key must at least pay to start. Credentials and region from
 * Lambda's environment; DYNAMODB_ENDPOINT, when set, the endpoint.
 */
const endpoint = new URL(process.env.DYNAMODB_ENDPOINT ?? `https://dynamodb.${process.env.AWS_REGION}.amazonaws.com`);
const https = endpoint.protocol === 'https:';
const agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });

export async function handler(): Promise<{ statusCode: number }> {
  const body = JSON.stringify({ TableName: process.env.FLOOR_TABLE, Key: { pk: { S: `KEY#${process.env.FLOOR_KEY_ID}` }, sk: { S: 'KEY' } }, ConsistentRead: true });
  const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' };
  const signed = aws4.sign(
    { host: endpoint.host, path: '/', method: 'POST', service: 'dynamodb', region: process.env.AWS_REGION, headers, body },
    { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY, sessionToken: process.env.AWS_SESSION_TOKEN },
  );
  const answer = await new Promise<{ status: number; text: string }>((done, fail) => {
    const req = (https ? httpsRequest : httpRequest)(
      { method: 'POST', hostname: endpoint.hostname, port: endpoint.port, path: '/', headers: signed.headers as Record<string, string>, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
  if (answer.status !== 200) throw new Error(`DynamoDB answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  return { statusCode: (JSON.parse(answer.text) as { Item?: unknown }).Item === undefined ? 404 : 200 };
}
