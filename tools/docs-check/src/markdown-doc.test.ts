import { describe, expect, it } from 'vitest';
import { readMarkdown } from './markdown-doc.js';

const SAMPLE = `# msgpipe

See [the guide](docs/guide.md#sending) and ![a picture](docs/way.svg).

## Configuration

| variable | meaning |
|---|---|
| \`PORT\` / \`HOST\` | where it listens, see [Running it](#running-it) |

## Running it

\`\`\`sh
npm start
npm run start:api
\`\`\`

Then \`npm test\`. Not a script: npm install.

## Running it
`;

describe('readMarkdown', () => {
  const doc = readMarkdown(SAMPLE);

  it('finds links and images with their lines, in prose and in tables', () => {
    expect(doc.links).toEqual([
      { value: 'docs/guide.md#sending', line: 3 },
      { value: 'docs/way.svg', line: 3 },
      { value: '#running-it', line: 9 },
    ]);
  });

  it('gives headings the anchors GitHub gives them, repeated ones numbered', () => {
    expect([...doc.anchors]).toEqual(['msgpipe', 'configuration', 'running-it', 'running-it-1']);
  });

  it('finds npm scripts in code blocks and prose, on their lines', () => {
    expect(doc.npmScripts).toEqual([
      { value: 'start', line: 14 },
      { value: 'start:api', line: 15 },
      { value: 'test', line: 18 },
    ]);
  });

  it('finds code spans in prose and tables, not in code blocks', () => {
    expect(doc.codeSpans.map(({ value }) => value)).toEqual(['PORT', 'HOST', 'npm test']);
  });

  it('reads tables as plain text under their heading', () => {
    expect(doc.tables).toEqual([{ heading: 'Configuration', rows: [['variable', 'meaning'], ['PORT / HOST', 'where it listens, see Running it']] }]);
  });
});
