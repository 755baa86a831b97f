/**
 * User and group names for views, read from /etc/passwd and /etc/group as getpwuid and getgrgid
 * would answer for local accounts. Other NSS sources (LDAP, systemd-userdb) are not consulted:
 * their owners print as numbers, as util-linux prints a uid that getpwuid cannot name.
 */
import { readFileSync } from 'node:fs';
import type { Names } from './format/ipcs.js';

/** uid or gid to the first name the file gives it. */
function readIdNames(path: string): Map<number, string> {
  const names = new Map<number, string>();
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return names; // no file: every owner prints as a number, as when getpwuid fails
  }
  for (const entry of text.split('\n')) {
    const [name, , id] = entry.split(':');
    if (!name || /^[+-]/.test(name) || id === undefined || !/^\d+$/.test(id)) continue;
    if (!names.has(Number(id))) names.set(Number(id), name);
  }
  return names;
}

export function readNames(): Names {
  return { users: readIdNames('/etc/passwd'), groups: readIdNames('/etc/group') };
}
