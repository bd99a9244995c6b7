import { readFileSync } from 'node:fs';

/** docs/push-server.md: the configs and commands the tests run come from here, so they cannot drift. */
export const DOC_PATH = new URL('../../../../docs/push-server.md', import.meta.url);

export function readDoc(): string {
  return readFileSync(DOC_PATH, 'utf8');
}

/**
 * The `nth` fenced block of language `lang` after the heading `heading` (and before the next
 * heading of the same or a higher level).
 */
export function codeBlock(doc: string, heading: string, lang: string, nth = 0): string {
  const lines = doc.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`docs/push-server.md has no heading ${JSON.stringify(heading)}`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const blocks: string[] = [];
  let fence: { lang: string; body: string[] } | undefined;
  for (const line of lines.slice(start + 1)) {
    if (fence) {
      if (line === '```') {
        if (fence.lang === lang) blocks.push(`${fence.body.join('\n')}\n`);
        fence = undefined;
      } else fence.body.push(line);
      continue;
    }
    if (line.startsWith('```')) fence = { lang: line.slice(3), body: [] };
    else if (new RegExp(`^#{1,${level}} `).test(line)) break;
  }
  const block = blocks[nth];
  if (block === undefined) throw new Error(`no ${lang} block #${nth} under ${heading} in docs/push-server.md`);
  return block;
}

/**
 * Applies each substitution to every occurrence, and fails when one matches nothing: a doc that
 * changed shape must fail the test rather than be run half-rendered.
 */
export function render(text: string, substitutions: readonly (readonly [string | RegExp, string])[]): string {
  let out = text;
  for (const [from, to] of substitutions) {
    const found = typeof from === 'string' ? out.includes(from) : from.test(out);
    if (!found) throw new Error(`the doc's block no longer contains ${String(from)}`);
    out = typeof from === 'string' ? out.split(from).join(to) : out.replace(new RegExp(from.source, `${from.flags.replace('g', '')}g`), to);
  }
  return out;
}

/** The arguments of the one `fosspush-server ...` command in a shell block (continuations joined). */
export function commandArguments(shellBlock: string): string[] {
  const joined = shellBlock.replace(/\\\n\s*/g, ' ');
  const line = joined.split('\n').find((candidate) => candidate.trimStart().startsWith('fosspush-server '));
  if (!line) throw new Error('no fosspush-server command in the block');
  return line.trim().split(/\s+/).slice(1);
}
