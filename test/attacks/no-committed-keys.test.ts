/**
 * The attack suites make every key at run time (the demo IdPs' keys, the attacker's key pair and
 * certificate). This pins it: no file under test/attacks/ holds a PEM block, a private JWK member
 * or a long base64 run (an embedded DER certificate or key).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('.', import.meta.url).pathname;

// Built from parts so that this file does not match itself.
const KEY_LIKE: [string, RegExp][] = [
  ['PEM block', new RegExp(['-----', 'BEGIN [A-Z0-9 ]+', '-----'].join(''))],
  ['private JWK member', new RegExp(['"(d|p|q|dp|dq|qi|k)"', '\\s*:\\s*"[A-Za-z0-9_-]{16,}"'].join(''))],
  ['long base64 run', new RegExp(['[A-Za-z0-9+/]', '{200,}'].join(''))],
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('test/attacks holds nothing key-like', () => {
  it.each(filesUnder(ROOT).map((f) => [relative(ROOT, f), f]))('%s', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    expect(KEY_LIKE.filter(([, re]) => re.test(text)).map(([what]) => what)).toEqual([]);
  });
});
