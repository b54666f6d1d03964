// Prometheus text exposition (format 0.0.4) of what the gateway counts: Kubernetes requests by
// verb, resource and code; informer state; GraphQL requests by operation type and outcome.

import type { InformerStatus } from '../kube/informers.ts';
import type { KubeRequestSample } from '../kube/request-metrics.ts';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';
export type Outcome = 'success' | 'error';

export class GraphQLMetrics {
  private readonly counts = new Map<string, { operation: OperationType; outcome: Outcome; count: number; seconds: number }>();

  record(operation: OperationType, outcome: Outcome, durationSeconds: number): void {
    const key = `${operation}/${outcome}`;
    const entry = this.counts.get(key);
    if (entry) {
      entry.count += 1;
      entry.seconds += durationSeconds;
    } else {
      this.counts.set(key, { operation, outcome, count: 1, seconds: durationSeconds });
    }
  }

  samples(): Array<{ operation: OperationType; outcome: Outcome; count: number; seconds: number }> {
    return [...this.counts.values()].map((e) => ({ ...e }));
  }
}

/** Live subscriptions: WebSocket connections, subscribers per change hub, shared log streams. */
export interface LiveMetrics {
  connections: number;
  subscriptions: number;
  /** Payload executions, and deliveries that reused another subscriber's execution. */
  executions: number;
  sharedDeliveries: number;
  hubs: Array<{ kind: string; subscribers: number; overflows: number }>;
  logStreams: { open: number; opened: number; members: number; requests: number };
}

export interface MetricsSources {
  kubeRequests(): KubeRequestSample[];
  informers(): InformerStatus[];
  graphql: GraphQLMetrics;
  /** Absent until subscriptions are served. */
  live?: () => LiveMetrics;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
  if (Object.keys(pairs).length === 0) return '';
  return `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')}}`;
}

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'summary', help: string, samples: Array<[Record<string, string>, number]>, suffix = ''): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [pairs, value] of samples) this.lines.push(`${name}${suffix}${labels(pairs)} ${value}`);
  }

  raw(line: string): void {
    this.lines.push(line);
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export function renderMetrics(sources: MetricsSources): string {
  const out = new Exposition();
  out.family(
    'mpijob_gateway_kubernetes_requests_total',
    'counter',
    'Kubernetes API requests made by the gateway, by verb, resource and HTTP code (error: no response).',
    sources.kubeRequests().map((s) => [{ verb: s.verb, resource: s.resource, code: s.code }, s.count]),
  );
  const informers = sources.informers();
  const informerLabels = (i: InformerStatus) => ({ resource: i.resource, namespace: i.namespace });
  out.family(
    'mpijob_gateway_informer_synced',
    'gauge',
    '1 once the informer has applied its first list.',
    informers.map((i) => [informerLabels(i), i.synced ? 1 : 0]),
  );
  out.family(
    'mpijob_gateway_informer_watching',
    'gauge',
    '1 while the informer is listed and watching; 0 while starting or backing off after an error.',
    informers.map((i) => [informerLabels(i), i.state === 'synced' ? 1 : 0]),
  );
  out.family(
    'mpijob_gateway_informer_restarts_total',
    'counter',
    'Informer restarts after errors.',
    informers.map((i) => [informerLabels(i), i.restarts]),
  );
  out.family(
    'mpijob_gateway_informer_lists_total',
    'counter',
    'List requests sent by the informer: the first list, relists after 410 Expired and restarts.',
    informers.map((i) => [informerLabels(i), i.lists]),
  );
  out.family('mpijob_gateway_informer_objects', 'gauge', 'Objects in the informer cache.', informers.map((i) => [informerLabels(i), i.objects]));
  const graphql = sources.graphql.samples();
  out.family(
    'mpijob_gateway_graphql_requests_total',
    'counter',
    'GraphQL operations over HTTP by operation type and outcome.',
    graphql.map((g) => [{ operation: g.operation, outcome: g.outcome }, g.count]),
  );
  out.family(
    'mpijob_gateway_graphql_request_duration_seconds',
    'summary',
    'Time from request to response of GraphQL operations.',
    graphql.map((g) => [{ operation: g.operation, outcome: g.outcome }, g.seconds]),
    '_sum',
  );
  for (const g of graphql) {
    out.raw(`mpijob_gateway_graphql_request_duration_seconds_count${labels({ operation: g.operation, outcome: g.outcome })} ${g.count}`);
  }
  const live = sources.live?.();
  if (live) {
    out.family('mpijob_gateway_websocket_connections', 'gauge', 'Open graphql-ws connections.', [[{}, live.connections]]);
    out.family('mpijob_gateway_subscriptions', 'gauge', 'Active subscriptions over WebSocket.', [[{}, live.subscriptions]]);
    out.family(
      'mpijob_gateway_subscription_executions_total',
      'counter',
      'Subscription payloads executed, and deliveries that shared another subscriber\'s execution of the same change.',
      [
        [{ shared: 'false' }, live.executions],
        [{ shared: 'true' }, live.sharedDeliveries],
      ],
    );
    out.family('mpijob_gateway_change_subscribers', 'gauge', 'Subscribers of each change hub.', live.hubs.map((h) => [{ kind: h.kind }, h.subscribers]));
    out.family('mpijob_gateway_slow_consumers_total', 'counter', 'Subscribers ended because they fell behind.', live.hubs.map((h) => [{ kind: h.kind }, h.overflows]));
    out.family('mpijob_gateway_log_streams_open', 'gauge', 'Upstream pod log streams open, one per followed container.', [[{}, live.logStreams.open]]);
    out.family('mpijob_gateway_log_stream_subscribers', 'gauge', 'jobLogs subscribers attached to open log streams.', [[{}, live.logStreams.members]]);
    out.family('mpijob_gateway_log_requests_total', 'counter', 'pods/log requests made for log streams and reads.', [[{}, live.logStreams.requests]]);
  }
  return out.toString();
}
