import { lambdaHandler } from '../../runtime/lambda.js';
import { consoleRoute } from '../console-route.js';
import { getConsoleContract } from './serve-console-page.contract.js';

export const route = consoleRoute(getConsoleContract);

export const handler = lambdaHandler(route);
