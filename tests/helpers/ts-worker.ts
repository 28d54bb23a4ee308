import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running a TypeScript file. Workers do not inherit vitest's or tsx's loaders,
 * so a two-line CommonJS bootstrap loads the file through tsx's API.
 */
export function startTsWorker(file: string, workerData: unknown): Worker {
  const bootstrap = `
    const { workerData } = require('node:worker_threads');
    import('tsx/esm/api').then(({ tsImport }) => tsImport(workerData.file, workerData.file));`;
  return new Worker(bootstrap, { eval: true, workerData: { file, ...(workerData as object) } });
}
