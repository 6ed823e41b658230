import { connect, type Socket } from 'node:net';

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
