import { lambdaHandler } from '../../http/route-handler.js';
import { consoleRoute } from '../console-route.js';

export const route = consoleRoute('GetConsoleAsset');

export const handler = lambdaHandler(route);
