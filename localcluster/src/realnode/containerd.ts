// Debian's containerd, started by hand with its own config, root, state and socket, and driven with
// its own `ctr`: images loaded from OCI archives, and every container removed when the node stops.
import { access } from 'node:fs/promises';
import { CommandError, run, succeeds } from './exec.js';
import type { BuiltImage } from './images.js';
import { paths, type NodePlan } from './plan.js';

/** Kubernetes' containerd namespace (the CRI plugin's images and containers). */
const namespace = 'k8s.io';
const imageIdLabel = 'io.livestream-operator/image-id';

export const ctr = (plan: NodePlan, args: string[], timeoutMs = 120_000) =>
  run(['ctr', '--address', paths(plan).containerdSocket, '-n', namespace, ...args], { timeoutMs });

/** Whether containerd answers on its socket. */
export async function containerdAnswers(plan: NodePlan): Promise<boolean> {
  try {
    await access(paths(plan).containerdSocket);
  } catch {
    return false;
  }
  return succeeds(['ctr', '--address', paths(plan).containerdSocket, 'version'], { timeoutMs: 5_000 });
}

/** The image's buildah id as recorded when it was imported (empty when absent). */
async function importedId(plan: NodePlan, ref: string): Promise<string> {
  const out = (await ctr(plan, ['images', 'ls', `name==${ref}`])).stdout;
  const m = new RegExp(`${imageIdLabel.replace(/[./]/g, '\\$&')}=(\\S+)`).exec(out);
  return m?.[1]?.replace(/,$/, '') ?? '';
}

/** Imports each image unless containerd already has this very build of it. Returns what it imported. */
export async function importImages(plan: NodePlan, images: readonly BuiltImage[]): Promise<string[]> {
  const imported: string[] = [];
  for (const image of images) {
    if (!image.archive) throw new Error(`${image.ref} has no OCI archive (build it with export: true)`);
    if ((await importedId(plan, image.ref)) === image.id) continue;
    await ctr(plan, ['images', 'import', image.archive], 600_000);
    await ctr(plan, ['images', 'label', image.ref, `${imageIdLabel}=${image.id}`]);
    imported.push(image.ref);
  }
  return imported;
}

/** Task ids (running or stopped) in the k8s.io namespace. */
export async function taskIds(plan: NodePlan): Promise<string[]> {
  const out = (await ctr(plan, ['tasks', 'ls', '-q']).catch(() => ({ stdout: '' }))).stdout;
  return out.split('\n').filter(Boolean);
}

/**
 * Kills every task and removes every container (with its snapshot); images stay. For teardown after
 * the kubelet is gone, and for leftovers of a run that died.
 */
export async function removeAllContainers(plan: NodePlan): Promise<void> {
  for (const id of await taskIds(plan)) {
    await ctr(plan, ['tasks', 'kill', '--signal', 'SIGKILL', id]).catch(() => undefined);
  }
  const deadline = Date.now() + 15_000;
  for (const id of await taskIds(plan)) {
    for (;;) {
      try {
        await ctr(plan, ['tasks', 'delete', '--force', id]);
        break;
      } catch (err) {
        if (Date.now() > deadline || !(err instanceof CommandError)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
  const containers = (await ctr(plan, ['containers', 'ls', '-q']).catch(() => ({ stdout: '' }))).stdout;
  for (const id of containers.split('\n').filter(Boolean)) {
    await ctr(plan, ['containers', 'rm', id]).catch(() => undefined);
  }
}
