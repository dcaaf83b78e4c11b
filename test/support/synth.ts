import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { projectRoot } from '../../infra/api.js';
import { KeygateStack, type KeygateStackProps } from '../../infra/keygate-stack.js';

/** The project's CDK context (cdk.json), as `cdk synth` applies it. */
export const cdkContext = JSON.parse(readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8')).context as Record<string, unknown>;

export interface TestAppOptions {
  /** The stacks whose functions are bundled (esbuild, seconds per function); none by default. */
  bundle?: string[];
  /** Context on top of cdk.json's. */
  context?: Record<string, unknown>;
  outdir?: string;
}

/** A CDK app with the project's context, bundling only the stacks named. */
export function testApp({ bundle = [], context = {}, outdir }: TestAppOptions = {}): App {
  return new App({ ...(outdir === undefined ? {} : { outdir }), context: { ...cdkContext, 'aws:cdk:bundling-stacks': bundle, ...context } });
}

/** One resource of a synthesized template. */
// biome-ignore lint/suspicious/noExplicitAny: template JSON is asserted field by field
export type TemplateResource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: string[] };

export interface SynthesizedKeygate {
  app: App;
  stack: KeygateStack;
  template: Template;
  resources: Record<string, TemplateResource>;
  /** The logical id of a construct's CloudFormation resource (a construct's `node.defaultChild`). */
  logicalId(element: unknown): string;
}

/** The keygate stack synthesized with the project's context (functions not bundled unless `options.bundle` says so). */
export function synthKeygate(props: KeygateStackProps = {}, options: TestAppOptions = {}): SynthesizedKeygate {
  const app = testApp(options);
  const stack = new KeygateStack(app, 'Keygate', props);
  const template = Template.fromStack(stack);
  return {
    app,
    stack,
    template,
    resources: template.toJSON().Resources as Record<string, TemplateResource>,
    logicalId: (element) => stack.getLogicalId(element as CfnElement),
  };
}
