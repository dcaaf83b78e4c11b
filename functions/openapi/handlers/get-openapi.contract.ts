import * as z from 'zod';
import { defineContract } from '../../contract/route-contract.js';

/** The document itself, described loosely: its own schema is OpenAPI's. */
export const openApiDocumentSchema = z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({}), paths: z.looseObject({}) });


export const getOpenApiContract = defineContract({
  id: 'GetOpenApi',
  method: 'GET',
  path: '/openapi.json',
  entry: 'functions/openapi/handlers/get-openapi.ts',
  permission: 'public',
  tableAccess: [],
  summary: 'OpenAPI 3.1 description of every route, generated from the schemas that validate them',
  style: 'oauth',
  responses: { 200: { description: 'This document', schema: openApiDocumentSchema } },
});
