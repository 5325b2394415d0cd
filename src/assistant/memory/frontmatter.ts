/**
 * The small YAML subset SKILL.md frontmatter uses, parsed by hand to avoid a dependency:
 * block mappings by indentation, block sequences ("- x"), flow collections ({a: 1},
 * [a, b], and JSON), quoted and plain scalars, numbers, booleans, null, and "|" / ">"
 * block scalars. Anything fancier (anchors, tags, multi-document) is not supported.
 */
export interface Frontmatter {
  data: Record<string, unknown>;
  body: string;
}

/** Split "---\n...\n---\n" frontmatter from a markdown text; no frontmatter gives {}. */
export function parseFrontmatter(text: string): Frontmatter {
  const m = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (!m) return { data: {}, body: text };
  const data = parseYamlSubset(m[1]);
  return { data: isMap(data) ? data : {}, body: text.slice(m[0].length) };
}

export function parseYamlSubset(src: string): unknown {
  const lines = src
    .split(/\r?\n/)
    .map((raw) => ({ raw, indent: raw.length - raw.trimStart().length, text: stripComment(raw).trimEnd() }));
  const p = { lines, i: 0 };
  return parseBlock(p, -1);
}

/** Serialise a frontmatter object back (used for export of skills that were built in code). */
export function stringifyFrontmatter(data: Record<string, unknown>, body: string): string {
  const lines = Object.entries(data).map(([k, v]) =>
    `${k}: ${typeof v === 'string' && !/^[\[{"'|>]/.test(v) && !/[:#]\s|\n/.test(v) ? v : JSON.stringify(v)}`,
  );
  return `---\n${lines.join('\n')}\n---\n${body}`;
}

// ---- helpers -------------------------------------------------------------------------

