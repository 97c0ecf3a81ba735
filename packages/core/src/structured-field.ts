// A small parser for the parts of RFC 8941 Structured Field Values that rate-limit headers use:
// Lists and Dictionaries of Items with Parameters (no Inner Lists). Malformed input gives undefined.

/** A bare item: Integer/Decimal, String, Token (as a string), Byte Sequence (base64 text), Boolean. */
export type BareItem = number | string | boolean;

/** An item with its parameters. */
export interface StructuredItem {
  value: BareItem;
  params: Record<string, BareItem>;
}

class Parser {
  index = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  skip(pattern: RegExp) {
    while (this.index < this.text.length && pattern.test(this.text.charAt(this.index))) this.index++;
  }
  match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.index;
    const found = pattern.exec(this.text);
    if (!found) return undefined;
    this.index += found[0].length;
    return found[0];
  }
  key() {
    return this.match(/[a-z*][a-z\d_.*-]*/y);
  }
  bareItem(): BareItem | undefined {
    const number = this.match(/-?\d{1,15}(?:\.\d{1,3})?(?![\d.])/y);
    if (number !== undefined) return Number(number);
    // sf-string characters: printable ASCII but `"` and `\`, or those two escaped (RFC 8941 §3.3.3).
    const string = this.match(/"(?:[ !#-[\]-~]|\\["\\])*"/y);
    if (string !== undefined) return string.slice(1, -1).replace(/\\(["\\])/g, '$1');
    const token = this.match(/[a-zA-Z*][\w!#$%&'*+.^`|~:/-]*/y);
    if (token !== undefined) return token;
    const bytes = this.match(/:[A-Za-z\d+/=]*:/y);
    if (bytes !== undefined) return bytes.slice(1, -1);
    const boolean = this.match(/\?[01]/y);
    return boolean === undefined ? undefined : boolean === '?1';
  }
  params(): Record<string, BareItem> | undefined {
    const params: Record<string, BareItem> = {};
    while (this.text.charAt(this.index) === ';') {
      this.index++;
      this.skip(/ /);
      const name = this.key();
      if (name === undefined) return undefined;
      let value: BareItem | undefined = true;
      if (this.text.charAt(this.index) === '=') {
        this.index++;
        value = this.bareItem();
        if (value === undefined) return undefined;
      }
      params[name] = value;
    }
    return params;
  }
  item(): StructuredItem | undefined {
    const value = this.bareItem();
    const params = value === undefined ? undefined : this.params();
    return params && { value: value as BareItem, params };
  }
  // Members separated by commas with optional whitespace; `member` parses one and returns false on error.
  members(member: () => boolean): boolean {
    this.skip(/[ \t]/);
    while (this.index < this.text.length) {
      if (!member()) return false;
      this.skip(/[ \t]/);
      if (this.index >= this.text.length) return true;
      if (this.text.charAt(this.index) !== ',') return false;
      this.index++;
      this.skip(/[ \t]/);
      if (this.index >= this.text.length) return false;
    }
    return true;
  }
}

/** Parses a Structured Field List of Items (RFC 8941 §4.2.1). */
export function parseStructuredList(text: string): StructuredItem[] | undefined {
  const parser = new Parser(text);
  const items: StructuredItem[] = [];
  const ok = parser.members(() => {
    const item = parser.item();
    if (item) items.push(item);
    return item !== undefined;
  });
  return ok ? items : undefined;
}

/** Parses a Structured Field Dictionary (RFC 8941 §4.2.2); a key without a value is `true`. */
export function parseStructuredDictionary(text: string): Map<string, StructuredItem> | undefined {
  const parser = new Parser(text);
  const entries = new Map<string, StructuredItem>();
  const ok = parser.members(() => {
    const name = parser.key();
    if (name === undefined) return false;
    let item: StructuredItem | undefined;
    if (parser.text.charAt(parser.index) === '=') {
      parser.index++;
      item = parser.item();
    } else {
      const params = parser.params();
      item = params && { value: true, params };
    }
    if (item) entries.set(name, item);
    return item !== undefined;
  });
  return ok ? entries : undefined;
}
