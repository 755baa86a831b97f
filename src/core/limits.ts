/**
 * The System V semaphore limits, fixed at the defaults of a new Linux IPC namespace. Linux lets
 * root tune the first four per namespace through /proc/sys/kernel/sem; svsem does not (yet) store
 * tunables in the registry, so these are constants.
 */

/** Maximum number of semaphores in one set. */
export const SEMMSL = 32000;
/** Maximum number of semaphores in all sets of a registry. */
export const SEMMNS = 1024000000;
/** Maximum number of operations in one semop call. */
export const SEMOPM = 500;
/** Maximum number of sets in a registry. */
export const SEMMNI = 32000;
/** Maximum value of a semaphore. */
export const SEMVMX = 32767;
/** Maximum magnitude of an undo adjustment (semadj stays within -(SEMAEM+1)..SEMAEM). */
export const SEMAEM = 32767;

/** Size of the index space: an id is seq * IPCMNI + index (ipc/util.h). */
export const IPCMNI = 32768;
/** ipc_min_cycle: the cyclic allocator wraps no earlier than this index (ipc/util.c). */
export const IPC_MIN_CYCLE = 64;
/** Sequence numbers run 0 .. SEQ_MAX - 1 (ipcid_seq_max(): INT_MAX >> 15). */
export const SEQ_MAX = 65535;

/** Reported only by IPC_INFO/SEM_INFO; constants in Linux (include/uapi/linux/sem.h). */
export const SEMMAP = SEMMNS;
export const SEMMNU = SEMMNS;
export const SEMUME = SEMOPM;
export const SEMUSZ = 20;
