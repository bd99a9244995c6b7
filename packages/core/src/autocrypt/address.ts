const ADDR_SPEC = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

/**
 * Canonical form of an e-mail address for comparisons and as a table key (Autocrypt Level 1
 * appendix "E-mail Address Canonicalization"): local part lower-cased without locale, domain
 * converted to IDNA ASCII (punycode) and lower-cased.
 */
export function canonicalizeAddress(address: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed.toLowerCase();
  const local = trimmed.slice(0, at).toLowerCase();
  const domain = trimmed.slice(at + 1);
  return `${local}@${toAsciiDomain(domain)}`;
}

function toAsciiDomain(domain: string): string {
  // The WHATWG URL parser applies UTS #46 (IDNA) to host names on every platform that has URL.
  if (/^[\x21-\x7e]*$/.test(domain)) return domain.toLowerCase();
  try {
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return domain.toLowerCase();
  }
}

export function sameAddress(a: string, b: string): boolean {
  return canonicalizeAddress(a) === canonicalizeAddress(b);
}

/**
 * The addr-specs of an RFC 5322 address list (`From`, `To`, `Cc`): display names, quoted
 * strings and comments are skipped, groups are flattened. Elements that hold no plausible
 * address are left out, so callers count what they got.
 */
export function parseAddressList(value: string): string[] {
  const addresses: string[] = [];
  let bare = '';
  let bracketed: string | undefined;
  let inBrackets = false;
  let inQuote = false;
  let commentDepth = 0;
  const flush = () => {
    const candidate = (bracketed ?? bare).trim();
    if (ADDR_SPEC.test(candidate)) addresses.push(candidate);
    bare = '';
    bracketed = undefined;
  };
  for (let i = 0; i < value.length; i++) {
    const char = value.charAt(i);
    if (inQuote) {
      if (char === '\\') i++;
      else if (char === '"') inQuote = false;
    } else if (commentDepth > 0) {
      if (char === '\\') i++;
      else if (char === '(') commentDepth++;
      else if (char === ')') commentDepth--;
    } else if (inBrackets) {
      if (char === '>') inBrackets = false;
      else bracketed += char;
    } else if (char === '"') inQuote = true;
    else if (char === '(') commentDepth = 1;
    else if (char === '<') {
      inBrackets = true;
      bracketed = '';
    } else if (char === ',' || char === ';') flush();
    // A group name ends with a colon; what follows is the group's own address list.
    else if (char === ':') bare = '';
    else bare += char;
  }
  flush();
  return addresses;
}

/** The one address of a `From` field, or undefined when it holds none or several. */
export function singleAddress(value: string): string | undefined {
  const addresses = parseAddressList(value);
  return addresses.length === 1 ? addresses[0] : undefined;
}
