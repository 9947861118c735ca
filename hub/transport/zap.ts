/**
 * The ZAP handler (ZeroMQ RFC 27): libzmq asks it about every CURVE connection to a socket of the
 * same context before the connection carries a message. It answers 200 for a registered key (the
 * user id is the key's account) and refuses any other, so a wrong or revoked key never connects.
 */
import { Router, type Context } from 'zeromq';
import { z85Encode } from './keys';

/** libzmq's fixed address of a context's ZAP handler. */
const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

export interface ZapDecision {
  /** The account the key belongs to; undefined refuses the connection. */
  account: string | undefined;
}

export class ZapHandler {
  private readonly sock: Router;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    context: Context,
    private readonly decide: (publicKey: string, address: string) => ZapDecision,
  ) {
    this.sock = new Router({ context, linger: 0 });
  }

  async start(): Promise<void> {
    await this.sock.bind(ZAP_ENDPOINT);
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      for await (const [peer, delimiter, version, requestId, , address, , mechanism, ...credentials] of this.sock) {
        // 300 (temporary failure), not 400: after a 400 libzmq's client gives up on the connection
        // for good (the EA would wait for a welcome until restarted); after a 300 the server
        // leaves the handshake unanswered until its handshake interval ends it, and the client
        // connects again, so a terminal gets in once its key is registered.
        let status = ['300', 'key not registered'];
        let user = '';
        if (version?.toString() !== '1.0') status = ['500', 'ZAP version 1.0 expected'];
        else if (mechanism?.toString() !== 'CURVE' || credentials.length !== 1 || credentials[0].length !== 32) status = ['400', 'CURVE required'];
        else {
          const { account } = this.decide(z85Encode(credentials[0]), address.toString());
          if (account !== undefined) [status, user] = [['200', 'OK'], account];
        }
        await this.sock.send([peer, delimiter, '1.0', requestId, status[0], status[1], user, '']);
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sock.close();
    await this.running?.catch(() => undefined);
  }
}
