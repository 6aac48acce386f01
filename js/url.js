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
