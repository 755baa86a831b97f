/**
 * Permission checks on a set, as Linux ipc/util.c ipcperms() and ipcctl_obtain_check() do them.
 *
 * - The caller's class is chosen once: user bits if its uid is the owner's or the creator's, else
 *   group bits if it is in the owner's or the creator's group, else other bits. Only that class is
 *   consulted (a creator with mode 0060 is refused although it is in the group).
 * - uid 0 stands for a process holding every capability: CAP_IPC_OWNER bypasses the read/alter
 *   bits, CAP_SYS_ADMIN passes the owner check of IPC_SET and IPC_RMID.
 *
 * Differences from Linux: svsem checks the real uid, gid and supplementary groups of the caller
 * (or those given with --as); there is no separate effective or filesystem id, and no user
 * namespace: uid 0 is always privileged.
 */
import type { Credentials, IpcPerm } from './types.js';

/** The mode bits a request asks for, in the "other" position (4 read, 2 alter). */
export const S_IRUGO = 0o444;
export const S_IWUGO = 0o222;

function inGroup(cred: Credentials, gid: number): boolean {
  return cred.gid === gid || cred.groups.includes(gid);
}

/**
 * ipcperms(): true if `flag` (mode bits in any of the three positions, as semget's semflg or
 * S_IRUGO/S_IWUGO) is granted to the caller.
 */
export function ipcperms(perm: IpcPerm, cred: Credentials, flag: number): boolean {
  const requested = ((flag >> 6) | (flag >> 3) | flag) & 0o7;
  let granted = perm.mode;
  if (cred.uid === perm.cuid || cred.uid === perm.uid) granted >>= 6;
  else if (inGroup(cred, perm.cgid) || inGroup(cred, perm.gid)) granted >>= 3;
  if ((requested & ~granted & 0o7) === 0) return true;
  return cred.uid === 0;
}

/** The IPC_SET / IPC_RMID rule: owner, creator, or CAP_SYS_ADMIN. No mode bits are needed. */
export function isOwnerOrCreator(perm: IpcPerm, cred: Credentials): boolean {
  return cred.uid === perm.uid || cred.uid === perm.cuid || cred.uid === 0;
}
