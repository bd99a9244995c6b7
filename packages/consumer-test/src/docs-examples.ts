import { readFileSync } from 'node:fs';

/** One code block of a guide, named by the `<!-- example: NAME -->` comment on the line before it. */
export interface DocExample {
  name: string;
  /** The guide it comes from, relative to the repository root. */
  file: string;
  language: string;
  code: string;
}

const MARKER = /^<!-- example: (\S+)[^>]*-->\s*$/;
const FENCE_OPEN = /^```(\w*)\s*$/;

/**
 * The marked examples of a Markdown guide, verbatim. The consumer test runs exactly these, so a
 * guide cannot drift from what works: a marker without a code block right after it is an error.
 */
export function extractExamples(markdown: string, file: string): DocExample[] {
  const lines = markdown.split('\n');
  const examples: DocExample[] = [];
  for (let index = 0; index < lines.length; index++) {
    const name = MARKER.exec(lines[index] ?? '')?.[1];
    if (name === undefined) continue;
    const open = FENCE_OPEN.exec(lines[index + 1] ?? '');
    if (open === null) throw new Error(`${file}:${index + 1}: example ${name} is not followed by a fenced code block`);
    const end = lines.findIndex((line, at) => at > index + 1 && line.trimEnd() === '```');
    if (end === -1) throw new Error(`${file}:${index + 2}: example ${name}'s code block is never closed`);
    examples.push({ name, file, language: open[1] ?? '', code: `${lines.slice(index + 2, end).join('\n')}\n` });
    index = end;
  }
  return examples;
}

/** The marked examples of several guides, by name; a name used twice is an error. */
export function readExamples(files: { path: string; name: string }[]): Map<string, DocExample> {
  const byName = new Map<string, DocExample>();
  for (const { path, name } of files) {
    for (const example of extractExamples(readFileSync(path, 'utf8'), name)) {
      if (byName.has(example.name)) throw new Error(`example ${example.name} appears twice (${byName.get(example.name)?.file}, ${name})`);
      byName.set(example.name, example);
    }
  }
  return byName;
}
