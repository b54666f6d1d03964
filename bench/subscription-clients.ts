// The client side of bench/subscriptions.ts, run in a worker thread of the same process: real
// graphql-ws clients over loopback, on a core of their own, so the figures measure the gateway
// rather than the clients' JSON parsing competing with it on one event loop. It opens the
// connections it is told to, notes when each change reaches each subscriber, and reports back.

import { parentPort } from 'node:worker_threads';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** Connections opened at a time, below the listen backlog. */
const CONNECT_BATCH = 250;

export type ClientCommand =
  | {
      kind: 'changes';
      url: string;
      token: string;
      subscribers: number;
      perConnection: number;
      query: string;
      variables: Record<string, unknown>;
      /** The annotation whose value is the time the change was sent (ms since the epoch). */
      sentAnnotation: string;
    }
  | { kind: 'logs'; url: string; token: string; subscribers: number; query: string; variables: Record<string, unknown>; timeoutMs: number }
  | { kind: 'close' };

export type ClientReport =
  | { kind: 'subscribed'; connections: number }
  | { kind: 'delivered'; sent: number; delays: number[] }
  | { kind: 'error'; message: string }
  | {
      kind: 'logs-done';
      counts: number[];
      first: number[];
      last: number[];
      /** Timestamps of the first and last line the first subscriber received (the producer's clock). */
      stampFirst: number;
      stampLast: number;
      endedEarly: number;
    }
  | { kind: 'closed' };

interface ChangeData {
  mpiJobChanged: { job: { annotations: Array<{ key: string; value: string }> } | null };
}

interface LogData {
  jobLogs: { lines: Array<{ timestamp: string | null }> };
}

function connectClient(url: string, token: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client: Client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
      on: { connected: () => resolve(client), closed: (event) => reject(new Error(`closed: ${String((event as { code?: number }).code)}`)) },
      onNonLazyError: () => undefined,
    });
  });
}

async function openClients(url: string, token: string, count: number): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < count; i += CONNECT_BATCH) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, count - i) }, () => connectClient(url, token)))));
  }
  return clients;
}

const port = parentPort;
if (!port) throw new Error('bench/subscription-clients.ts runs as a worker of bench/subscriptions.ts');
const report = (message: ClientReport): void => port.postMessage(message);
let open: Client[] = [];

async function changes(command: Extract<ClientCommand, { kind: 'changes' }>): Promise<void> {
  const connections = Math.ceil(command.subscribers / command.perConnection);
  open = await openClients(command.url, command.token, connections);
  const received = new Map<number, number[]>();
  for (let i = 0; i < command.subscribers; i++) {
    const client = open[i % connections];
    if (!client) throw new Error('no client');
    client.subscribe<ChangeData>(
      { query: command.query, variables: command.variables },
      {
        next: (result) => {
          const now = Date.now();
          if (result.errors) report({ kind: 'error', message: JSON.stringify(result.errors) });
          const sent = Number(result.data?.mpiJobChanged.job?.annotations.find((a) => a.key === command.sentAnnotation)?.value);
          if (!Number.isFinite(sent)) return;
          let delays = received.get(sent);
          if (!delays) {
            delays = [];
            received.set(sent, delays);
          }
          delays.push(now - sent);
          if (delays.length === command.subscribers) {
            received.delete(sent);
            report({ kind: 'delivered', sent, delays });
          }
        },
        error: (error) => report({ kind: 'error', message: JSON.stringify(error) }),
        complete: () => undefined,
      },
    );
  }
  report({ kind: 'subscribed', connections });
}

async function logs(command: Extract<ClientCommand, { kind: 'logs' }>): Promise<void> {
  open = await openClients(command.url, command.token, command.subscribers);
  const n = command.subscribers;
  const counts = new Array<number>(n).fill(0);
  const first = new Array<number>(n).fill(0);
  const last = new Array<number>(n).fill(0);
  let stampFirst = Number.POSITIVE_INFINITY;
  let stampLast = 0;
  let endedEarly = 0;
  const done = open.map(
    (client, i) =>
      new Promise<void>((resolve) => {
        client.subscribe<LogData>(
          { query: command.query, variables: command.variables },
          {
            next: (result) => {
              const lines = result.data?.jobLogs.lines ?? [];
              if (lines.length === 0) return;
              const now = Date.now();
              if (counts[i] === 0) first[i] = now;
              last[i] = now;
              counts[i] = (counts[i] ?? 0) + lines.length;
              if (i !== 0) return;
              for (const line of lines) {
                const t = Date.parse(line.timestamp ?? '');
                if (Number.isNaN(t)) continue;
                stampFirst = Math.min(stampFirst, t);
                stampLast = Math.max(stampLast, t);
              }
            },
            error: (error) => {
              endedEarly += 1;
              report({ kind: 'error', message: JSON.stringify(error).slice(0, 300) });
              resolve();
            },
            complete: () => resolve(),
          },
        );
      }),
  );
  report({ kind: 'subscribed', connections: n });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(done), new Promise<void>((resolve) => (timer = setTimeout(resolve, command.timeoutMs)))]);
  clearTimeout(timer);
  report({ kind: 'logs-done', counts, first, last, stampFirst, stampLast, endedEarly });
}

port.on('message', (command: ClientCommand) => {
  const run = async (): Promise<void> => {
    if (command.kind === 'changes') await changes(command);
    else if (command.kind === 'logs') await logs(command);
    else {
      await Promise.all(open.map((c) => c.dispose()));
      open = [];
      report({ kind: 'closed' });
    }
  };
  run().catch((error: unknown) => report({ kind: 'error', message: error instanceof Error ? error.message : String(error) }));
});
