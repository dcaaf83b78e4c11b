import { defineContract } from '../../contract/route-contract.js';
import { callerSchema } from '../console-responses.js';
import { authentication } from '../../contract/table-access.js';

export const getCallerContract = defineContract({
  id: 'GetCaller',
  method: 'GET',
  path: '/v1/me',
  entry: 'functions/console/handlers/get-caller.ts',
  permission: 'authenticated',
  tableAccess: authentication,
  summary: 'Who the caller is: owner, admin or not, the signed-in person, and the grants held (the console builds its forms from it)',
  responses: { 200: { description: 'The caller: owner, admin, the signed-in person, grants held', schema: callerSchema } },
});
