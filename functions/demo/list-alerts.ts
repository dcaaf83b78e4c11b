import { demoRoute } from './demo-handler.js';

/** GET /demo/alerts (alerts:read): fixed sample data, and who asked. */
export const route = demoRoute('ListDemoAlerts', () => ({
  alerts: [
    { id: 'alert-1', severity: 'high', title: 'Unusual sign-in from a new country', cloudAccount: 'acct-1' },
    { id: 'alert-2', severity: 'low', title: 'Storage bucket made public', cloudAccount: 'acct-2' },
  ],
}));

export const handler = route.handle;
