// Parses Mermaid files with Mermaid's own parser and prints, per file, what
// Mermaid understood: vertices, edges and subgraphs with decoded labels.
// Usage: node mermaid-parse.mjs DIR FILE... where DIR holds node_modules with
// mermaid (11) and jsdom. Run by TestMermaidJS (transform/graph).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';

const [dir, ...files] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(dir), 'index.js'));
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import(pathToFileURL(require.resolve('mermaid')).href);
mermaid.initialize({ startOnLoad: false });

// Mermaid keeps "#34;" entity codes as placeholders until it renders; undo
// them here the way its renderer does, and turn <br> into a line break.
const named = { quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\u00a0' };
const decode = (s) => (s ?? '')
  .replace(/ﬂ°°(\d+)¶ß/g, (_, n) => String.fromCodePoint(Number(n)))
  .replace(/ﬂ°(\w+)¶ß/g, (_, n) => named[n] ?? `&${n};`)
  .replace(/<br\s*\/?>/g, '\n');

const out = [];
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  try {
    await mermaid.parse(text);
    const db = (await mermaid.mermaidAPI.getDiagramFromText(text)).db;
    out.push({
      file,
      vertices: [...db.getVertices().values()].map((v) => ({ id: v.id, label: decode(v.text) })),
      edges: db.getEdges().map((e) => ({ from: e.start, to: e.end, label: decode(e.text) })),
      subgraphs: db.getSubGraphs().map((s) => ({ id: s.id, title: decode(s.title), nodes: s.nodes })),
    });
  } catch (err) {
    out.push({ file, error: String(err) });
  }
}
process.stdout.write(JSON.stringify(out));
