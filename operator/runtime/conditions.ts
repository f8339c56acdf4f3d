// metav1.Condition bookkeeping: lastTransitionTime moves only when a condition's status flips, and
// "did the status change?" ignores it (and key order), so an unchanged status is never written and a
// write never triggers another reconcile of its own.
import { isDeepStrictEqual } from 'node:util';
import type { Condition, ConditionStatus } from '../api/v1alpha1/types.js';

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * The conditions to write: each wanted condition keeps the previous lastTransitionTime when its status
 * did not change; conditions not wanted are dropped.
 */
export function mergeConditions(
  previous: Condition[] | undefined,
  wanted: ConditionInput[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  return wanted.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return {
      type: c.type,
      status: c.status,
      observedGeneration: generation,
      lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : rfc3339(now),
      reason: c.reason,
      message: truncate(c.message, 32_768),
    };
  });
}

/** Conditions whose status flipped (or that are new), for events. */
export function transitions(previous: Condition[] | undefined, next: Condition[]): Condition[] {
  return next.filter((c) => previous?.find((p) => p.type === c.type)?.status !== c.status);
}

/** A status with the volatile parts (condition transition times) removed, for comparison. */
function comparable(status: unknown): unknown {
  return JSON.parse(
    JSON.stringify(status ?? {}, (key, value: unknown) => (key === 'lastTransitionTime' ? undefined : value)),
  );
}

export function statusChanged(current: unknown, next: unknown): boolean {
  return !isDeepStrictEqual(comparable(current), comparable(next));
}

export function findCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** RFC 3339 with seconds precision, as metav1.Time serialises. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: exactly six fractional digits (a JS Date's three are refused). */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
