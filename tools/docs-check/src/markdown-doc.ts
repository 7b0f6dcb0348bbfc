import GithubSlugger from 'github-slugger';
import MarkdownIt, { type Token } from 'markdown-it';

/** Something a doc names, and the 1-based line it is on. */
export interface Located<T> {
  value: T;
  line: number;
}

/** What the checks need of one Markdown file, read with markdown-it (CommonMark + GFM tables). */
export interface MarkdownDoc {
  /** Link and image targets, as written. */
  links: Array<Located<string>>;
  /** The anchors its headings get on GitHub (github-slugger: same rules, same de-duplication). */
  anchors: Set<string>;
  /** The script of each `npm run X`, `npm start` and `npm test`, in code or prose. */
  npmScripts: Array<Located<string>>;
  /** Code spans in prose (not code blocks), where docs name files, commands and values. */
  codeSpans: Array<Located<string>>;
  /** Tables by the heading they sit under: each row's cells as plain text. */
  tables: Array<{ heading: string; rows: string[][] }>;
}

const markdown = new MarkdownIt({ html: true });

/** `npm run bench`, `npm run start:api`, and npm's own shorthands for the start and test scripts. */
const NPM_SCRIPT = /\bnpm (?:run(?:-script)? ([a-z][\w:.-]*\w)|(start|test)\b)/g;

/** The text of an inline token as GitHub renders it: code spans' content without backticks. */
function plainText(inline: Token | undefined): string {
  return (inline?.children ?? []).map((child) => (child.type === 'text' || child.type === 'code_inline' ? child.content : '')).join('');
}

export function readMarkdown(source: string): MarkdownDoc {
  const tokens = markdown.parse(source, {});
  const slugger = new GithubSlugger();
  const doc: MarkdownDoc = { links: [], anchors: new Set(), npmScripts: [], codeSpans: [], tables: [] };
  let heading = '';
  let table: string[][] | undefined;
  let row: string[] | undefined;

  const findNpmScripts = (text: string, line: number) => {
    for (const match of text.matchAll(NPM_SCRIPT)) {
      const before = text.slice(0, match.index);
      doc.npmScripts.push({ value: match[1] ?? match[2]!, line: line + (before.match(/\n/g)?.length ?? 0) });
    }
  };

  let line = 1;
  tokens.forEach((token, index) => {
    // Inline tokens of table cells carry no lines: they are on the line of their row.
    if (token.map) line = token.map[0] + 1;
    switch (token.type) {
      case 'heading_open':
        heading = plainText(tokens[index + 1]);
        doc.anchors.add(slugger.slug(heading));
        break;
      case 'table_open':
        table = [];
        break;
      case 'tr_open':
        row = [];
        break;
      case 'tr_close':
        if (row) table?.push(row);
        break;
      case 'table_close':
        if (table) doc.tables.push({ heading, rows: table });
        table = undefined;
        break;
      case 'fence':
      case 'code_block':
        // A fence's content starts on the line after its opening ```.
        findNpmScripts(token.content, line + (token.type === 'fence' ? 1 : 0));
        break;
      case 'inline':
        if (row && (tokens[index - 1]?.type === 'th_open' || tokens[index - 1]?.type === 'td_open')) row.push(plainText(token));
        for (const child of token.children ?? []) {
          if (child.type === 'link_open') doc.links.push({ value: String(child.attrGet('href') ?? ''), line });
          if (child.type === 'image') doc.links.push({ value: String(child.attrGet('src') ?? ''), line });
          if (child.type === 'code_inline') doc.codeSpans.push({ value: child.content, line });
        }
        findNpmScripts(token.content, line);
        break;
    }
  });
  return doc;
}
