import { existsSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * Whether a Docker engine answers on its local socket, decided within a second so that
 * a machine without Docker skips the container tests instead of hanging on them.
 */
export const dockerEngineReachable = async (): Promise<boolean> => {
  const host = process.env.DOCKER_HOST;
  const socketPath = host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
  if (host && !host.startsWith('unix://')) return true;
  if (!existsSync(socketPath)) return false;
  return new Promise<boolean>((resolve) => {
    const socket = connect(socketPath);
    const done = (reachable: boolean) => {
      socket.destroy();
      resolve(reachable);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
};
