// What to do with the next media message for a subscriber, given how much is already queued for it
// in this process. Pure: the connection applies the decision. Memory per subscriber stays below
// `maxQueuedBytes` plus one message whatever the subscriber does.

export type SlowSubscriberPolicy = 'drop' | 'disconnect';

export type MessageKind = 'config' | 'keyframe' | 'frame';

export interface WriteState {
  /** True while frames are being skipped until the queue drains and a keyframe arrives. */
  dropping: boolean;
}

export interface WriteInput {
  kind: MessageKind;
  size: number;
  /** Bytes already queued in user space for this subscriber (socket.writableLength). */
  queued: number;
  maxQueuedBytes: number;
  policy: SlowSubscriberPolicy;
}

export type WriteDecision = 'write' | 'drop' | 'disconnect';

/**
 * Decides and updates `state`. Decoder configuration (sequence headers, metadata) is always written:
 * it is small and a decoder cannot recover without it. In drop mode a gap always ends on a keyframe
 * with the queue at most half full, so the subscriber decodes cleanly after the gap.
 */
export function decideWrite(state: WriteState, input: WriteInput): WriteDecision {
  if (input.kind === 'config') return 'write';
  if (state.dropping) {
    if (input.kind === 'keyframe' && input.queued <= input.maxQueuedBytes / 2) {
      state.dropping = false;
    } else {
      return 'drop';
    }
  }
  // An empty queue always takes the message, so a keyframe larger than the bound still gets through.
  if (input.queued === 0 || input.queued + input.size <= input.maxQueuedBytes) return 'write';
  if (input.policy === 'disconnect') return 'disconnect';
  state.dropping = true;
  return 'drop';
}
