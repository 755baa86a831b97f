/**
 * The man page: it renders without a warning, and it documents every command and every option
 * the parser accepts (src/cli/commands.ts), so the two cannot drift apart unnoticed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { GLOBAL_OPTIONS, type OptionSpec } from '../../src/cli/spec.js';

const PAGE = fileURLToPath(new URL('../../man/svsem.1', import.meta.url));
const source = readFileSync(PAGE, 'utf8');

const hasGroff = spawnSync('groff', ['--version']).status === 0;
const hasMan = spawnSync('man', ['--version']).status === 0;

/** The roff text of one section: from `.SH name` or `.SS name` to the next heading. */
function section(macro: 'SH' | 'SS', name: string): string {
  const start = source.indexOf(`\n.${macro} ${name}\n`);
  if (start < 0) return '';
  const rest = source.slice(start + 1);
  const end = rest.slice(1).search(/\n\.S[HS] /);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

/** How roff spells an option: `\-\-name` (with its inner dashes escaped) or `\-x`. */
function spellings(opt: OptionSpec): string[] {
  const long = `\\-\\-${opt.name.replace(/-/g, '\\-')}`;
  return opt.short === undefined ? [long] : [long, `\\-${opt.short}`];
}

describe('man/svsem.1', () => {
  it.skipIf(!hasGroff)('passes groff -man -ww -z without a warning', () => {
    const r = spawnSync('groff', ['-man', '-ww', '-z', PAGE], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasMan)('renders with man -l', () => {
    const r = spawnSync('man', ['-l', PAGE], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('SVSEM(1)');
  });

  it('has a section for every command, naming each of its options', () => {
    const missing: string[] = [];
    for (const command of COMMANDS) {
      const text = section('SS', command.name);
      if (text === '') {
        missing.push(`.SS ${command.name}`);
        continue;
      }
      for (const opt of command.options) {
        if (opt.hidden) continue;
        if (!spellings(opt).some((s) => text.includes(s))) missing.push(`${command.name} --${opt.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('describes every global option under OPTIONS', () => {
    const text = section('SH', 'OPTIONS');
    const missing = GLOBAL_OPTIONS.filter((opt) => !spellings(opt).some((s) => text.includes(s)));
    expect(missing.map((o) => o.name)).toEqual([]);
  });

  it('lists every command in the SYNOPSIS', () => {
    const text = section('SH', 'SYNOPSIS');
    const missing = COMMANDS.filter((c) => !text.includes(`.B svsem ${c.name}`));
    expect(missing.map((c) => c.name)).toEqual([]);
  });
});
