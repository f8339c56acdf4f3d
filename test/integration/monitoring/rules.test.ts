// The alerts with Debian's promtool: the rule file and the chart's rendered PrometheusRule pass
// `promtool check rules`, every alert has unit tests in rules.test.yaml (`promtool test rules`), and
// every alert is documented and can be switched off by name.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { chartDir, repoRoot } from '../../../tools/chart/generate.js';
import { find, render } from '../../../tools/chart/helm.js';
import { schemaAt } from '../../../tools/chart/schema.js';

const run = promisify(execFile);
const rulesFile = path.join(chartDir, 'files/prometheus/livestream-operator.rules.yaml');
const testsFile = path.join(import.meta.dirname, 'rules.test.yaml');

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string; labels?: Record<string, string> }[];
}

async function promtool(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { maxBuffer: 16 << 20 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error('promtool is not installed (Debian package prometheus: tools/setup.sh)');
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const groups = (YAML.parse(readFileSync(rulesFile, 'utf8')) as { groups: RuleGroup[] }).groups;
const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert).filter((a): a is string => !!a));

describe('alerting rules (promtool)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lso-rules-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('promtool check rules accepts the rule file (names, expressions, templates)', async () => {
    const { code, output } = await promtool(['check', 'rules', rulesFile]);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${alerts.length} rules found`));
  });

  it('promtool test rules: every unit test passes', async () => {
    const { code, output } = await promtool(['test', 'rules', testsFile]);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS/);
  });

  it('every alert has a unit test that expects it to fire, and one that expects silence', () => {
    const tests = (
      YAML.parse(readFileSync(testsFile, 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const mine = tests.filter((t) => t.alertname === alert);
      assert.ok(
        mine.some((t) => t.exp_alerts.length > 0),
        `${alert}: no test expects it to fire`,
      );
      assert.ok(
        mine.some((t) => t.exp_alerts.length === 0) || alert === 'LiveStreamTranscoderRestarting',
        `${alert}: no test expects it to stay silent`,
      );
    }
  });

  it('the chart renders the same groups into its PrometheusRule, and promtool accepts what it renders', async () => {
    const objects = await render({ set: ['monitoring.prometheusRule.enabled=true'] });
    const [rule] = find(objects, 'PrometheusRule');
    assert.ok(rule, 'PrometheusRule rendered');
    const rendered = (rule.spec as { groups: RuleGroup[] }).groups;
    assert.deepEqual(rendered, groups);
    const file = path.join(tmp, 'rendered.rules.yaml');
    writeFileSync(file, YAML.stringify({ groups: rendered }));
    const { code, output } = await promtool(['check', 'rules', file]);
    assert.equal(code, 0, output);
  });

  it('disabledAlerts, additionalAlertLabels and extraGroups change the rendered rules as documented', async () => {
    const objects = await render({ valuesFile: path.join(chartDir, 'ci/monitoring-values.yaml') });
    const rendered = (find(objects, 'PrometheusRule')[0]!.spec as { groups: RuleGroup[] }).groups;
    const names = rendered.flatMap((g) => g.rules.map((r) => r.alert));
    assert.ok(!names.includes('LiveStreamOnCPUFallback'));
    assert.ok(names.includes('LiveStreamIngestBitrateLow'));
    for (const r of rendered
      .flatMap((g) => g.rules)
      .filter((r) => r.alert !== 'LiveStreamIngestBitrateLow')) {
      assert.equal(r.labels?.team, 'video', `${r.alert} has team=video`);
      assert.ok(r.labels?.severity, `${r.alert} keeps its own severity`);
    }
    const file = path.join(tmp, 'ci.rules.yaml');
    writeFileSync(file, YAML.stringify({ groups: rendered }));
    const { code, output } = await promtool(['check', 'rules', file]);
    assert.equal(code, 0, output);
  });

  it('every alert is documented in docs/monitoring.md and can be named in disabledAlerts', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/monitoring.md'), 'utf8');
    const schemaAlerts = [
      ...(schemaAt('monitoring.prometheusRule.disabledAlerts').items as { enum: string[] }).enum,
    ];
    assert.deepEqual(schemaAlerts.sort(), alerts.slice().sort());
    for (const alert of alerts) {
      assert.match(doc, new RegExp(`^### ${alert}$`, 'm'), `docs/monitoring.md has a section for ${alert}`);
    }
  });
});
