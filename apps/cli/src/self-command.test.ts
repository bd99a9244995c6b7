import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selfCommand } from './self-command.js';

describe('selfCommand', () => {
  let dir: string;
  let script: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fosspush-self-'));
    script = join(dir, 'cli.js');
    await writeFile(script, '');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is the bare command when `fosspush` on PATH leads to this script (npm install -g)', async () => {
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await symlink(script, join(bin, 'fosspush'));
    expect(selfCommand(script, `/nonexistent:${bin}`)).toBe('fosspush');
  });

  it('is `node <absolute path>` when PATH has no fosspush, or another one', async () => {
    const other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(other, 'fosspush'), '');
    expect(selfCommand(script, other)).toBe(`node ${script}`);
    expect(selfCommand(script, '')).toBe(`node ${script}`);
  });
});
