import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeygateDemoStack } from '../../infra/demo/demo-stack.js';
import { KeygateStack } from '../../infra/keygate-stack.js';
import { keygateReference } from '../../infra/protected-api.js';
import { testApp } from '../support/synth.js';

/**
 * cfn-lint (AWS's CloudFormation linter, the Python tool: `cfn-lint` on PATH, not npm's package of
 * that name) over every template the app synthesizes: the keygate stack and the demo stack. It
 * checks what cdk-nag does not: resource property schemas, ARN formats, IAM policy shapes.
 * Bundling is skipped: the templates are the subject.
 *
 * Ignored checks, each with its reason (nothing else is ignored):
 */
const IGNORED: Record<string, string> = {
  // CDK gives every function a DependsOn on its role AND the role's default policy, so the
  // function is not created before its permissions exist; the role half is also implied by
  // the GetAtt of the role's ARN, which is all W3005 says. The DependsOn is CDK's, not ours.
  W3005: "redundant DependsOn on a Lambda function's role, written by CDK next to the one on its policy",
};


function cfnLintVersion(): string | undefined {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

let outdir: string;
let templates: string[];
let version: string | undefined;

beforeAll(() => {
  version = cfnLintVersion();
  outdir = mkdtempSync(path.join(tmpdir(), 'keygate-cfn-lint-'));
  const app = testApp({ outdir });
  const keygate = new KeygateStack(app, 'Keygate');
  const demo = new KeygateDemoStack(app, 'KeygateDemo', { keygate: keygateReference(keygate) });
  const assembly = app.synth();
  templates = [keygate, demo].map((stack) => path.join(assembly.directory, assembly.getStackByName(stack.stackName).templateFile));
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('cfn-lint', () => {
  it('is installed (the Python tool; on Debian/Ubuntu: pip install cfn-lint)', () => {
    expect(version, 'cfn-lint is not on PATH: install the Python cfn-lint (pip install cfn-lint), not the npm package of that name').toMatch(/^cfn-lint \d+\./);
  });

  it('finds nothing in the keygate and demo templates', () => {
    if (version === undefined) throw new Error('cfn-lint is not on PATH: install the Python cfn-lint (pip install cfn-lint), not the npm package of that name');
    expect(templates).toHaveLength(2);
    let output = '';
    try {
      execFileSync('cfn-lint', ['--format', 'parseable', '--ignore-checks', ...Object.keys(IGNORED), '--', ...templates], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; status?: number };
      output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`.trim() || `cfn-lint exited with ${failed.status}`;
    }
    expect(output.split('\n').filter(Boolean)).toEqual([]);
  }, 120_000);
});
