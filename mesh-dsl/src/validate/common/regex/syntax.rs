//! A parser for RE2 syntax that accepts and rejects exactly what Go's `regexp/syntax`
//! does with the flags `regexp.Compile` uses (`syntax.Perl`), error messages included.
//!
//! It follows `src/regexp/syntax/parse.go` (Go 1.25+, the release line Istio builds with)
//! rule by rule; each rule that differs from `regex-syntax` names the Go function it comes
//! from. The tree it builds keeps what matching needs (simulate translates it for the
//! `regex` crate) and what the size limits need ([`super::limits`]).

use super::ast::{Assert, Class, ClassItem, Flags, Node};
use super::escapes::*;

/// Parses `re` as Go's `regexp.Compile` does. The error reads like Go's, without its
/// `error parsing regexp: ` prefix: ``invalid nested repetition operator: `**` ``.
///
/// The parser keeps its own stack of open groups instead of recursing, so that deeply
/// nested input cannot overflow the thread's stack.
pub(crate) fn parse(re: &str) -> Result<Node, String> {
    let mut p = Parser { s: re, pos: 0 };
    let mut open: Vec<Frame> = vec![Frame::top()];
    loop {
        let start = p.pos;
        let Some(c) = p.peek() else { break };
        let depth = open.len();
        let f = open.last_mut().unwrap_or_else(|| unreachable!());
        let mut this_repeat = None;
        match c {
            '|' => {
                p.pos += 1;
                f.end_branch();
            }
            ')' => {
                if depth == 1 {
                    return Err(err(UNEXPECTED_PAREN, re));
                }
                p.pos += 1;
                let done = open.pop().unwrap_or_else(|| unreachable!());
                let node = done.finish();
                let parent = open.last_mut().unwrap_or_else(|| unreachable!());
                parent.push_atom(node);
            }
            '(' if p.peek_at(1) == Some('?') => match p.perl_flags()? {
                PerlFlags::Open { capture, flags } => open.push(Frame::new(capture, flags)),
                PerlFlags::Set(Some(flags)) => f.items.push(Node::SetFlags(flags)),
                PerlFlags::Set(None) => {}
            },
            '(' => {
                p.pos += 1;
                open.push(Frame::new(true, None));
            }
            '*' | '+' | '?' | '{' => {
                let (min, max) = match c {
                    '*' => (0, None),
                    '+' => (1, None),
                    '?' => (0, Some(1)),
                    _ => match parse_repeat(p.rest()) {
                        None => {
                            // Not `{n}`, `{n,}` or `{n,m}`: the `{` is a literal.
                            p.pos += 1;
                            f.push_atom(Node::Literal('{' as u32));
                            f.last_repeat = None;
                            continue;
                        }
                        Some((min, max, len)) => {
                            p.pos += len - 1;
                            if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT || min > m) {
                                return Err(err(INVALID_REPEAT_SIZE, &re[start..p.pos + 1]));
                            }
                            (min, max)
                        }
                    },
                };
                p.pos += 1;
                let greedy = if p.peek() == Some('?') {
                    p.pos += 1;
                    false
                } else {
                    true
                };
                if let Some(prev) = f.last_repeat {
                    return Err(err(INVALID_REPEAT_OP, &re[prev..p.pos]));
                }
                let Some(i) = f.last_atom else {
                    return Err(err(MISSING_REPEAT_ARGUMENT, &re[start..p.pos]));
                };
                let sub = std::mem::replace(&mut f.items[i], Node::Empty);
                f.items[i] = Node::Repeat {
                    min,
                    max,
                    greedy,
                    sub: Box::new(sub),
                };
                if c == '{'
                    && (min >= 2 || max.is_some_and(|m| m >= 2))
                    && !repeat_is_valid(&f.items[i], MAX_REPEAT)
                {
                    return Err(err(INVALID_REPEAT_SIZE, &re[start..p.pos]));
                }
                this_repeat = Some(start);
            }
            '^' | '$' | '.' => {
                p.pos += 1;
                f.push_atom(match c {
                    '^' => Node::Assert(Assert::Caret),
                    '$' => Node::Assert(Assert::Dollar),
                    _ => Node::AnyChar,
                });
            }
            '[' => {
                let class = p.class()?;
                f.push_atom(Node::Class(class));
            }
            '\\' => {
                let before = f.items.len();
                p.backslash(&mut f.items)?;
                if f.items.len() > before {
                    f.last_atom = Some(f.items.len() - 1);
                }
            }
            _ => {
                p.bump();
                f.push_atom(Node::Literal(c as u32));
            }
        }
        if let Some(f) = open.last_mut() {
            f.last_repeat = this_repeat;
        }
    }
    if open.len() > 1 {
        return Err(err(MISSING_PAREN, re));
    }
    Ok(open.pop().map_or(Node::Empty, Frame::finish))
}