interface Line {
  raw: string;
  indent: number;
  text: string;
}
interface P {
  lines: Line[];
  i: number;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function skipBlank(p: P): void {
  while (p.i < p.lines.length && p.lines[p.i].text.trim() === '') p.i++;
}

/** Parse the block whose lines are indented more than `parent`. */
function parseBlock(p: P, parent: number): unknown {
  skipBlank(p);
  if (p.i >= p.lines.length || p.lines[p.i].indent <= parent) return null;
  const indent = p.lines[p.i].indent;
  if (p.lines[p.i].text.trimStart().startsWith('- ') || p.lines[p.i].text.trim() === '-') return parseSeq(p, indent);
  return parseMap(p, indent);
}

function parseMap(p: P, indent: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (;;) {
    skipBlank(p);
    if (p.i >= p.lines.length) break;
    const line = p.lines[p.i];
    if (line.indent < indent) break;
    if (line.indent > indent) throw new Error(`frontmatter: unexpected indentation at line ${p.i + 1}`);
    const m = /^\s*("[^"]*"|'[^']*'|[^:]+?)\s*:(?:\s+(.*))?$/.exec(line.text);
    if (!m) throw new Error(`frontmatter: expected "key: value" at line ${p.i + 1}`);
    const key = unquote(m[1]);
    const rest = (m[2] ?? '').trim();
    p.i++;
    if (rest === '') out[key] = parseBlock(p, indent);
    else if (rest === '|' || rest === '>' || /^[|>][+-]?$/.test(rest)) out[key] = blockScalar(p, indent, rest[0] === '>');
    else out[key] = scalarOrFlow(rest);
  }
  return out;
}

function parseSeq(p: P, indent: number): unknown[] {
  const out: unknown[] = [];
  for (;;) {
    skipBlank(p);
    if (p.i >= p.lines.length) break;
    const line = p.lines[p.i];
    if (line.indent !== indent || !/^\s*-(\s|$)/.test(line.text)) break;
    const rest = line.text.trimStart().slice(1).trim();
    if (rest === '') {
      p.i++;
      out.push(parseBlock(p, indent));
    } else if (/^[^"'{[][^:]*:(\s|$)/.test(rest)) {
      // "- key: value" starts a mapping item: re-read it as a map indented past the dash.
      const inner = line.indent + (line.text.length - line.text.trimStart().length - line.indent) + 2;
      p.lines[p.i] = { raw: line.raw, indent: inner, text: ' '.repeat(inner) + rest };
      out.push(parseMap(p, inner));
    } else {
      p.i++;
      out.push(scalarOrFlow(rest));
    }
  }
  return out;
}

function blockScalar(p: P, parent: number, folded: boolean): string {
  const parts: string[] = [];
  let indent = -1;
  while (p.i < p.lines.length) {
    const l = p.lines[p.i];
    if (l.raw.trim() === '') {
      parts.push('');
      p.i++;
      continue;
    }
    if (l.indent <= parent) break;
    if (indent < 0) indent = l.indent;
    parts.push(l.raw.slice(indent));
    p.i++;
  }
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  return folded ? parts.join(' ').replace(/ {2,}/g, ' ') : parts.join('\n');
}

function scalarOrFlow(s: string): unknown {
  if (s.startsWith('{') || s.startsWith('[')) {
    try {
      return JSON.parse(s);
    } catch {
      const st = { s, i: 0 };
      const v = flowValue(st);
      return v;
    }
  }
  return scalar(s);
}

function scalar(s: string): unknown {
  const t = s.trim();
  if (/^".*"$/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return t.slice(1, -1);
    }
  }
  if (/^'.*'$/.test(t)) return t.slice(1, -1).replace(/''/g, "'");
  if (t === 'true' || t === 'True') return true;
  if (t === 'false' || t === 'False') return false;
  if (t === 'null' || t === '~' || t === '') return null;
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return Number(t);
  return t;
}

function unquote(k: string): string {
  const v = scalar(k);
  return typeof v === 'string' ? v : k.trim();
}

function flowValue(st: { s: string; i: number }): unknown {
  ws(st);
  const c = st.s[st.i];
  if (c === '{') {
    st.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      ws(st);
      if (st.s[st.i] === '}') {
        st.i++;
        return out;
      }
      const key = String(flowScalar(st, ':'));
      ws(st);
      if (st.s[st.i] === ':') st.i++;
      out[key] = flowValue(st);
      ws(st);
      if (st.s[st.i] === ',') st.i++;
      else if (st.s[st.i] !== '}') throw new Error('frontmatter: bad flow mapping');
    }
  }
  if (c === '[') {
    st.i++;
    const out: unknown[] = [];
    for (;;) {
      ws(st);
      if (st.s[st.i] === ']') {
        st.i++;
        return out;
      }
      out.push(flowValue(st));
      ws(st);
      if (st.s[st.i] === ',') st.i++;
      else if (st.s[st.i] !== ']') throw new Error('frontmatter: bad flow sequence');
    }
  }
  return flowScalar(st, ',]}');
}

function flowScalar(st: { s: string; i: number }, stops: string): unknown {
  ws(st);
  const q = st.s[st.i];
  if (q === '"' || q === "'") {
    let j = st.i + 1;
    while (j < st.s.length && (st.s[j] !== q || st.s[j - 1] === '\\')) j++;
    const raw = st.s.slice(st.i, j + 1);
    st.i = j + 1;
    return scalar(raw);
  }
  let j = st.i;
  while (j < st.s.length && !stops.includes(st.s[j]) && !(stops.includes(',') && st.s[j] === ',')) j++;
  const raw = st.s.slice(st.i, j);
  st.i = j;
  return scalar(raw);
}

function ws(st: { s: string; i: number }): void {
  while (st.i < st.s.length && /\s/.test(st.s[st.i])) st.i++;
}

function stripComment(line: string): string {
  // A '#' starts a comment only outside quotes and after whitespace (so "#hashtag" values survive).
  let q: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === q) q = undefined;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}
