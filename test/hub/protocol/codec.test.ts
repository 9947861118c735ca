import { readFileSync } from 'fs';
import { join } from 'path';
import { ALL_MESSAGES, checkHubMessage, decodeHubMessage, decodeTerminalFrames, decodeTerminalMessage, ProtocolError } from '../../../hub/protocol';
import { renderProtocolDoc } from '../../../hub/protocol/doc';

function err(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('expected a ProtocolError');
}

describe('protocol codec', () => {
  it('accepts every documented example in its direction', () => {
    for (const m of ALL_MESSAGES) {
      const json = JSON.stringify(m.example);
      if (m.direction === 'terminal-to-hub') expect(decodeTerminalMessage(json).type).toBe(m.type);
      else {
        expect(decodeHubMessage(json).type).toBe(m.type);
        expect(checkHubMessage(m.example as never)).toBeUndefined();
      }
    }
  });

  it('ignores unknown fields', () => {
    const hello = { ...ALL_MESSAGES.find((m) => m.type === 'hello')!.example, future_field: { x: 1 } };
    expect(decodeTerminalMessage(JSON.stringify(hello))).toMatchObject({ type: 'hello', future_field: { x: 1 } });
  });

  it('rejects non-JSON, non-objects, wrong version, unknown types and bad fields with a code and a hint', () => {
    expect(err(() => decodeTerminalMessage('{nope')).code).toBe('E_NOT_JSON');
    expect(err(() => decodeTerminalMessage('[1,2]')).code).toBe('E_INVALID_MESSAGE');
    expect(err(() => decodeTerminalMessage('{"v":2,"type":"hello","account":"A"}')).code).toBe('E_VERSION');
    const unknown = err(() => decodeTerminalMessage('{"v":1,"type":"teleport","account":"A","seq":1,"ts":1}'));
    expect(unknown.code).toBe('E_UNKNOWN_TYPE');
    expect(unknown.message).toMatch(/known terminal-to-hub types: hello, heartbeat/);
    expect(unknown.ref).toEqual({ account: 'A', type: 'teleport', seq: 1 });
    const wrongDir = err(() => decodeTerminalMessage('{"v":1,"type":"open","account":"A","seq":1,"ts":1}'));
    expect(wrongDir.message).toMatch(/not sent terminal-to-hub/);
    const bad = err(() => decodeTerminalMessage('{"v":1,"type":"tick","account":"A","seq":1,"ts":1,"symbol":"EURUSD","bid":"1.1","ask":1.2,"time_ms":1}'));
    expect(bad.code).toBe('E_INVALID_MESSAGE');
    expect(bad.message).toMatch(/\/bid/);
    const side = err(() => decodeTerminalMessage(JSON.stringify({ ...ALL_MESSAGES.find((m) => m.type === 'deal')!.example, side: 'long' })));
    expect(side.message).toMatch(/\/side/);
  });

  it('rejects oversized messages before parsing them', () => {
    const big = JSON.stringify({ v: 1, type: 'heartbeat', account: 'A', seq: 1, ts: 1, pad: 'x'.repeat(2000) });
    const e = err(() => decodeTerminalMessage(big, 1024));
    expect(e.code).toBe('E_TOO_LARGE');
    expect(e.message).toMatch(/exceeds the limit of 1024 bytes/);
  });

  it('decodes a message as received (its frames) and guesses the sender of one that does not decode', () => {
    const hello = JSON.stringify(ALL_MESSAGES.find((m) => m.type === 'hello')!.example);
    expect(decodeTerminalFrames([Buffer.from(hello)]).type).toBe('hello');
    const twoFrames = err(() => decodeTerminalFrames([Buffer.from('{"v":1,"account":"Apex-2",'), Buffer.from('"type":"hello"}')]));
    expect(twoFrames.code).toBe('E_INVALID_MESSAGE');
    expect(twoFrames.message).toBe('expected one frame per message, got 2; send the JSON as a single frame');
    expect(twoFrames.ref).toEqual({ account: 'Apex-2' });
    const torn = err(() => decodeTerminalFrames([Buffer.from('{"v":1,"type":"heartbeat","account": "FTMO-1","seq":')]));
    expect(torn.code).toBe('E_NOT_JSON');
    expect(torn.ref.account).toBe('FTMO-1');
    // What the message says wins over the guess.
    const bad = err(() => decodeTerminalFrames([Buffer.from('{"v":1,"type":"teleport","account":"A","seq":1,"ts":1,"x":{"account":"B"}}')]));
    expect(bad.ref).toEqual({ account: 'A', type: 'teleport', seq: 1 });
    expect(err(() => decodeTerminalFrames([Buffer.from('{nope')])).ref.account).toBeUndefined();
  });

  it('quotes what the sender wrote escaped and bounded, so an error text stays one short line', () => {
    const type = `tele\nport\u001b[2J${'x'.repeat(5000)}`;
    const unknown = err(() => decodeTerminalMessage(JSON.stringify({ v: 1, type, account: 'A', seq: 1, ts: 1 })));
    expect(unknown.message).toMatch(/^unknown message type "tele\\nport\\u001b\[2Jx+…\(\+\d+ chars\); known terminal-to-hub types/);
    expect(unknown.message.length).toBeLessThan(300);
    const version = err(() => decodeTerminalMessage(JSON.stringify({ v: 'v'.repeat(5000), type: 'hello', account: 'A' })));
    expect(version.message).toMatch(/^protocol version "v+…\(\+\d+ chars\) is not supported/);
    const notJson = err(() => decodeTerminalMessage(`{"a":\u0007${'y'.repeat(5000)}`));
    // eslint-disable-next-line no-control-regex
    expect(notJson.message).not.toMatch(/[\u0000-\u001f]/);
    expect(notJson.message.length).toBeLessThan(400);
  });

  it('keeps docs/protocol.md in step with the definitions', () => {
    const onDisk = readFileSync(join(__dirname, '../../../docs/protocol.md'), 'utf8');
    expect(onDisk).toBe(renderProtocolDoc()); // run `npm run docs:protocol` after changing hub/protocol/messages.ts
  });
});
