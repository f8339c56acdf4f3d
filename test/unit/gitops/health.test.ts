// The Argo CD health checks of LiveStream and TranscodeProfile: every case of their health_test.yaml
// (Argo CD's own format), run by a real Lua 5.1 with Argo CD's libraries; the sandbox itself; and the
// copies of the scripts in argocd-cm.yaml, the argo-cd chart values and docs/gitops.md.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, after } from 'node:test';
import YAML from 'yaml';
import { HEALTH_KINDS, healthKey, repoRoot } from '../../../tools/chart/generate.js';
import { evaluateHealth, toLua } from './lua.js';

const customizations = path.join(repoRoot, 'gitops/argocd/resource_customizations/livestream-operator.io');

interface HealthTest {
  tests: { healthStatus: { status: string; message: string }; inputPath: string }[];
}

for (const kind of HEALTH_KINDS) {
  const dir = path.join(customizations, kind);
  const script = path.join(dir, 'health.lua');
  const spec = YAML.parse(readFileSync(path.join(dir, 'health_test.yaml'), 'utf8')) as HealthTest;

  describe(`Argo CD health of ${kind} (health_test.yaml)`, () => {
    for (const test of spec.tests) {
      it(`${test.inputPath} is ${test.healthStatus.status}`, () => {
        const obj: unknown = YAML.parse(readFileSync(path.join(dir, test.inputPath), 'utf8'));
        assert.deepEqual(evaluateHealth(script, obj), test.healthStatus);
      });
    }

    it('every file in testdata/ is a case, and the cases cover each status the kind can have', () => {
      const inputs = readdirSync(path.join(dir, 'testdata')).map((f) => `testdata/${f}`);
      assert.deepEqual(spec.tests.map((t) => t.inputPath).sort(), inputs.sort());
      const statuses = new Set(spec.tests.map((t) => t.healthStatus.status));
      const expected =
        kind === 'LiveStream'
          ? ['Degraded', 'Healthy', 'Progressing', 'Suspended']
          : ['Degraded', 'Healthy', 'Progressing'];
      assert.deepEqual([...statuses].sort(), expected);
    });

    it('each testdata object is a valid-looking resource of this kind', () => {
      for (const test of spec.tests) {
        const obj = YAML.parse(readFileSync(path.join(dir, test.inputPath), 'utf8')) as {
          apiVersion: string;
          kind: string;
        };
        assert.equal(obj.apiVersion, 'livestream-operator.io/v1alpha1', test.inputPath);
        assert.equal(obj.kind, kind, test.inputPath);
      }
    });
  });
}

describe('the health-check sandbox behaves like Argo CD', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lso-lua-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const scriptFile = (name: string, source: string): string => {
    const file = path.join(tmp, name);
    writeFileSync(file, source);
    return file;
  };

  it('has no string library: string methods fail as they do in Argo CD without useOpenLibs', () => {
    const file = scriptFile(
      'string.lua',
      'local s = obj.metadata.name:upper()\nreturn { status = "Healthy", message = s }',
    );
    assert.throws(() => evaluateHealth(file, { metadata: { name: 'x' } }), /attempt to index .*string value/);
    const file2 = scriptFile(
      'string2.lua',
      'return { status = "Healthy", message = string.format("%d", 1) }',
    );
    assert.throws(() => evaluateHealth(file2, {}), /attempt to index global 'string'/);
  });

  it('has no io, os.execute or math', () => {
    for (const [name, expr] of [
      ['io', 'io.open("/etc/hostname")'],
      ['os', 'os.execute("true")'],
      ['math', 'math.floor(1.5)'],
    ]) {
      const file = scriptFile(`${name}.lua`, `local x = ${expr}\nreturn { status = "Healthy" }`);
      assert.throws(() => evaluateHealth(file, {}), new RegExp(`attempt to index global '${name}'`));
    }
  });

  it('reports an invalid status as Unknown, as Argo CD does', () => {
    const file = scriptFile('invalid.lua', 'return { status = "Fine", message = "x" }');
    assert.deepEqual(evaluateHealth(file, {}), {
      status: 'Unknown',
      message: 'Lua returned an invalid health status',
    });
  });

  it('stops a script that runs for more than a second', () => {
    const file = scriptFile('loop.lua', 'while true do end');
    assert.throws(() => evaluateHealth(file, {}), /longer than 1 s/);
  });

  it('passes strings with quotes, backslashes, newlines and UTF-8 through unchanged', () => {
    const file = scriptFile('echo.lua', 'return { status = "Healthy", message = obj.text }');
    const text = 'quote " backslash \\ newline\nand UTF-8: é ✓';
    assert.deepEqual(evaluateHealth(file, { text }), { status: 'Healthy', message: text });
  });

  it('toLua drops nulls and keeps arrays as sequences', () => {
    assert.equal(toLua({ a: null, b: [1, 'x', true] }), '{ ["b"] = { 1, "x", true } }');
  });
});

describe('copies of the health checks', () => {
  const scripts = Object.fromEntries(
    HEALTH_KINDS.map((kind) => [kind, readFileSync(path.join(customizations, kind, 'health.lua'), 'utf8')]),
  );

  it('argocd-cm.yaml carries each script under its resource.customizations.health key', () => {
    const cm = YAML.parse(readFileSync(path.join(repoRoot, 'gitops/argocd/argocd-cm.yaml'), 'utf8')) as {
      metadata: { name: string };
      data: Record<string, string>;
    };
    assert.equal(cm.metadata.name, 'argocd-cm');
    for (const kind of HEALTH_KINDS) assert.equal(cm.data[healthKey(kind)], scripts[kind]);
  });

  it('the argo-cd chart values carry the same scripts under configs.cm', () => {
    const values = YAML.parse(
      readFileSync(path.join(repoRoot, 'gitops/argocd/argo-cd-values.yaml'), 'utf8'),
    ) as {
      configs: { cm: Record<string, string> };
    };
    for (const kind of HEALTH_KINDS) assert.equal(values.configs.cm[healthKey(kind)], scripts[kind]);
  });

  it('docs/gitops.md shows each script as it is', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/gitops.md'), 'utf8');
    for (const kind of HEALTH_KINDS) {
      assert.ok(doc.includes(healthKey(kind)), `docs/gitops.md names ${healthKey(kind)}`);
      assert.ok(
        doc.includes('```lua\n' + scripts[kind] + '```'),
        `docs/gitops.md shows ${kind}/health.lua verbatim`,
      );
    }
  });
});
