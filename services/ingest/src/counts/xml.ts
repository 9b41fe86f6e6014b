/**
 * A small, strict-enough XML reader for counts feeds (DATEX II): elements, attributes, text, CDATA,
 * comments, processing instructions, DOCTYPE (skipped, no entity expansion: no XXE), the five predefined
 * entities and numeric character references. Namespace prefixes are kept in `name` and stripped in
 * `local`. Returns null on malformed input (unclosed or mismatched tags, bad attributes). Depth is capped.
 */
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

export function parseXml(src: string): XmlElement | null {
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let i = 0;
  const n = src.length;
  const nameRe = /[A-Za-z_][\w.:-]*/y;
  const attrRe = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
  while (i < n) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const raw = src.slice(i, textEnd);
      if (stack.length > 0) {
        const t = decode(raw);
        if (t === null) return null;
        stack[stack.length - 1].text += t;
      } else if (raw.trim() !== '') return null;
    }
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('<!--', i)) {
      const e = src.indexOf('-->', i + 4);
      if (e < 0) return null;
      i = e + 3;
    } else if (src.startsWith('<![CDATA[', i)) {
      const e = src.indexOf(']]>', i + 9);
      if (e < 0 || stack.length === 0) return null;
      stack[stack.length - 1].text += src.slice(i + 9, e);
      i = e + 3;
    } else if (src.startsWith('<?', i)) {
      const e = src.indexOf('?>', i + 2);
      if (e < 0) return null;
      i = e + 2;
    } else if (src.startsWith('<!', i)) {
      // DOCTYPE: skipped, internal subsets included; entities are never expanded.
      let depth = 0;
      let j = i + 2;
      for (; j < n; j++) {
        const c = src[j];
        if (c === '[') depth++;
        else if (c === ']') depth--;
        else if (c === '>' && depth <= 0) break;
      }
      if (j >= n) return null;
      i = j + 1;
    } else if (src[i + 1] === '/') {
      nameRe.lastIndex = i + 2;
      const m = nameRe.exec(src);
      if (m === null) return null;
      const close = src.indexOf('>', nameRe.lastIndex);
      if (close < 0 || src.slice(nameRe.lastIndex, close).trim() !== '') return null;
      const top = stack.pop();
      if (top === undefined || top.name !== m[0]) return null;
      i = close + 1;
    } else {
      nameRe.lastIndex = i + 1;
      const m = nameRe.exec(src);
      if (m === null) return null;
      const el: XmlElement = { name: m[0], local: localName(m[0]), attrs: {}, children: [], text: '' };
      let j = nameRe.lastIndex;
      for (;;) {
        attrRe.lastIndex = j;
        const a = attrRe.exec(src);
        if (a === null) break;
        const v = decode(a[3] ?? a[4] ?? '');
        if (v === null) return null;
        el.attrs[a[1]] = v;
        j = attrRe.lastIndex;
      }
      while (j < n && /\s/.test(src[j])) j++;
      let selfClosing = false;
      if (src[j] === '/') {
        selfClosing = true;
        j++;
      }
      if (src[j] !== '>') return null;
      i = j + 1;
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      else if (root === null) root = el;
      else return null;
      if (!selfClosing) {
        if (stack.length >= MAX_DEPTH) return null;
        stack.push(el);
      }
    }
  }
  return stack.length === 0 ? root : null;
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
