//! RE2 patterns matched with the `regex` crate, as RE2 (in Envoy) matches them.
//!
//! The pattern is parsed with Go's rules (what Istio accepted) and written again in the
//! `regex` crate's syntax, so that it means the same: literals are escaped (`\<` is a
//! literal, `{,5}` literal text, `[&&]` three characters), `\Q...\E` and octal escapes
//! become plain literals, the Perl classes and `\b` stay ASCII (`\s` without `\v`, as in
//! RE2), named groups become plain groups (numbering unchanged, so `\1` in a rewrite still
//! names the same group), and Unicode classes, case folding and `.` work on characters
//! (the crate's `unicode-case`, `unicode-gencat` and `unicode-script` tables).
//!
//! Differences that remain (documented in [`crate::simulate`]): the crate's Unicode tables
//! (Unicode 16) are newer than RE2's and Go's, so a class may hold a few more characters;
//! a flag group between an operand and its operator (`a(?U)*`) keeps the operand's
//! greediness; a regex whose `regex` program would exceed 64 MiB does not compile here.

use std::fmt::Write as _;

use ::regex::bytes::{Regex, RegexBuilder};

use crate::validate::re2::{Assert, Class, ClassItem, Node, Perl, parse_re2};

/// Compiles `pattern` for a full match (Envoy's `RE2::FullMatch`), or for searching with
/// `full_match: false` (a regex rewrite replaces every match).
pub(crate) fn compile(pattern: &str, full_match: bool) -> Result<Regex, String> {
    let node = parse_re2(pattern).map_err(|e| e.to_string())?;
    let body = translate(&node);
    let translated = if full_match {
        format!(r"\A(?:{body})\z")
    } else {
        body
    };
    RegexBuilder::new(&translated)
        // The translation nests deeper than the original; Go allows a depth of 1000.
        .nest_limit(4 * 1000)
        .size_limit(64 << 20)
        .build()
        .map_err(|e| e.to_string())
}

/// The `regex` crate's spelling of a parsed RE2 pattern.
pub(crate) fn translate(node: &Node) -> String {
    let mut out = String::new();
    write_node(&mut out, node);
    out
}

fn write_node(out: &mut String, node: &Node) {
    match node {
        Node::Empty => {}
        Node::Literal(c) => write_literal(out, *c),
        Node::AnyChar => out.push('.'),
        Node::Class(class) => write_class(out, class),
        Node::Assert(a) => out.push_str(match a {
            Assert::Caret => "^",
            Assert::Dollar => "$",
            Assert::TextStart => r"\A",
            Assert::TextEnd => r"\z",
            Assert::WordBoundary => r"(?-u:\b)",
            Assert::NotWordBoundary => r"(?-u:\B)",
        }),
        Node::Group {
            capture,
            flags,
            sub,
        } => {
            match (capture, flags) {
                (true, _) => out.push('('),
                (false, None) => out.push_str("(?:"),
                (false, Some(f)) => {
                    write_flags(out, &f.on, &f.off);
                    out.push(':');
                }
            }
            write_node(out, sub);
            out.push(')');
        }
        Node::SetFlags(f) => {
            write_flags(out, &f.on, &f.off);
            out.push(')');
        }
        Node::Concat(items) => items.iter().for_each(|n| write_node(out, n)),
        Node::Alternate(branches) => {
            for (i, b) in branches.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                write_node(out, b);
            }
        }
        Node::Repeat {
            min,
            max,
            greedy,
            sub,
        } => {
            out.push_str("(?:");
            write_node(out, sub);
            out.push(')');
            match (min, max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (n, None) => _ = write!(out, "{{{n},}}"),
                (n, Some(m)) if n == m => _ = write!(out, "{{{n}}}"),
                (n, Some(m)) => _ = write!(out, "{{{n},{m}}}"),
            }
            if !greedy {
                out.push('?');
            }
        }
    }
}

