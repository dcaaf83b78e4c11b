import { gunzipSync, gzipSync } from 'node:zlib';
import type { openApiDocument } from './document.js';

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

/**
 * The OpenAPI document as the synth compiles it into GetOpenApi's bundle (infra/api.ts): its JSON,
 * gzip-compressed, base64. Built there, the function neither loads zod-openapi and every route's
 * schemas nor converts them on its first request (some 55 ms of CPU here). Compressed because
 * esbuild's `define` travels on one shell command line, which Linux caps at 128 KB per argument:
 * the JSON is some 140 KB, compressed about a tenth.
 */
export function packOpenApiDocument(document: OpenApiDocument): string {
  return gzipSync(JSON.stringify(document), { level: 9 }).toString('base64');
}

/** The document packOpenApiDocument packed: JSON, so it serializes to the very bytes it was built as. */
export function unpackOpenApiDocument(packed: string): OpenApiDocument {
  return JSON.parse(gunzipSync(Buffer.from(packed, 'base64')).toString('utf8')) as OpenApiDocument;
}
