//! The small pieces of RE2 syntax the parser reads: repeat counts, Perl, POSIX and Unicode
//! classes, character escapes, and Go's error texts.

use super::ast::{ClassItem, Node, Perl};
use super::unicode;

/// Go's `syntax.ErrorCode` texts.
pub(super) const MISSING_BRACKET: &str = "missing closing ]";
pub(super) const INVALID_CHAR_RANGE: &str = "invalid character class range";
pub(super) const INVALID_ESCAPE: &str = "invalid escape sequence";
pub(super) const INVALID_NAMED_CAPTURE: &str = "invalid named capture";
pub(super) const INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
pub(super) const INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
pub(super) const INVALID_REPEAT_SIZE: &str = "invalid repeat count";
pub(super) const MISSING_PAREN: &str = "missing closing )";
pub(super) const MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
pub(super) const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
pub(super) const UNEXPECTED_PAREN: &str = "unexpected )";

/// `maxRepeat` in Go (and RE2's `kMaxRepeat`): the largest count, also for nested counts
/// multiplied together.
pub(crate) const MAX_REPEAT: u32 = 1000;

pub(super) fn err(code: &str, expr: &str) -> String {
    format!("{code}: `{expr}`")
}

/// `{n}`, `{n,}` or `{n,m}` at the start of `s` (Go's `parseRepeat`), with the length
/// read; `None` when it is not one (then `{` is a literal). Counts too large to read
/// saturate, which is as much an error as Go's -1.
pub(super) fn parse_repeat(s: &str) -> Option<(u32, Option<u32>, usize)> {
    let b = s.as_bytes();
    let mut i = 1;
    let min = parse_int(b, &mut i)?;
    let max = match *b.get(i)? {
        b',' => {
            i += 1;
            match *b.get(i)? {
                b'}' => None,
                _ => Some(parse_int(b, &mut i)?),
            }
        }
        _ => Some(min),
    };
    (b.get(i) == Some(&b'}')).then_some((min, max, i + 1))
}

/// Go's `parseInt`: decimal digits without a leading zero (`{01}` is literal text).
pub(super) fn parse_int(b: &[u8], i: &mut usize) -> Option<u32> {
    let start = *i;
    if !b.get(start)?.is_ascii_digit() {
        return None;
    }
    if b.len() >= start + 2 && b[start] == b'0' && b[start + 1].is_ascii_digit() {
        return None;
    }
    let mut n: u32 = 0;
    while let Some(d) = b.get(*i).filter(|d| d.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(u32::from(d - b'0'));
        *i += 1;
    }
    Some(n)
}

/// Go's `repeatIsValid`: the counts of nested repetitions multiplied stay within `n`.
pub(super) fn repeat_is_valid(node: &Node, n: u32) -> bool {
    match node {
        Node::Repeat { min, max, sub, .. } => {
            let m = match max {
                Some(0) => return true,
                Some(m) => *m,
                None => *min,
            };
            if m > n {
                return false;
            }
            repeat_is_valid(sub, n.checked_div(m).unwrap_or(n))
        }
        Node::Group { sub, .. } => repeat_is_valid(sub, n),
        Node::Concat(v) | Node::Alternate(v) => v.iter().all(|s| repeat_is_valid(s, n)),
        _ => true,
    }
}

/// `\d`, `\D`, `\s`, `\S`, `\w`, `\W` at the start of `s`.
pub(super) fn perl_class(s: &str) -> Option<ClassItem> {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'\\' {
        return None;
    }
    let (perl, negated) = match b[1] {
        b'd' => (Perl::Digit, false),
        b'D' => (Perl::Digit, true),
        b's' => (Perl::Space, false),
        b'S' => (Perl::Space, true),
        b'w' => (Perl::Word, false),
        b'W' => (Perl::Word, true),
        _ => return None,
    };
    Some(ClassItem::Perl(perl, negated))
}

/// The POSIX classes Go knows (`posixGroup`), ASCII-only.
pub(super) const POSIX: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// `[:name:]` or `[:^name:]`.
pub(super) fn posix_class(text: &str) -> Option<ClassItem> {
    let inner = &text[2..text.len() - 2];
    let (name, negated) = match inner.strip_prefix('^') {
        Some(n) => (n, true),
        None => (inner, false),
    };
    POSIX
        .iter()
        .find(|&&p| p == name)
        .map(|&p| ClassItem::Posix(p, negated))
}

