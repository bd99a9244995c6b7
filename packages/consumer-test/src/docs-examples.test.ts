import { describe, expect, it } from 'vitest';
import { extractExamples } from './docs-examples.js';

describe('extractExamples', () => {
  it('takes the fenced block after each marker, verbatim, and nothing unmarked', () => {
    const markdown = [
      '# Guide',
      '```ts',
      'unmarked();',
      '```',
      '<!-- example: one (run by the consumer test) -->',
      '```ts',
      "import { a } from 'a';",
      '',
      '  indented();',
      '```',
      'text',
      '<!-- example: two -->',
      '```js',
      'two();',
      '```',
    ].join('\n');
    expect(extractExamples(markdown, 'guide.md')).toEqual([
      { name: 'one', file: 'guide.md', language: 'ts', code: "import { a } from 'a';\n\n  indented();\n" },
      { name: 'two', file: 'guide.md', language: 'js', code: 'two();\n' },
    ]);
  });

  it('refuses a marker that no code block follows, and a block never closed', () => {
    expect(() => extractExamples('<!-- example: lost -->\ntext\n', 'g.md')).toThrow(/g.md:1: example lost is not followed/);
    expect(() => extractExamples('<!-- example: open -->\n```ts\ncode\n', 'g.md')).toThrow(/never closed/);
  });
});
