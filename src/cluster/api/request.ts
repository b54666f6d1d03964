// HTTP plumbing shared by the REST handlers: bounded body reading, body decoding (JSON, YAML,
// protobuf), content negotiation and answering with JSON or a Status.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { decodeProtobufObject, PROTOBUF_CONTENT_TYPE } from './protobuf.ts';
import { badRequest, requestEntityTooLarge, StatusError, STATUS_REASON, unsupportedMediaType } from './status.ts';

/** The real server's limit on request bodies (3 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

export const JSON_CONTENT_TYPE = 'application/json';
const YAML_CONTENT_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

/** `application/json` from `application/json; charset=utf-8`, lower-cased; '' when absent. */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Reads the whole body, refusing (413) beyond `maxBytes` without buffering the excess. The rest
 * of an oversized body is drained, so the connection can carry the next request.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(requestEntityTooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        settled = true;
        chunks.length = 0;
        reject(requestEntityTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`json parse error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function parseYaml(text: string): unknown {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) throw badRequest('yaml parse error: the body is not a YAML document');
  if (documents.length !== 1) throw badRequest(`yaml parse error: expected one document, got ${documents.length}`);
  const [document] = documents;
  if (!document) throw badRequest('yaml parse error: empty document');
  const problem = document.errors[0];
  if (problem) throw badRequest(`yaml parse error: ${problem.message}`);
  return document.toJS({ maxAliasCount: 100 });
}

/** Decodes a request body by its Content-Type (JSON when absent). Throws 400 or 415. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const media = mediaTypeOf(contentType) || JSON_CONTENT_TYPE;
  if (media === JSON_CONTENT_TYPE) return parseJson(body.toString('utf8'));
  if (YAML_CONTENT_TYPES.has(media)) return parseYaml(body.toString('utf8'));
  if (media === PROTOBUF_CONTENT_TYPE) return decodeProtobufObject(body);
  throw unsupportedMediaType();
}

/** Whether an answer in JSON is acceptable (absent Accept, wildcards, or any JSON media type). */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const media = mediaTypeOf(range);
    return media === '*/*' || media === 'application/*' || media === JSON_CONTENT_TYPE;
  });
}

export function notAcceptable(): StatusError {
  return new StatusError(406, STATUS_REASON.notAcceptable, `only the following media types are accepted: ${JSON_CONTENT_TYPE}`);
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = JSON_CONTENT_TYPE): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function sendStatus(res: ServerResponse, error: StatusError): void {
  sendJson(res, error.code, error.body);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Warning headers (RFC 7234 code 299, no agent), one per distinct text, as the real server sends them. */
export function setWarnings(res: ServerResponse, warnings: readonly string[]): void {
  if (warnings.length === 0) return;
  res.setHeader('Warning', [...new Set(warnings)].map((text) => `299 - ${JSON.stringify(text)}`));
}
