import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeygateDemoStack } from './demo/demo-stack.js';
import { KeygateStack } from './keygate-stack.js';
import { keygateReference } from './protected-api.js';

const app = new App();
/** Deployment settings an operator gives: npx cdk deploy -c emailSender=keygate@example.org -c alarmEmail=ops@example.org */
const setting = (name: string): string | undefined => {
  const value = app.node.tryGetContext(name);
  return value === undefined || value === '' ? undefined : String(value);
};
const emailSender = setting('emailSender');
const alarmEmail = setting('alarmEmail');
const keygate = new KeygateStack(app, 'Keygate', {
  ...(emailSender === undefined ? {} : { emailSender }),
  ...(alarmEmail === undefined ? {} : { alarms: { email: alarmEmail } }),
});
// The demo API behind the keygate authorizer, only when asked for: npx cdk deploy -c demo=true KeygateDemo
if (String(app.node.tryGetContext('demo')) === 'true') {
  new KeygateDemoStack(app, 'KeygateDemo', { keygate: keygateReference(keygate) });
}
// cdk-nag 3 runs as a validation plugin: an unacknowledged finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
