import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeFileAtomic } from '../fsAtomic';

const root = mkdtempSync(join(tmpdir(), 'tunelab-atomic-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes text, bytes and lists of both, replacing what was there', () => {
    const p = join(root, 'a.txt');
    writeFileSync(p, 'old contents that are longer');
    writeFileAtomic(p, 'héllo\n');
    assert.equal(readFileSync(p, 'utf8'), 'héllo\n');
    writeFileAtomic(p, new Uint8Array([0x61, 0x62]), { fsync: true });
    assert.equal(readFileSync(p, 'utf8'), 'ab');
    writeFileAtomic(p, ['x', Buffer.from('yz'), new Uint8Array([0x21])]);
    assert.equal(readFileSync(p, 'utf8'), 'xyz!');
    assert.deepEqual(readdirSync(root), ['a.txt']);
  });

  it('creates the folder only when asked', () => {
    const p = join(root, 'new', 'deeper', 'b.json');
    assert.throws(() => writeFileAtomic(p, '{}'), { code: 'ENOENT' });
    writeFileAtomic(p, '{}\n', { mkdir: true });
    assert.equal(readFileSync(p, 'utf8'), '{}\n');
  });

  it('leaves no temporary file and the old target when the rename fails', () => {
    const dir = join(root, 'fail');
    mkdirSync(join(dir, 'target'), { recursive: true });
    writeFileSync(join(dir, 'target', 'keep'), 'kept');
    assert.throws(() => writeFileAtomic(join(dir, 'target'), 'new'), { code: 'EISDIR' });
    assert.deepEqual(readdirSync(dir), ['target']);
    assert.equal(readFileSync(join(dir, 'target', 'keep'), 'utf8'), 'kept');
  });
});