/// An open group (or the whole expression) while parsing.
struct Frame {
    /// The whole expression, not a group.
    top: bool,
    capture: bool,
    flags: Option<Flags>,
    /// The branches before the last `|`.
    branches: Vec<Node>,
    /// The current branch.
    items: Vec<Node>,
    /// The item a repetition operator applies to: flag groups such as `(?i)` and empty
    /// `\Q\E` push nothing in Go, so `a(?i)*` repeats the `a`.
    last_atom: Option<usize>,
    /// Where the previous repetition operator began, if the previous token was one (Go's
    /// `lastRepeat`): `a**` is an error, `(?:a*)*` is not.
    last_repeat: Option<usize>,
}

impl Frame {
    fn top() -> Self {
        Self {
            top: true,
            ..Self::new(false, None)
        }
    }

    fn new(capture: bool, flags: Option<Flags>) -> Self {
        Self {
            top: false,
            capture,
            flags,
            branches: Vec::new(),
            items: Vec::new(),
            last_atom: None,
            last_repeat: None,
        }
    }

    fn push_atom(&mut self, node: Node) {
        self.items.push(node);
        self.last_atom = Some(self.items.len() - 1);
    }

    fn end_branch(&mut self) {
        let mut items = std::mem::take(&mut self.items);
        self.branches.push(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        });
        self.last_atom = None;
    }

    /// The group (or expression) as a node.
    fn finish(mut self) -> Node {
        self.end_branch();
        let inside = if self.branches.len() == 1 {
            self.branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alternate(self.branches)
        };
        if self.top {
            return inside;
        }
        Node::Group {
            capture: self.capture,
            flags: self.flags,
            sub: Box::new(inside),
        }
    }
}

