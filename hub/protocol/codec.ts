/** Parsing and validation of wire messages, compiled once from the schemas in messages.ts. */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { CopyBridgeError, type ProtocolErrorCode } from '../errors';
import { NAME_MAX, untrusted } from '../log';
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

/** What could be read of an offending message, to address the error and log it. */
export interface MessageRef {
  account?: string;
  type?: string;
  seq?: number;
}

/** A terminal's message that cannot be accepted; the code is sent back to the terminal in an error message. */
export class ProtocolError extends CopyBridgeError {
  declare readonly code: ProtocolErrorCode;

  constructor(
    code: ProtocolErrorCode,
    message: string,
    readonly ref: MessageRef = {},
  ) {
    super(code, message);
  }
}

type Checkers = Map<string, TypeCheck<TSchema>>;

function compile(defs: readonly { type: string; schema: TSchema }[]): Checkers {
  return new Map(defs.map((d) => [d.type, TypeCompiler.Compile(d.schema)]));
}

const terminalCheckers = compile(TERMINAL_MESSAGES);
const hubCheckers = compile(HUB_MESSAGES);
const allTypes = new Set(ALL_MESSAGES.map((m) => m.type));

function describeRef(obj: Record<string, unknown>): MessageRef {
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
    // The parser's message quotes the input.
    throw new ProtocolError('E_NOT_JSON', `message is not valid JSON (${untrusted((e as Error).message)}); send one UTF-8 JSON object per ZeroMQ message`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new ProtocolError('E_INVALID_MESSAGE', 'message must be a JSON object with v, type, account, seq and ts');
  }
  const rec = obj as Record<string, unknown>;
  const ref = describeRef(rec);
  if (rec.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('E_VERSION', `protocol version ${untrusted(JSON.stringify(rec.v), NAME_MAX)} is not supported; this hub speaks v${PROTOCOL_VERSION}: update the EA`, ref);
  }
  const checker = typeof rec.type === 'string' ? checkers.get(rec.type) : undefined;
  if (!checker) {
    const known = typeof rec.type === 'string' && allTypes.has(rec.type as AnyMessage['type']);
    throw new ProtocolError(
      'E_UNKNOWN_TYPE',
      known
        ? `message type "${String(rec.type)}" is not sent ${direction}`
        : `unknown message type ${untrusted(JSON.stringify(rec.type), NAME_MAX)}; known ${direction} types: ${[...checkers.keys()].join(', ')}`,
      ref,
    );
  }
  if (!checker.Check(obj)) {
    const first = checker.Errors(obj).First();
    const where = first ? untrusted(`${first.path || '/'}: ${first.message}`) : 'schema mismatch';
    throw new ProtocolError('E_INVALID_MESSAGE', `invalid "${String(rec.type)}" message at ${where}; see docs/protocol.md`, ref);
  }
  return obj as T;
}

/** Decodes a message a terminal sent to the hub. Throws ProtocolError. Unknown fields are kept and ignored. */
export function decodeTerminalMessage(bytes: Buffer | string, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): TerminalMessage {
  return decodeWith<TerminalMessage>(bytes, terminalCheckers, maxBytes, 'terminal-to-hub');
}

const ACCOUNT_IN_PREFIX = /"account"\s*:\s*"([A-Za-z0-9._@-]{1,64})"/;

/** The account a message that does not decode seems to come from, so its error can be addressed. */
function guessAccount(bytes: Buffer): string | undefined {
  return ACCOUNT_IN_PREFIX.exec(bytes.subarray(0, 4096).toString('utf8'))?.[1];
}

/**
 * Decodes one message as the hub's PULL socket received it (all its ZeroMQ frames). Throws
 * ProtocolError; when the message does not say who sent it, the error's ref.account is guessed
 * from its first bytes.
 */
export function decodeTerminalFrames(frames: readonly Buffer[], maxBytes = DEFAULT_MAX_MESSAGE_BYTES): TerminalMessage {
  const bytes = frames[0] ?? Buffer.alloc(0);
  try {
    if (frames.length !== 1) {
      throw new ProtocolError('E_INVALID_MESSAGE', `expected one frame per message, got ${frames.length}; send the JSON as a single frame`);
    }
    return decodeTerminalMessage(bytes, maxBytes);
  } catch (e) {
    if (e instanceof ProtocolError && !e.ref.account) e.ref.account = guessAccount(bytes);
    throw e;
  }
}

/** Decodes a message the hub sent to a terminal (used by simulated terminals). */
export function decodeHubMessage(bytes: Buffer | string, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): HubMessage {
  return decodeWith<HubMessage>(bytes, hubCheckers, maxBytes, 'hub-to-terminal');
}

export function encode(message: AnyMessage): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

/** Says what is wrong with a hub message (undefined: nothing), without encoding and decoding it. */
export function checkHubMessage(message: HubMessage): string | undefined {
  const c = hubCheckers.get(message.type);
  if (!c) return `unknown type ${message.type}`;
  const e = c.Errors(message).First();
  return e ? `${e.path}: ${e.message}` : undefined;
}
