import { tablelessLambdaHandler } from '../../runtime/lambda-tableless.js';
import { consoleRoute } from '../console-route.js';
import { getConsoleContract } from './serve-console-page.contract.js';

export const route = consoleRoute(getConsoleContract);

export const handler = tablelessLambdaHandler(route);
