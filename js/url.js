// The platform's WHATWG URL parser, for the redirect parser in src/wasm/url.rs: the wasm carries
// no URL parser of its own for parseRedirect.

// `new URL(input)` when it is an absolute http(s) URL, otherwise undefined.
export function httpUrl(input) {
  let url;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  return url.protocol === "https:" || url.protocol === "http:" ? url : undefined;
}

// The length in bytes of UTF-8 of the string Rust would get (a lone surrogate becomes U+FFFD).
export function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

// Whether the host, read as the URL parser reads it, has non-ASCII characters or escapes of
// non-ASCII bytes: the rule of src/host.rs, so that the native build and this one refuse the
// same redirects.
export function nonAsciiHost(input) {
  const text = input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
  const colon = text.indexOf(":");
  if (colon < 0) return false;
  let rest = text.slice(colon + 1);
  const scheme = text.slice(0, colon).replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (SPECIAL_SCHEMES.includes(scheme)) rest = rest.replace(/^[/\\]+/, "");
  else if (rest.startsWith("//")) rest = rest.slice(2);
  else return false;
  const end = rest.search(/[/\\?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  return /[^\u0000-\u007f]|%[89a-f][0-9a-f]/i.test(authority.slice(authority.lastIndexOf("@") + 1));
}

const SPECIAL_SCHEMES = ["http", "https", "ws", "wss", "ftp"];
