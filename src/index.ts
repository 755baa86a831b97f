/** svsem's public API: the registry and the records and errors it works with. */
export { Registry, processCredentials, POLL_INTERVAL_MS } from './registry.js';
export type { RegistryOptions, SemopOptions } from './registry.js';
export { defaultRegistryPath } from './storage/open.js';
export { RegistryError } from './storage/errors.js';
export { SemError, ERRNO, type Errno } from './core/errno.js';
export * from './core/limits.js';
export { asKey, asSemId, IPC_PRIVATE } from './core/types.js';
export type {
  Credentials, IpcPerm, PendingOp, ProcessRef, SemId, SemKey, SemSetHeader, Sembuf, Semaphore,
  SetState, UndoRecord,
} from './core/types.js';
