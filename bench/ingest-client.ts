// A client process of the ingest benchmark (started by bench/ingest-lib.ts `run`): publishers and
// their subscribers for the streams it is given, driven over IPC by the orchestrator.
import { clip, startClients, type FromClient, type ToClient } from './ingest-lib.js';

const send = (message: FromClient) => process.send!(message);
let clients: Awaited<ReturnType<typeof startClients>> | undefined;
let measuringSince = 0;
let bytesAtStart = 0;

process.on('message', (message: ToClient) => {
  void (async () => {
    try {
      if (message.type === 'start') {
        clients = await startClients(clip(), message.streams, message.subscribersPerStream);
        send({ type: 'ready' });
      } else if (message.type === 'measure') {
        bytesAtStart = clients!.subscribers.reduce((sum, s) => sum + s.receivedBytes, 0);
        for (const s of clients!.subscribers) s.recording = true;
        measuringSince = performance.now();
      } else {
        const seconds = (performance.now() - measuringSince) / 1000;
        const bytes = clients!.subscribers.reduce((sum, s) => sum + s.receivedBytes, 0) - bytesAtStart;
        const latenciesMs = clients!.subscribers.flatMap((s) => s.latenciesMs);
        clients!.stop();
        send({ type: 'result', latenciesMs, bytes, seconds });
        process.disconnect();
        setTimeout(() => process.exit(0), 200);
      }
    } catch (err) {
      send({ type: 'error', message: (err as Error).message });
      process.exit(1);
    }
  })();
});
