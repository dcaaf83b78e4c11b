import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeygateDemoStack } from './demo/demo-stack.js';
import { KeygateStack } from './keygate-stack.js';
import { keygateReference } from './protected-api.js';
import { keygateSettings } from './settings.js';

const app = new App();
// Deployment settings an operator gives as context (-c emailSender=..., -c alarmEmail=..., throttles): infra/settings.ts.
const keygate = new KeygateStack(app, 'Keygate', keygateSettings(app));
// The demo API behind the keygate authorizer, only when asked for: npx cdk deploy -c demo=true KeygateDemo
if (String(app.node.tryGetContext('demo')) === 'true') {
  new KeygateDemoStack(app, 'KeygateDemo', { keygate: keygateReference(keygate) });
}
// cdk-nag 3 runs as a validation plugin: an unacknowledged finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
