//! The tree [`super::syntax::parse`] builds: what matching needs (simulate translates it
//! for the `regex` crate) and what the size limits need ([`super::limits`]).

/// One parsed regular expression, or a part of one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    /// Matches the empty string (`()`, `a|`, an empty pattern).
    Empty,
    /// One code point. A surrogate (`\x{D800}`) is kept: Go accepts it, it matches no text.
    Literal(u32),
    /// `.`: any character but `\n` (any at all under the `s` flag).
    AnyChar,
    /// `[...]`, `\d`, `\pN`, ...
    Class(Class),
    /// `^`, `$`, `\A`, `\z`, `\b`, `\B`.
    Assert(Assert),
    /// `(...)`, `(?P<name>...)`, `(?<name>...)` (capturing) or `(?:...)`, `(?i:...)`.
    Group {
        /// Whether it is a capture group (named or not).
        capture: bool,
        /// Flags set for the group's inside (`(?i:...)`).
        flags: Option<Flags>,
        /// The inside.
        sub: Box<Node>,
    },
    /// `(?i)`: flags changed from here to the end of the enclosing group.
    SetFlags(Flags),
    /// One after the other.
    Concat(Vec<Node>),
    /// The first branch that matches (leftmost-first, like Perl).
    Alternate(Vec<Node>),
    /// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each maybe followed by `?` (lazy).
    Repeat {
        /// The least count.
        min: u32,
        /// The greatest count; `None` for no bound.
        max: Option<u32>,
        /// `false` when written with a trailing `?`.
        greedy: bool,
        /// What is repeated.
        sub: Box<Node>,
    },
}

/// An empty-width assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Assert {
    /// `^`: start of text (of a line under `m`).
    Caret,
    /// `$`: end of text (of a line under `m`).
    Dollar,
    /// `\A`.
    TextStart,
    /// `\z`.
    TextEnd,
    /// `\b`: an ASCII word boundary.
    WordBoundary,
    /// `\B`.
    NotWordBoundary,
}

/// A flag change: the flags (of `i`, `m`, `s`, `U`) turned on and off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    /// Turned on, in the order `imsU`.
    pub(crate) on: String,
    /// Turned off, in the order `imsU`.
    pub(crate) off: String,
}

/// A character class.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Class {
    /// `[^...]`, `\D`, `\PN`.
    pub(crate) negated: bool,
    /// The union of these.
    pub(crate) items: Vec<ClassItem>,
}

/// One part of a character class.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ClassItem {
    /// `a` or `a-z`, as code points (a surrogate end is possible, see [`Node::Literal`]).
    Range(u32, u32),
    /// `\d`, `\s` or `\w` (ASCII in RE2), negated for `\D`, `\S`, `\W`.
    Perl(Perl, bool),
    /// `[:alpha:]` (ASCII), negated for `[:^alpha:]`.
    Posix(&'static str, bool),
    /// `\pN`, `\p{Greek}`, negated for `\PN`, `\p{^Greek}`; the name as Unicode spells it.
    Unicode(&'static str, bool),
}

/// RE2's Perl classes, which are ASCII-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Perl {
    /// `\d`: `[0-9]`.
    Digit,
    /// `\s`: `[\t\n\f\r ]` (no `\v`).
    Space,
    /// `\w`: `[0-9A-Za-z_]`.
    Word,
}
