import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { json } from '../functions/http/respond.js';
import type { Deps } from '../functions/runtime/deps.js';
import { functionTableAccess } from '../functions/contract/table-access.js';
import type { GatewayRoute } from './gateway.js';
import { LocalSchedules } from './local-notifications.js';

/**
 * Local run only: `DELETE /dev/schedules/{name}` deletes a notification's schedule from the local
 * stand-in for EventBridge Scheduler the way someone deletes it in the AWS console, so the
 * cancellation that follows (functions/reminders/schedule-deletions.ts) can be tried and tested
 * end to end. Like DynamoDB Local itself, it asks for no credential: the local gateway listens
 * on 127.0.0.1 only. Not in the route table: never deployed.
 */
export const route = {
  id: 'DevDeleteSchedule',
  async handle(event: APIGatewayProxyEventV2, deps: Deps): Promise<APIGatewayProxyStructuredResultV2> {
    const schedules = deps.notifications?.schedules;
    const name = event.pathParameters?.name ?? '';
    if (!(schedules instanceof LocalSchedules)) return json(404, { message: 'no local schedules in this run' });
    const outcome = await schedules.deleteOutsideKeygate(deps, name);
    return outcome === undefined ? json(404, { message: `no schedule named ${name}` }) : json(200, { deleted: name, ...outcome });
  },
};

export function localScheduleRoutes(): GatewayRoute[] {
  return [
    {
      id: route.id,
      method: 'DELETE',
      path: '/dev/schedules/{name}',
      entry: 'dev/local-schedule-route.ts',
      // What the two parts it plays touch: the Scheduler stand-in's schedule items (on AWS, EventBridge
      // Scheduler's own store), and the watch function that CloudTrail's DeleteSchedule event invokes.
      tableAccess: [{ actions: ['GetItem', 'DeleteItem'], partitions: ['LOCALSCHEDULE#*'] }, ...functionTableAccess.scheduleWatch],
    },
  ];
}
