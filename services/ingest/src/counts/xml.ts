/**
 * XML of counts feeds (DATEX II), read with a maintained parser (fast-xml-parser): elements, attributes, text,
 * CDATA; comments, processing instructions and the declaration dropped; no entity expansion (no XXE: external
 * entities refused), the five predefined entities and numeric character references decoded. Namespace prefixes are
 * kept in `name` and stripped in `local`. Returns null on malformed input (fast-xml-parser's validator: unclosed or
 * mismatched tags, bad attributes). Depth is capped.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  name: string;
  local: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const MAX_DEPTH = 256;

function decode(s: string): string | null {
  if (s.indexOf('&') < 0) return s;
  let bad = false;
  const out = s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|&/g, (m, ent: string | undefined) => {
    if (ent === undefined) {
      bad = true;
      return m;
    }
    if (ent[0] === '#') {
      const code = ent[1] === 'x' ? Number.parseInt(ent.slice(2), 16) : Number.parseInt(ent.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff) {
        bad = true;
        return m;
      }
      return String.fromCodePoint(code);
    }
    const map: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    const v = map[ent];
    if (v === undefined) {
      bad = true;
      return m;
    }
    return v;
  });
  return bad ? null : out;
}

const localName = (n: string): string => n.slice(n.indexOf(':') + 1);

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Entities are decoded by `decode` (the five predefined ones and character references only): a DOCTYPE's
  // entities are never expanded, external ones are refused by the parser.
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata',
});

type Node = Record<string, unknown>;

/** fast-xml-parser's ordered nodes → XmlElement (null on an undecodable entity or a tree deeper than MAX_DEPTH). */
function element(name: string, node: Node, depth: number): XmlElement | null {
  if (depth > MAX_DEPTH) return null;
  const el: XmlElement = { name, local: localName(name), attrs: {}, children: [], text: '' };
  for (const [k, v] of Object.entries((node[':@'] as Record<string, string> | undefined) ?? {})) {
    const d = decode(String(v));
    if (d === null) return null;
    el.attrs[k] = d;
  }
  for (const c of (node[name] as Node[] | undefined) ?? []) {
    if ('#text' in c) {
      const t = decode(String(c['#text']));
      if (t === null) return null;
      el.text += t;
    } else if ('#cdata' in c) {
      for (const t of c['#cdata'] as Node[]) el.text += String(t['#text'] ?? '');
    } else {
      const tag = Object.keys(c).find((k) => k !== ':@');
      if (tag === undefined) continue;
      const e = element(tag, c, depth + 1);
      if (e === null) return null;
      el.children.push(e);
    }
  }
  return el;
}

/** Parses an XML document with fast-xml-parser (validated first); null when it is malformed. */
export function parseXml(src: string): XmlElement | null {
  if (XMLValidator.validate(src) !== true) return null;
  let nodes: Node[];
  try {
    nodes = parser.parse(src) as Node[];
  } catch {
    return null;
  }
  const roots = nodes.filter((n) => !('#text' in n));
  if (roots.length !== 1) return null;
  const tag = Object.keys(roots[0]).find((k) => k !== ':@');
  return tag === undefined ? null : element(tag, roots[0], 1);
}

/** Direct children with a local name. */
export function children(el: XmlElement, local: string): XmlElement[] {
  return el.children.filter((c) => c.local === local);
}

export function child(el: XmlElement, local: string): XmlElement | undefined {
  return el.children.find((c) => c.local === local);
}

/** All descendants (depth-first) with a local name. */
export function descendants(el: XmlElement, local: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (c.local === local) out.push(c);
    descendants(c, local, out);
  }
  return out;
}

/** Attribute by local name (ignores the prefix, e.g. xsi:type). */
export function attr(el: XmlElement, local: string): string | undefined {
  for (const [k, v] of Object.entries(el.attrs)) if (localName(k) === local) return v;
  return undefined;
}
