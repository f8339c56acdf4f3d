// Every query of the Grafana dashboard is valid PromQL for Debian's Prometheus 2.42: promtool parses
// each one (as a recording rule, with Grafana's variables filled in as Grafana fills them). This runs
// even where the data plane cannot; prometheus.test.ts then evaluates the queries on real data.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { panelQueries, variables } from '../../../monitoring/dashboard.js';

const run = promisify(execFile);

const fill = (expr: string): string =>
  expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$namespace', 'studio|backstage')
    .replaceAll('$stream', '.*');

describe('dashboard queries are valid PromQL (promtool)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lso-dashboard-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('promtool parses every panel query', async () => {
    const queries = panelQueries();
    const file = path.join(dir, 'panels.rules.yaml');
    writeFileSync(
      file,
      YAML.stringify({
        groups: [
          {
            name: 'dashboard',
            rules: queries.map((q, i) => ({ record: `dashboard:panel_${i}`, expr: fill(q.expr) })),
          },
        ],
      }),
    );
    const result = await run('promtool', ['check', 'rules', file]).catch(
      (err: { stdout?: string; stderr?: string }) => ({
        stdout: err.stdout ?? '',
        stderr: err.stderr ?? String(err),
      }),
    );
    assert.match(
      result.stdout,
      new RegExp(`SUCCESS: ${queries.length} rules found`),
      result.stdout + result.stderr,
    );
  });

  it("the variables' label_values() name a selector promtool parses", async () => {
    const file = path.join(dir, 'variables.rules.yaml');
    const rules = variables.map((v, i) => {
      const m = /^label_values\((.+), (\w+)\)$/.exec(v.query);
      assert.ok(m, `${v.name}: ${v.query} is label_values(selector, label)`);
      return { record: `dashboard:variable_${i}`, expr: fill(m[1]!) };
    });
    writeFileSync(file, YAML.stringify({ groups: [{ name: 'variables', rules }] }));
    const { stdout } = await run('promtool', ['check', 'rules', file]);
    assert.match(stdout, /SUCCESS/);
  });
});
