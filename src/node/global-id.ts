// Relay global ids: base64url of `<Type>:<namespace>/<name>` (namespace empty for cluster-scoped
// kinds). Names, not uids, so an id survives the gateway's restarts and stays meaningful to a
// client that saw the object before it was recreated under the same name.

export const NODE_TYPES = ['MPIJob', 'Pod', 'Event', 'Namespace', 'ResourceQuota'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export interface GlobalId {
  type: NodeType;
  namespace: string;
  name: string;
}

function isNodeType(value: string): value is NodeType {
  return (NODE_TYPES as readonly string[]).includes(value);
}

export function toGlobalId(type: NodeType, namespace: string | undefined, name: string): string {
  return Buffer.from(`${type}:${namespace ?? ''}/${name}`, 'utf8').toString('base64url');
}

/** Undefined for anything that is not an id this gateway issued. */
export function fromGlobalId(id: string): GlobalId | undefined {
  const text = Buffer.from(id, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const slash = text.indexOf('/', colon + 1);
  if (colon < 0 || slash < 0) return undefined;
  const type = text.slice(0, colon);
  const name = text.slice(slash + 1);
  if (!isNodeType(type) || name === '') return undefined;
  return { type, namespace: text.slice(colon + 1, slash), name };
}
