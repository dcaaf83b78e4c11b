import * as z from 'zod';
import { actor, instant, page } from '../contract/response-parts.js';
import { lazySchema, onFirstUse } from '../shared/on-first-use.js';

/**
 * What these routes answer, as zod schemas, for their contracts and the OpenAPI document. Each
 * mirrors a domain function's output. Objects are strict, so test/integration/openapi.test.ts,
 * which validates real responses against the document, fails as soon as a response gains, loses
 * or changes a field that is not described here.
 */
/** Built on first use, as every schema here (lazySchema): each channel route's bundle imports them all. */
const channelBase = onFirstUse(() => ({
  id: z.string(),
  name: z.string(),
  owner: z.string().nullable().meta({ description: 'Whose channel; null for channels made before channels had owners (admin channels)' }),
  adminChannel: z.boolean().meta({
    description: "Created by an admin for its own owner: admins may send any owner's key notifications to it; only admins delete it",
  }),
  createdAt: instant.unwrap(),
  createdBy: actor.unwrap(),
}));
export const channelSchema = lazySchema(() =>
  z
    .discriminatedUnion('type', [
      z.strictObject({ ...channelBase(), type: z.literal('email'), addresses: z.array(z.string()) }),
      z.strictObject({ ...channelBase(), type: z.literal('webhook'), url: z.string() }),
      z.strictObject({ ...channelBase(), type: z.literal('operator') }),
    ])
    .meta({ id: 'Channel' }),
);

export const createdChannelSchema = lazySchema(() =>
  z.discriminatedUnion('type', [
    z.strictObject({ ...channelBase(), type: z.literal('email'), addresses: z.array(z.string()) }),
    z.strictObject({
      ...channelBase(),
      type: z.literal('webhook'),
      url: z.string(),
      signingSecret: z.string().meta({ description: 'Standard Webhooks signing secret: shown in this response only' }),
    }),
    z.strictObject({ ...channelBase(), type: z.literal('operator') }),
  ]),
);

export const channelPageSchema = lazySchema(() => page(channelSchema.unwrap()));

export const operatorMessageSchema = lazySchema(() =>
  z
    .strictObject({
      id: z.string(),
      channelId: z.string(),
      channelName: z.string(),
      keyId: z.string(),
      owner: z.string().nullable().meta({ description: "The key's owner; null for messages stored before messages had owners (admins only)" }),
      subject: z.string(),
      text: z.string(),
      createdAt: instant.unwrap(),
      acknowledgedAt: instant.unwrap().nullable(),
      acknowledgedBy: actor.unwrap().nullable(),
    })
    .meta({ id: 'OperatorMessage' }),
);

export const operatorMessagePageSchema = lazySchema(() => page(operatorMessageSchema.unwrap()));
