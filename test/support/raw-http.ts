import { connect, type Socket } from 'node:net';

/**
 * HTTP over a bare TCP connection, for what an HTTP client refuses to send: broken framing,
 * slow bodies, half-closed connections. Every wait is bounded.
 */

/** What came back on a raw connection: the parsed answer, or null when the server closed without one. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes bytes to the server on a TCP connection of its own and reads until the server closes it
 * or `waitMs` passes (bounded: a server that never answers is reported, not waited for).
 * `halfClose` ends the client's side after writing, as a client that went away mid-body does.
 */
export function sendRaw(
  url: string,
  bytes: string | Buffer,
  options: { halfClose?: boolean; waitMs?: number } = {},
): Promise<RawAnswer | null | 'timeout'> {
  const { hostname, port } = new URL(url);
  const waitMs = options.waitMs ?? 3_000;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) });
    const timer = setTimeout(() => finish(true), waitMs);
    let done = false;
    function finish(timedOut: boolean) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      if (text.length === 0) return resolve(timedOut ? 'timeout' : null);
      resolve(parseAnswer(text));
    }
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // One answer is enough: stop once the head and the announced body are in.
      const parsed = parseAnswer(Buffer.concat(chunks).toString('latin1'));
      if (parsed && complete(Buffer.concat(chunks).toString('latin1'), parsed)) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
    socket.write(bytes, () => {
      if (options.halfClose) socket.end();
    });
  });
}

function parseAnswer(text: string): RawAnswer | null {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const [statusLine = '', ...lines] = text.slice(0, headEnd).split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = text.slice(headEnd + 4);
  if (headers['transfer-encoding']?.includes('chunked')) body = unchunk(body);
  return { status, headers, body: Buffer.from(body, 'latin1').toString('utf8') };
}

function complete(text: string, answer: RawAnswer): boolean {
  const length = answer.headers['content-length'];
  if (length !== undefined) {
    const headEnd = text.indexOf('\r\n\r\n');
    return Buffer.byteLength(text.slice(headEnd + 4), 'latin1') >= Number(length);
  }
  return answer.headers['transfer-encoding']?.includes('chunked') === true && text.endsWith('0\r\n\r\n');
}

function unchunk(body: string): string {
  let rest = body;
  let out = '';
  // At most as many chunks as the body has bytes.
  for (let guard = 0; guard < body.length + 1; guard += 1) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) break;
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
  return out;
}

/** What came back on a raw connection: every byte until the server closed it, and when. */
export interface RawExchange {
  text: string;
  closedAfterMs: number;
}

/** The status and the parsed JSON body of the first answer in raw bytes. */
export function firstAnswer(text: string): { status: number; body: unknown } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 'NaN');
  const headerEnd = text.indexOf('\r\n\r\n');
  const head = text.slice(0, headerEnd);
  const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? '0');
  const raw = text.slice(headerEnd + 4, headerEnd + 4 + length);
  return { status, body: raw === '' ? null : JSON.parse(raw) };
}

/** A connection to host:port of a base URL. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Sends `chunks`, one every `everyMs` (until the server closes), and collects what comes back
 * until the server closes the connection or `giveUpMs` pass.
 */
export async function rawExchange(
  url: string,
  chunks: readonly string[],
  options: { everyMs?: number; giveUpMs?: number } = {},
): Promise<RawExchange> {
  const socket = await openSocket(url);
  const started = Date.now();
  const received: Buffer[] = [];
  socket.on('data', (data: Buffer) => received.push(data));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  const giveUp = new Promise<number>((resolve) => setTimeout(() => resolve(-1), options.giveUpMs ?? 10_000));
  const sending = (async () => {
    for (const chunk of chunks) {
      if (socket.destroyed || !socket.writable) return;
      socket.write(chunk);
      if (options.everyMs) await new Promise((resolve) => setTimeout(resolve, options.everyMs));
    }
  })();
  const closedAfterMs = await Promise.race([closed, giveUp]);
  socket.destroy();
  await sending;
  return { text: Buffer.concat(received).toString('utf8'), closedAfterMs };
}
