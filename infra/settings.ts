import type { App } from 'aws-cdk-lib';
import { throttlesFromSettings } from '../functions/contract/throttles.js';
import type { KeygateStackProps } from './keygate-stack.js';

/**
 * The deployment settings an operator gives as CDK context (README, "Deploying to AWS"):
 * `npx cdk deploy -c emailSender=keygate@example.org -c alarmEmail=ops@example.org
 * -c integrationRateLimit=2000 -c integrationBurstLimit=4000` (also managementRateLimit and
 * managementBurstLimit). An empty value counts as not given; a malformed throttle stops the synth.
 */
export function keygateSettings(app: App): KeygateStackProps {
  const setting = (name: string): string | undefined => {
    const value = app.node.tryGetContext(name);
    return value === undefined || value === '' ? undefined : String(value);
  };
  const emailSender = setting('emailSender');
  const alarmEmail = setting('alarmEmail');
  return {
    throttles: throttlesFromSettings(setting),
    ...(emailSender === undefined ? {} : { emailSender }),
    ...(alarmEmail === undefined ? {} : { alarms: { email: alarmEmail } }),
  };
}