/// What `(?` starts.
enum PerlFlags {
    /// A group: `(?P<name>`, `(?<name>`, `(?:`, `(?i:`.
    Open { capture: bool, flags: Option<Flags> },
    /// A flag change for the rest of the group: `(?i)`, or `(?)` (none).
    Set(Option<Flags>),
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// `(?...`: a named group, a non-capturing group or a flag change (Go's
    /// `parsePerlFlags`).
    fn perl_flags(&mut self) -> Result<PerlFlags, String> {
        let s = self.rest();
        let b = s.as_bytes();
        let starts_with_p = b.len() > 4 && b[2] == b'P' && b[3] == b'<';
        let starts_with_name = b.len() > 3 && b[2] == b'<';
        if starts_with_p || starts_with_name {
            let expr_start = if starts_with_name { 3 } else { 4 };
            let Some(end) = s.find('>') else {
                return Err(err(INVALID_NAMED_CAPTURE, s));
            };
            let name = &s[expr_start..end];
            if name.is_empty() || !name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric()) {
                return Err(err(INVALID_NAMED_CAPTURE, &s[..=end]));
            }
            self.pos += end + 1;
            return Ok(PerlFlags::Open {
                capture: true,
                flags: None,
            });
        }
        // Flags, then `:` (a group) or `)` (a change for the rest of this group).
        let mut on = [false; 4];
        let mut off = [false; 4];
        let mut negated = false;
        let mut saw_flag = false;
        let mut i = 2;
        for c in s[2..].chars() {
            i += c.len_utf8();
            match c {
                'i' | 'm' | 's' | 'U' => {
                    let k = "imsU".find(c).unwrap_or(0);
                    if negated {
                        off[k] = true;
                        on[k] = false;
                    } else {
                        on[k] = true;
                    }
                    saw_flag = true;
                }
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                }
                ':' | ')' if !negated || saw_flag => {
                    self.pos += i;
                    let pick = |set: [bool; 4]| {
                        "imsU"
                            .chars()
                            .zip(set)
                            .filter(|&(_, b)| b)
                            .map(|(c, _)| c)
                            .collect::<String>()
                    };
                    let flags = Flags {
                        on: pick(on),
                        off: pick(off),
                    };
                    let flags = (!flags.on.is_empty() || !flags.off.is_empty()).then_some(flags);
                    return Ok(if c == ':' {
                        PerlFlags::Open {
                            capture: false,
                            flags,
                        }
                    } else {
                        PerlFlags::Set(flags)
                    });
                }
                _ => return Err(err(INVALID_PERL_OP, &s[..i])),
            }
        }
        Err(err(INVALID_PERL_OP, s))
    }

    /// A `\` outside a class; pushes what it stands for, `false` when nothing (`\Q\E`).
    fn backslash(&mut self, items: &mut Vec<Node>) -> Result<bool, String> {
        let rest = self.rest();
        match rest.as_bytes().get(1) {
            Some(b'A') => items.push(Node::Assert(Assert::TextStart)),
            Some(b'z') => items.push(Node::Assert(Assert::TextEnd)),
            Some(b'b') => items.push(Node::Assert(Assert::WordBoundary)),
            Some(b'B') => items.push(Node::Assert(Assert::NotWordBoundary)),
            // `\C` (any byte) is RE2's, and Go refuses it.
            Some(b'C') => return Err(err(INVALID_ESCAPE, &rest[..2])),
            Some(b'Q') => {
                // `\Q...\E`: literals up to `\E` or the end.
                let body = &rest[2..];
                let (lit, len) = match body.find("\\E") {
                    Some(e) => (&body[..e], 2 + e + 2),
                    None => (body, rest.len()),
                };
                self.pos += len;
                items.extend(lit.chars().map(|c| Node::Literal(c as u32)));
                return Ok(!lit.is_empty());
            }
            _ => {
                if let Some((item, len)) = unicode_class(rest)? {
                    self.pos += len;
                    items.push(Node::Class(Class {
                        negated: false,
                        items: vec![item],
                    }));
                    return Ok(true);
                }
                if let Some(item) = perl_class(rest) {
                    self.pos += 2;
                    items.push(Node::Class(Class {
                        negated: false,
                        items: vec![item],
                    }));
                    return Ok(true);
                }
                let (c, len) = escape(rest)?;
                self.pos += len;
                items.push(Node::Literal(c));
                return Ok(true);
            }
        }
        self.pos += 2;
        Ok(true)
    }

    /// `[...]` (Go's `parseClass`).
    fn class(&mut self) -> Result<Class, String> {
        let whole = self.rest();
        let mut t = &whole[1..];
        let mut class = Class {
            negated: false,
            items: Vec::new(),
        };
        if t.starts_with('^') {
            class.negated = true;
            t = &t[1..];
        }
        let mut first = true; // `]` is a literal as the first character
        while t.is_empty() || !t.starts_with(']') || first {
            first = false;
            if t.is_empty() {
                return Err(err(MISSING_BRACKET, whole));
            }
            // `[:alpha:]`: the first `:]` anywhere after it ends the name.
            if t.len() > 2
                && t.starts_with("[:")
                && let Some(i) = t[2..].find(":]")
            {
                let name = &t[..i + 4];
                let Some(item) = posix_class(name) else {
                    return Err(err(INVALID_CHAR_RANGE, name));
                };
                class.items.push(item);
                t = &t[i + 4..];
                continue;
            }
            if let Some((item, len)) = unicode_class(t)? {
                class.items.push(item);
                t = &t[len..];
                continue;
            }
            if let Some(item) = perl_class(t) {
                class.items.push(item);
                t = &t[2..];
                continue;
            }
            let range_start = t;
            let (lo, len) = class_char(t, whole)?;
            t = &t[len..];
            let mut hi = lo;
            // `[a-]` is `a` or `-`.
            if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
                t = &t[1..];
                let (h, len) = class_char(t, whole)?;
                t = &t[len..];
                hi = h;
                if hi < lo {
                    let text = &range_start[..range_start.len() - t.len()];
                    return Err(err(INVALID_CHAR_RANGE, text));
                }
            }
            class.items.push(ClassItem::Range(lo, hi));
        }
        t = &t[1..];
        self.pos += whole.len() - t.len();
        Ok(class)
    }
}
