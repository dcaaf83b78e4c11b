import { Logger } from '@aws-lambda-powertools/logger';

/** keygate's one structured logger: secrets and key material never go into it. */
export const logger = new Logger({ serviceName: 'keygate' });
