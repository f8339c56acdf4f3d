// What a stopped real node might have left on this machine, checked independently of the teardown's
// own bookkeeping: for the tests ("nothing left behind") and for `cluster:down` to report.
import { access } from 'node:fs/promises';
import { run } from './exec.js';
import { bridgeExists, kubepodsCgroups, kubernetesChains, mountsUnder, readSysctls } from './host.js';
import { defaultBridge } from './plan.js';
import { machineDir, nodeDataRoot } from './state.js';

export interface MachineSnapshot {
  sysctls: Record<string, string>;
  veths: string[];
}

async function veths(): Promise<string[]> {
  const out = await run(['ip', '-o', 'link', 'show', 'type', 'veth']).catch(() => ({ stdout: '' }));
  return out.stdout
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter(Boolean);
}

/** What to compare against after the node stops. */
export async function snapshotMachine(): Promise<MachineSnapshot> {
  return { sysctls: await readSysctls(), veths: await veths() };
}

/** Every trace of a real node still on the machine (empty: nothing left). */
export async function leftovers(
  before: MachineSnapshot,
  nodeName: string,
  kubectl?: (args: string[]) => Promise<{ code: number; stdout: string }>,
): Promise<string[]> {
  const found: string[] = [];
  const ps = (await run(['ps', '-eo', 'pid=,args='])).stdout.split('\n');
  for (const line of ps) {
    if (line.includes(machineDir) || line.includes(nodeDataRoot))
      found.push(`process: ${line.trim().slice(0, 160)}`);
  }
  for (const dir of [machineDir, nodeDataRoot]) {
    for (const m of await mountsUnder(dir)) found.push(`mount: ${m}`);
  }
  if (await bridgeExists(defaultBridge)) found.push(`interface: ${defaultBridge}`);
  for (const v of await veths()) if (!before.veths.includes(v)) found.push(`interface: ${v} (veth)`);
  for (const c of await kubernetesChains()) found.push(`iptables chain: ${c}`);
  const forward = (await run(['iptables', '-w', '-S', 'FORWARD']).catch(() => ({ stdout: '' }))).stdout;
  if (forward.includes('livestream-operator real node')) found.push('iptables rule: FORWARD isolation rule');
  for (const c of await kubepodsCgroups()) found.push(`cgroup: ${c}`);
  const now = await readSysctls();
  for (const [key, value] of Object.entries(before.sysctls))
    if (now[key] !== value) found.push(`sysctl: ${key} is ${now[key]}, was ${value}`);
  for (const path of [`${machineDir}/realnode.json`, `${machineDir}/node`, `${nodeDataRoot}/${nodeName}`]) {
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      found.push(`file: ${path}`);
  }
  if (kubectl) {
    const node = await kubectl(['get', 'node', nodeName, '--ignore-not-found', '-o', 'name']);
    if (node.code === 0 && node.stdout.trim()) found.push(`Node object: ${nodeName}`);
  }
  return found;
}
