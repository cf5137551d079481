/**
 * The two mounts of the admin API, each on a real HTTP server on an ephemeral port: Express
 * (`app.use('/admin', kairosRouter(...))`) and Fastify (`register(kairosFastify, { prefix: '/admin' })`).
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { kairosRouter } from '../../src/express.js';
import { kairosFastify, type KairosFastifyOptions } from '../../src/fastify.js';
import type { AdminOptions, AdminSource } from '../../src/admin/options.js';

export interface Mounted {
  /** `http://127.0.0.1:<port>/admin` (no trailing slash). */
  base: string;
  close(): Promise<void>;
}

export type Mount = (source: AdminSource, options: AdminOptions<never>) => Promise<Mounted>;

export const mountExpress: Mount = async (source, options) => {
  const app = express();
  const router = kairosRouter(source, options as unknown as AdminOptions);
  app.use('/admin', router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/admin`,
    close: async () => {
      router.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

export const mountFastify: Mount = async (source, options) => {
  const app = Fastify();
  await app.register(kairosFastify, { prefix: '/admin', scheduler: source, ...(options as unknown as Omit<KairosFastifyOptions, 'scheduler'>) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/admin`, close: () => app.close() };
};

export const MOUNTS: Array<[string, Mount]> = [
  ['express', mountExpress],
  ['fastify', mountFastify],
];
