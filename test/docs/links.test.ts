// Every link of the README and the guides under docs/ points somewhere: a relative link names a
// file or directory of the repository, and a `#fragment` names a heading of the file it points to
// (GitHub's anchors: lower case, punctuation dropped, spaces as hyphens, `-1`, `-2`, ... for
// repeats). Links to other sites are not fetched (no network in tests). The API reference's own
// links ({@link} in the doc comments) are TypeDoc's to check: `npx typedoc --emit none`, which
// scripts/test.sh runs with validation warnings as errors.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const documents = ['README.md', 'scripts/golden/README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor of a heading's text. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file's headings (fenced code skipped), repeats numbered as GitHub numbers them. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The markdown links of a file outside fenced code: `[text](target)`, with their line numbers. */
function links(text: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) return;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ target: m[1], line: i + 1 });
  });
  return out;
}

test('the documents checked are the README, the golden fixtures README and every guide under docs/', () => {
  expect(documents.length).toBeGreaterThanOrEqual(6);
  for (const doc of documents) expect(existsSync(join(root, doc)), doc).toBe(true);
});

test('slug() is GitHub\'s: lower case, code marks and punctuation dropped, spaces as hyphens', () => {
  expect(slug('Muon: the matrix product and the step')).toBe('muon-the-matrix-product-and-the-step');
  expect(slug('`clipGradNorm(params, maxNorm)`: number')).toBe('clipgradnormparams-maxnorm-number');
  expect(slug('Weight averaging (`AveragedModel.update`)')).toBe('weight-averaging-averagedmodelupdate');
});

test.each(documents.map((d) => [d]))('%s: every relative link names a file, and every #fragment a heading of it', (doc) => {
  const text = readFileSync(join(root, doc), 'utf8');
  const local = links(text).filter(({ target }) => !/^(https?:|mailto:)/.test(target));
  for (const { target, line } of local) {
    const [path, fragment] = target.split('#');
    const file = path === '' ? join(root, doc) : join(dirname(join(root, doc)), decodeURI(path));
    expect(existsSync(file), `line ${line}: ${target}: ${relative(root, file)} exists`).toBe(true);
    if (fragment !== undefined) {
      expect(statSync(file).isFile() && file.endsWith('.md'), `line ${line}: #${fragment} needs a markdown file`).toBe(true);
      expect([...anchors(readFileSync(file, 'utf8'))], `line ${line}: #${fragment} is a heading of ${relative(root, file)}`).toContain(fragment);
    }
  }
});