/// `(?flags` without the closing `)` or `:`.
fn write_flags(out: &mut String, on: &str, off: &str) {
    out.push_str("(?");
    out.push_str(on);
    if !off.is_empty() {
        out.push('-');
        out.push_str(off);
    }
}

/// A code point, escaped unless it is a letter or digit. A surrogate (Go accepts
/// `\x{D800}`) matches nothing.
fn write_literal(out: &mut String, c: u32) {
    match char::from_u32(c) {
        Some(ch) if ch.is_alphanumeric() => out.push(ch),
        Some(_) => _ = write!(out, r"\x{{{c:X}}}"),
        None => out.push_str(r"[^\x{0}-\x{10FFFF}]"),
    }
}

fn write_class(out: &mut String, class: &Class) {
    out.push('[');
    if class.negated {
        out.push('^');
    }
    let mut any = false;
    for item in &class.items {
        match item {
            ClassItem::Range(lo, hi) => {
                // Surrogates are no characters: keep the part of the range that is.
                let lo = if (0xD800..=0xDFFF).contains(lo) {
                    0xE000
                } else {
                    *lo
                };
                let hi = if (0xD800..=0xDFFF).contains(hi) {
                    0xD7FF
                } else {
                    *hi
                };
                if lo > hi {
                    continue;
                }
                _ = write!(out, r"\x{{{lo:X}}}");
                if hi != lo {
                    _ = write!(out, r"-\x{{{hi:X}}}");
                }
            }
            ClassItem::Perl(perl, negated) => {
                let set = match perl {
                    Perl::Digit => "0-9",
                    Perl::Space => r"\x09\x0A\x0C\x0D\x20",
                    Perl::Word => "0-9A-Za-z_",
                };
                if *negated {
                    _ = write!(out, "[^{set}]");
                } else {
                    out.push_str(set);
                }
            }
            ClassItem::Posix(name, negated) => {
                _ = write!(out, "[:{}{name}:]", if *negated { "^" } else { "" });
            }
            // Surrogates (`Cs`) are no characters: the crate has no such class.
            ClassItem::Unicode("Cs", false) => continue,
            ClassItem::Unicode("Cs", true) => out.push_str(r"\x{0}-\x{10FFFF}"),
            ClassItem::Unicode(name, negated) => {
                _ = write!(out, r"\{}{{{name}}}", if *negated { 'P' } else { 'p' });
            }
        }
        any = true;
    }
    if !any {
        // Only surrogates: nothing to match (or everything, negated).
        out.push_str(r"[^\x{0}-\x{10FFFF}]");
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(p: &str) -> Regex {
        compile(p, true).unwrap_or_else(|e| panic!("{p:?}: {e}"))
    }

    #[test]
    fn translations() {
        let t = |p: &str| translate(&parse_re2(p).ok().unwrap());
        assert_eq!(t("/a{,5}"), r"\x{2F}a\x{7B}\x{2C}5\x{7D}");
        assert_eq!(t(r"\d+"), "(?:[0-9])+");
        assert_eq!(t("(?P<n>a)(?:b)(?i)c"), "(a)(?:b)(?i)c");
        assert_eq!(t(r"\Qa.b\E"), r"a\x{2E}b");
        assert_eq!(t(r"\012"), r"\x{A}");
        assert_eq!(t("(?)a"), "a");
    }

    #[test]
    fn hostile_cases() {
        assert!(compile("a**", true).is_err());
        assert!(compile("a{2}{3}", true).is_err());
        assert!(compile("a{1000}{1000}", true).is_err());
        assert!(compile("(a{1000}){1000}", true).is_err());
        let braces = full("/a{,5}");
        assert!(braces.is_match(b"/a{,5}"));
        assert!(!braces.is_match(b"/aaaaa"));
        let n = full(r"/\pN+");
        assert!(n.is_match("/42".as_bytes()));
        assert!(
            n.is_match("/\u{663}\u{2167}".as_bytes()),
            "Arabic-Indic 3, Roman VIII"
        );
        assert!(!n.is_match(b"/x"));
    }

    /// RE2's meaning where the `regex` crate's own syntax would read the pattern otherwise.
    #[test]
    fn matches_like_re2() {
        let yes = |p: &str, s: &str| assert!(full(p).is_match(s.as_bytes()), "{p:?} ~ {s:?}");
        let no = |p: &str, s: &str| assert!(!full(p).is_match(s.as_bytes()), "{p:?} !~ {s:?}");
        // Perl classes and \b are ASCII; \s has no \v.
        no(r"\d", "\u{663}");
        no(r"\w", "\u{e9}");
        yes(r"\s", "\x0C");
        no(r"\s", "\x0B");
        yes(r"[[:space:]]", "\x0B");
        yes("a\\b\u{e9}", "a\u{e9}");
        // `.` and case folding are Unicode.
        yes(".", "\u{e9}");
        yes("(?i)k", "\u{212A}");
        yes("(?i)\u{e9}", "\u{c9}");
        // Escaped `<` `>` are literals, not word boundaries; `[[a]]`, `[a&&b]` are Go's.
        yes(r"\<a\>", "<a>");
        yes("[[a]]", "a]");
        yes("[a&&b]", "&");
        yes("[a-]", "-");
        // Quoted text, octal, and the other escapes.
        yes(r"\Qa.b\E+", "a.bbb");
        yes(r"\101\0", "A\0");
        yes(r"\x{263a}", "\u{263a}");
        // Named groups, also with names the crate would refuse.
        yes("(?P<1>a)(?<b>b)(?P<1>c)", "abc");
        // Flags.
        yes("(?i-i)a(?)", "a");
        no("(?i-i)a", "A");
        yes("(?s).", "\n");
        no(".", "\n");
        // Unicode classes: categories, long names, scripts, loose spelling, negation.
        yes(r"\pL\p{Lu}\p{Uppercase_Letter}", "a\u{c9}B");
        yes(r"\p{Greek}+", "\u{3b1}\u{3b2}");
        yes(r"\p{greek}", "\u{3c9}");
        yes(r"\PN", "x");
        no(r"\p{^Greek}", "\u{3b1}");
        yes(r"[\p{Han}\d]+", "\u{4e2d}1");
        yes(r"\p{Any}\p{ASCII}\p{Assigned}", "\u{1F600}a\u{e9}");
        yes(r"\p{Canadian_Aboriginal}", "\u{1401}");
        // Surrogates (Go accepts `\p{Cs}`, `\x{D800}`) match nothing.
        no(r"\p{Cs}", "\u{FFFD}");
        yes(r"\P{Cs}", "\u{FFFD}");
        yes(r"[\p{Cs}a]", "a");
        // Operands Go allows that the crate's own syntax might not.
        yes("()*a", "a");
        yes("^*a", "a");
        yes("(?:a*)*", "aa");
        yes("a(?i)*b", "aaab");
        yes("(|a)+b", "ab");
        // A surrogate code point (Go accepts it) matches nothing.
        no(r"\x{D800}", "\u{FFFD}");
    }

    /// Every class name Go knows compiles with the crate's tables, alone and negated.
    #[test]
    fn every_unicode_class_go_knows_compiles() {
        let mut n = 0;
        for name in crate::validate::re2::unicode_names() {
            full(&format!(r"\p{{{name}}}\P{{{name}}}[\p{{{name}}}x]"));
            n += 1;
        }
        assert_eq!(n, 3 + 38 + 163);
    }

    #[test]
    fn rewrite_groups_keep_their_numbers() {
        let re = compile("/(?P<v>v[0-9]+)/(.*)", false).unwrap();
        let out = re.replace_all(b"/v1/items", &b"/${2}/${1}"[..]);
        assert_eq!(&out[..], b"/items/v1");
    }
}
