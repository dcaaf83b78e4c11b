import type { TestProject } from 'vitest/node';
import { JavaMissingError, startDynamoDbLocal } from '../../dev/dynamodb-local.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** The one in-memory DynamoDB Local of this test run. */
    dynamoDbEndpoint: string;
  }
}

/** Starts one in-memory DynamoDB Local for the whole run; tests isolate by table (freshDeps). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const dynamoDb = await startDynamoDbLocal();
    project.provide('dynamoDbEndpoint', dynamoDb.endpoint);
    return () => dynamoDb.stop();
  } catch (error) {
    if (!(error instanceof JavaMissingError)) throw error;
    // The sentence is the whole diagnosis: no stack trace under it.
    console.error(error.message);
    process.exit(1);
  }
}