/// `\pN`, `\PN`, `\p{Name}`, `\p{^Name}` at the start of `s` (Go's `parseUnicodeClass`),
/// with the length read.
pub(super) fn unicode_class(s: &str) -> Result<Option<(ClassItem, usize)>, String> {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'\\' || (b[1] != b'p' && b[1] != b'P') {
        return Ok(None);
    }
    let mut negated = b[1] == b'P';
    let (seq, name) = match s[2..].chars().next() {
        None => (&s[..2], ""),
        Some('{') => {
            let Some(end) = s.find('}') else {
                return Err(err(INVALID_CHAR_RANGE, s));
            };
            (&s[..=end], &s[3..end])
        }
        Some(c) => {
            let seq = &s[..2 + c.len_utf8()];
            (seq, &seq[2..])
        }
    };
    let name = match name.strip_prefix('^') {
        Some(n) => {
            negated = !negated;
            n
        }
        None => name,
    };
    match unicode::lookup(name) {
        Some(official) => Ok(Some((ClassItem::Unicode(official, negated), seq.len()))),
        None => Err(err(INVALID_CHAR_RANGE, seq)),
    }
}

/// A character inside a class: itself, or an escape (Go's `parseClassChar`).
pub(super) fn class_char(s: &str, whole: &str) -> Result<(u32, usize), String> {
    match s.chars().next() {
        None => Err(err(MISSING_BRACKET, whole)),
        Some('\\') => escape(s),
        Some(c) => Ok((c as u32, c.len_utf8())),
    }
}

/// A single-character escape at the start of `s` (Go's `parseEscape`): the code point and
/// the length read.
pub(super) fn escape(s: &str) -> Result<(u32, usize), String> {
    let t = &s[1..];
    let Some(c) = t.chars().next() else {
        return Err(err(TRAILING_BACKSLASH, ""));
    };
    let mut len = 1 + c.len_utf8();
    let b = s.as_bytes();
    let is_octal = |i: usize| b.get(i).is_some_and(|d| (b'0'..=b'7').contains(d));
    match c {
        // Escaped punctuation is itself (Go also allows `\_`).
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => return Ok((c as u32, len)),
        // `\1`..`\7` alone would be backreferences: not supported. With more octal digits
        // (and `\0`) they are octal codes of up to three digits.
        '1'..='7' | '0' if c == '0' || is_octal(2) => {
            let mut r = c as u32 - '0' as u32;
            while len < 4 && is_octal(len) {
                r = r * 8 + u32::from(b[len] - b'0');
                len += 1;
            }
            return Ok((r, len));
        }
        'x' => {
            if t[1..].starts_with('{') {
                // `\x{...}`: one or more hex digits, at most 10FFFF.
                let mut r: u32 = 0;
                let mut digits = 0;
                for (i, d) in t[2..].char_indices() {
                    if d == '}' {
                        if digits == 0 {
                            break;
                        }
                        return Ok((r, 1 + 2 + i + 1));
                    }
                    match d.to_digit(16) {
                        Some(v) if r * 16 + v <= 0x10_FFFF => {
                            r = r * 16 + v;
                            digits += 1;
                        }
                        _ => {
                            let end = 1 + 2 + i + d.len_utf8();
                            return Err(err(INVALID_ESCAPE, &s[..end.min(s.len())]));
                        }
                    }
                }
                return Err(err(INVALID_ESCAPE, s));
            }
            let mut hex = t[1..].chars();
            if let (Some(x), Some(y)) = (hex.next(), hex.next())
                && let (Some(x), Some(y)) = (x.to_digit(16), y.to_digit(16))
            {
                return Ok((x * 16 + y, 4));
            }
            let end = s.char_indices().nth(4).map_or(s.len(), |(i, _)| i);
            return Err(err(INVALID_ESCAPE, &s[..end]));
        }
        'a' => return Ok((0x07, len)),
        'f' => return Ok((0x0C, len)),
        'n' => return Ok((0x0A, len)),
        'r' => return Ok((0x0D, len)),
        't' => return Ok((0x09, len)),
        'v' => return Ok((0x0B, len)),
        _ => {}
    }
    Err(err(INVALID_ESCAPE, &s[..len]))
}
