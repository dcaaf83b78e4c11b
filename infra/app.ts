import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeygateStack } from './keygate-stack.js';

const app = new App();
new KeygateStack(app, 'Keygate');
// cdk-nag 3 runs as a validation plugin: an unacknowledged finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
