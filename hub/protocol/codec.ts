/** Parsing and validation of wire messages, compiled once from the schemas in messages.ts. */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import {
  ALL_MESSAGES,
  DEFAULT_MAX_MESSAGE_BYTES,
  HUB_MESSAGES,
  PROTOCOL_VERSION,
  TERMINAL_MESSAGES,
  type AnyMessage,
  type HubMessage,
  type TerminalMessage,
} from './messages';

export class ProtocolError extends Error {
  /** code is sent back to the terminal in an error message. */
  constructor(
    readonly code: 'E_TOO_LARGE' | 'E_NOT_JSON' | 'E_INVALID_MESSAGE' | 'E_UNKNOWN_TYPE' | 'E_VERSION',
    message: string,
    /** What could be read of the offending message, to address the error and log it. */
    readonly ref: { account?: string; type?: string; seq?: number } = {},
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

type Checkers = Map<string, TypeCheck<TSchema>>;

function compile(defs: readonly { type: string; schema: TSchema }[]): Checkers {
  return new Map(defs.map((d) => [d.type, TypeCompiler.Compile(d.schema)]));
}

const terminalCheckers = compile(TERMINAL_MESSAGES);
const hubCheckers = compile(HUB_MESSAGES);
const allTypes = new Set(ALL_MESSAGES.map((m) => m.type));

function describeRef(obj: Record<string, unknown>) {
  return {
    account: typeof obj.account === 'string' ? obj.account.slice(0, 64) : undefined,
    type: typeof obj.type === 'string' ? obj.type.slice(0, 64) : undefined,
    seq: typeof obj.seq === 'number' ? obj.seq : undefined,
  };
}

function decodeWith<T>(bytes: Buffer | string, checkers: Checkers, maxBytes: number, direction: string): T {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (size > maxBytes) {
    throw new ProtocolError('E_TOO_LARGE', `message of ${size} bytes exceeds the limit of ${maxBytes} bytes; split it (symbols/snapshot chunks) or raise maxMessageBytes`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    throw new ProtocolError('E_NOT_JSON', `message is not valid JSON (${(e as Error).message}); send one UTF-8 JSON object per ZeroMQ message`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new ProtocolError('E_INVALID_MESSAGE', 'message must be a JSON object with v, type, account, seq and ts');
  }
  const rec = obj as Record<string, unknown>;
  const ref = describeRef(rec);
  if (rec.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('E_VERSION', `protocol version ${JSON.stringify(rec.v)} is not supported; this hub speaks v${PROTOCOL_VERSION}: update the EA`, ref);
  }
  const checker = typeof rec.type === 'string' ? checkers.get(rec.type) : undefined;
  if (!checker) {
    const known = typeof rec.type === 'string' && allTypes.has(rec.type as AnyMessage['type']);
    throw new ProtocolError(
      'E_UNKNOWN_TYPE',
      known
        ? `message type "${String(rec.type)}" is not sent ${direction}`
        : `unknown message type ${JSON.stringify(rec.type)}; known ${direction} types: ${[...checkers.keys()].join(', ')}`,
      ref,
    );
  }
  if (!checker.Check(obj)) {
    const first = checker.Errors(obj).First();
    const where = first ? `${first.path || '/'}: ${first.message}` : 'schema mismatch';
    throw new ProtocolError('E_INVALID_MESSAGE', `invalid "${String(rec.type)}" message at ${where}; see docs/protocol.md`, ref);
  }
  return obj as T;
}

/** Decodes a message a terminal sent to the hub. Throws ProtocolError. Unknown fields are kept and ignored. */
export function decodeTerminalMessage(bytes: Buffer | string, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): TerminalMessage {
  return decodeWith<TerminalMessage>(bytes, terminalCheckers, maxBytes, 'terminal-to-hub');
}

/** Decodes a message the hub sent to a terminal (used by simulated terminals). */
export function decodeHubMessage(bytes: Buffer | string, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): HubMessage {
  return decodeWith<HubMessage>(bytes, hubCheckers, maxBytes, 'hub-to-terminal');
}

export function encode(message: AnyMessage): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

/** Checks an outgoing hub message against its schema; used by tests and in debug builds of the hub. */
export function checkHubMessage(message: HubMessage): string | undefined {
  const c = hubCheckers.get(message.type);
  if (!c) return `unknown type ${message.type}`;
  const e = c.Errors(message).First();
  return e ? `${e.path}: ${e.message}` : undefined;
}
