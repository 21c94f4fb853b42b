"""String helpers that behave exactly like their JavaScript counterparts, for byte-for-byte parity."""

from __future__ import annotations

# ECMAScript WhiteSpace and LineTerminator, what String.prototype.trim() removes. Python's str.strip()
# differs (it strips U+001C..U+001F and keeps U+FEFF), so both languages would disagree on edge cases.
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(text: str) -> str:
    return text.strip(JS_WHITESPACE)


def utf8_length(text: str) -> int:
    """UTF-8 byte length; a lone surrogate counts as the three bytes of U+FFFD, as TextEncoder does."""
    return len(text.encode("utf-8", "surrogatepass"))


def js_utf8(text: str) -> bytes:
    """The bytes TextEncoder gives: UTF-8, with each lone surrogate written as U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")
