//! Translates the CEL rules of the CRDs (`x-kubernetes-validations`) into Rust.
//!
//! Only the part of CEL the Istio CRDs use is understood: literals, `self` and macro
//! variables, field selection, `has()`, the `all`/`exists`/`exists_one` macros, the usual
//! operators, and a table of functions ([`FUNCTIONS`]) that the run-time module
//! `istio_types::validate::cel` implements. Anything else is refused with an error, so a
//! rule the generated code cannot check never goes unnoticed.

use std::fmt::Write as _;

use anyhow::{Result, anyhow, bail};

/// A parsed CEL expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Ident(String),
    Int(i64),
    Uint(u64),
    Double(f64),
    Str(String),
    Bool(bool),
    Null,
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Select(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Call {
        target: Option<Box<Expr>>,
        name: String,
        args: Vec<Expr>,
    },
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Uint(u64),
    Double(f64),
    Str(String),
    Op(&'static str),
}

const OPS: &[&str] = &[
    "&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "?", ":", "+", "-", "*", "/", "%", "(", ")",
    "[", "]", "{", "}", ".", ",",
];

fn lex(src: &str) -> Result<Vec<Tok>> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        // Raw strings: `r"..."`, `r'...'`, `r"""..."""` (no escapes).
        if (c == 'r' || c == 'R') && matches!(chars.get(i + 1), Some('"' | '\'')) {
            let (s, next) = lex_raw_string(&chars, i + 1)?;
            out.push(Tok::Str(s));
            i = next;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            if text.contains('.') {
                out.push(Tok::Double(text.parse()?));
            } else if i < chars.len() && (chars[i] == 'u' || chars[i] == 'U') {
                i += 1;
                out.push(Tok::Uint(text.parse()?));
            } else {
                out.push(Tok::Int(text.parse()?));
            }
            continue;
        }
        if c == '"' || c == '\'' {
            let (s, next) = lex_string(&chars, i)?;
            out.push(Tok::Str(s));
            i = next;
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let op = OPS
            .iter()
            .find(|op| rest.starts_with(**op))
            .ok_or_else(|| anyhow!("unexpected character {c:?} at {i}"))?;
        out.push(Tok::Op(op));
        i += op.chars().count();
    }
    Ok(out)
}

/// A raw string starting at the quote `start`: single or triple quoted, backslashes kept.
fn lex_raw_string(chars: &[char], start: usize) -> Result<(String, usize)> {
    let quote = chars[start];
    let delim: &[char] = if chars[start..].starts_with(&[quote, quote, quote]) {
        &[quote, quote, quote]
    } else {
        &[quote]
    };
    let mut i = start + delim.len();
    let begin = i;
    while i < chars.len() {
        if chars[i..].starts_with(delim) {
            return Ok((chars[begin..i].iter().collect(), i + delim.len()));
        }
        i += 1;
    }
    bail!("unterminated raw string")
}

fn lex_string(chars: &[char], start: usize) -> Result<(String, usize)> {
    let quote = chars[start];
    if chars[start..].starts_with(&[quote, quote, quote]) {
        bail!("triple-quoted strings are not supported");
    }
    let mut i = start + 1;
    let mut s = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == quote {
            return Ok((s, i + 1));
        }
        if c == '\\' {
            let e = *chars
                .get(i + 1)
                .ok_or_else(|| anyhow!("unterminated escape"))?;
            s.push(match e {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '\\' => '\\',
                '"' => '"',
                '\'' => '\'',
                other => bail!("escape \\{other} is not supported"),
            });
            i += 2;
            continue;
        }
        s.push(c);
        i += 1;
    }
    bail!("unterminated string")
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek_op(&self) -> Option<&'static str> {
        match self.toks.get(self.pos) {
            Some(Tok::Op(o)) => Some(o),
            _ => None,
        }
    }

    fn eat(&mut self, op: &str) -> bool {
        if self.peek_op() == Some(op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, op: &str) -> Result<()> {
        if self.eat(op) {
            Ok(())
        } else {
            bail!("expected `{op}` at token {}", self.pos)
        }
    }

    fn expr(&mut self) -> Result<Expr> {
        let c = self.or()?;
        if self.eat("?") {
            let t = self.or()?;
            self.expect(":")?;
            let e = self.expr()?;
            return Ok(Expr::Cond(Box::new(c), Box::new(t), Box::new(e)));
        }
        Ok(c)
    }

    fn or(&mut self) -> Result<Expr> {
        let mut l = self.and()?;
        while self.eat("||") {
            let r = self.and()?;
            l = Expr::Binary("||", Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Expr> {
        let mut l = self.relation()?;
        while self.eat("&&") {
            let r = self.relation()?;
            l = Expr::Binary("&&", Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn relation(&mut self) -> Result<Expr> {
        let mut l = self.addition()?;
        loop {
            let op = match self.toks.get(self.pos) {
                Some(Tok::Op(o @ ("==" | "!=" | "<" | "<=" | ">" | ">="))) => *o,
                Some(Tok::Ident(i)) if i == "in" => "in",
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.addition()?;
            l = Expr::Binary(op, Box::new(l), Box::new(r));
        }
    }

    fn addition(&mut self) -> Result<Expr> {
        let mut l = self.multiplication()?;
        loop {
            let op = match self.peek_op() {
                Some(o @ ("+" | "-")) => o,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.multiplication()?;
            l = Expr::Binary(op, Box::new(l), Box::new(r));
        }
    }

    fn multiplication(&mut self) -> Result<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek_op() {
                Some(o @ ("*" | "/" | "%")) => o,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.unary()?;
            l = Expr::Binary(op, Box::new(l), Box::new(r));
        }
    }

    fn unary(&mut self) -> Result<Expr> {
        if self.eat("!") {
            return Ok(Expr::Unary("!", Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return Ok(match self.unary()? {
                Expr::Int(n) => Expr::Int(-n),
                Expr::Double(d) => Expr::Double(-d),
                e => Expr::Unary("-", Box::new(e)),
            });
        }
        self.member()
    }

    fn member(&mut self) -> Result<Expr> {
        let mut e = self.primary()?;
        loop {
            if self.eat(".") {
                let Some(Tok::Ident(name)) = self.toks.get(self.pos).cloned() else {
                    bail!("expected a name after `.`");
                };
                self.pos += 1;
                if self.eat("(") {
                    let args = self.args(")")?;
                    e = Expr::Call {
                        target: Some(Box::new(e)),
                        name,
                        args,
                    };
                } else {
                    e = Expr::Select(Box::new(e), name);
                }
            } else if self.eat("[") {
                let i = self.expr()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(i));
            } else {
                return Ok(e);
            }
        }
    }

    fn args(&mut self, close: &str) -> Result<Vec<Expr>> {
        let mut args = Vec::new();
        if self.eat(close) {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat(close) {
                return Ok(args);
            }
            self.expect(",")?;
        }
    }

    fn primary(&mut self) -> Result<Expr> {
        let tok = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or_else(|| anyhow!("unexpected end of rule"))?;
        self.pos += 1;
        Ok(match tok {
            Tok::Int(n) => Expr::Int(n),
            Tok::Uint(n) => Expr::Uint(n),
            Tok::Double(d) => Expr::Double(d),
            Tok::Str(s) => Expr::Str(s),
            Tok::Ident(i) if i == "true" => Expr::Bool(true),
            Tok::Ident(i) if i == "false" => Expr::Bool(false),
            Tok::Ident(i) if i == "null" => Expr::Null,
            Tok::Ident(name) => {
                if self.eat("(") {
                    let args = self.args(")")?;
                    Expr::Call {
                        target: None,
                        name,
                        args,
                    }
                } else {
                    Expr::Ident(name)
                }
            }
            Tok::Op("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                e
            }
            Tok::Op("[") => Expr::List(self.args("]")?),
            Tok::Op("{") => {
                let mut entries = Vec::new();
                if !self.eat("}") {
                    loop {
                        let k = self.expr()?;
                        self.expect(":")?;
                        let v = self.expr()?;
                        entries.push((k, v));
                        if self.eat("}") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Expr::Map(entries)
            }
            Tok::Op(o) => bail!("unexpected `{o}`"),
        })
    }
}

/// Parses a CEL expression.
///
/// # Errors
/// On syntax the generator does not understand.
pub fn parse(src: &str) -> Result<Expr> {
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
    };
    let e = p.expr()?;
    if p.pos != p.toks.len() {
        bail!("unexpected trailing input at token {}", p.pos);
    }
    Ok(e)
}

/// How a CEL function is called, and the run-time function that implements it.
struct Function {
    name: &'static str,
    /// Receiver-style (`x.f(a)`) or global (`f(x, a)`); the receiver counts as the
    /// first argument of the run-time function.
    method: bool,
    /// Arguments, not counting a receiver.
    arity: usize,
    rust: &'static str,
}

/// The CEL functions the translation supports (Kubernetes' CEL environment: the standard
/// library, the strings extension and the URL library).
const FUNCTIONS: &[Function] = &[
    Function {
        name: "size",
        method: false,
        arity: 1,
        rust: "size",
    },
    Function {
        name: "size",
        method: true,
        arity: 0,
        rust: "size",
    },
    Function {
        name: "contains",
        method: true,
        arity: 1,
        rust: "contains",
    },
    Function {
        name: "startsWith",
        method: true,
        arity: 1,
        rust: "starts_with",
    },
    Function {
        name: "endsWith",
        method: true,
        arity: 1,
        rust: "ends_with",
    },
    Function {
        name: "substring",
        method: true,
        arity: 1,
        rust: "substring_from",
    },
    Function {
        name: "substring",
        method: true,
        arity: 2,
        rust: "substring",
    },
    Function {
        name: "lowerAscii",
        method: true,
        arity: 0,
        rust: "lower_ascii",
    },
    Function {
        name: "upperAscii",
        method: true,
        arity: 0,
        rust: "upper_ascii",
    },
    Function {
        name: "duration",
        method: false,
        arity: 1,
        rust: "duration",
    },
    Function {
        name: "int",
        method: false,
        arity: 1,
        rust: "int",
    },
    Function {
        name: "string",
        method: false,
        arity: 1,
        rust: "string",
    },
    Function {
        name: "url",
        method: false,
        arity: 1,
        rust: "url",
    },
    Function {
        name: "isURL",
        method: false,
        arity: 1,
        rust: "is_url",
    },
    Function {
        name: "split",
        method: true,
        arity: 1,
        rust: "split",
    },
    Function {
        name: "isIP",
        method: false,
        arity: 1,
        rust: "is_ip",
    },
    Function {
        name: "getScheme",
        method: true,
        arity: 0,
        rust: "get_scheme",
    },
    Function {
        name: "getHost",
        method: true,
        arity: 0,
        rust: "get_host",
    },
];

/// The named formats of Kubernetes' CEL format library the run time implements.
const FORMATS: &[&str] = &["dns1123Label"];

/// What a rule needs beyond the function body: regular expressions to compile once.
#[derive(Debug, Default)]
pub struct Translation {
    /// The body of `fn(this: &Value) -> Result<bool, CelError>`.
    pub body: String,
    /// Literal regular expressions used with `matches`, as (static name, pattern).
    pub patterns: Vec<(String, String)>,
}

/// Whether a rule compares with the previous version of the object (`oldSelf`): such a
/// transition rule only applies to updates and cannot be checked on one object.
pub fn is_transition(expr: &Expr) -> bool {
    match expr {
        Expr::Ident(name) => name == "oldSelf",
        Expr::Call { target, args, .. } => {
            target.as_deref().is_some_and(is_transition) || args.iter().any(is_transition)
        }
        Expr::List(xs) => xs.iter().any(is_transition),
        Expr::Map(xs) => xs.iter().any(|(k, v)| is_transition(k) || is_transition(v)),
        Expr::Select(e, _) | Expr::Unary(_, e) => is_transition(e),
        Expr::Index(a, b) | Expr::Binary(_, a, b) => is_transition(a) || is_transition(b),
        Expr::Cond(a, b, c) => is_transition(a) || is_transition(b) || is_transition(c),
        _ => false,
    }
}

/// Translates one rule into the body of a Rust function over `this: &serde_json::Value`.
///
/// # Errors
/// When the rule uses something outside the supported subset.
pub fn translate(rule: &str, pattern_prefix: &str) -> Result<Translation> {
    let expr = parse(rule)?;
    let mut t = Translator {
        vars: vec!["self".to_string()],
        patterns: Vec::new(),
        pattern_prefix: pattern_prefix.to_string(),
    };
    let code = t.res(&expr)?;
    Ok(Translation {
        body: format!("let v_self = cel::Val::json(this);\ncel::result({code})"),
        patterns: t.patterns,
    })
}

/// The functions and macros a rule calls.
#[cfg(test)]
pub fn functions_used(expr: &Expr, out: &mut std::collections::BTreeSet<String>) {
    match expr {
        Expr::Call { target, name, args } => {
            out.insert(name.clone());
            if let Some(t) = target {
                functions_used(t, out);
            }
            for a in args {
                functions_used(a, out);
            }
        }
        Expr::List(xs) => xs.iter().for_each(|x| functions_used(x, out)),
        Expr::Map(xs) => xs.iter().for_each(|(k, v)| {
            functions_used(k, out);
            functions_used(v, out);
        }),
        Expr::Select(e, _) | Expr::Unary(_, e) => functions_used(e, out),
        Expr::Index(a, b) | Expr::Binary(_, a, b) => {
            functions_used(a, out);
            functions_used(b, out);
        }
        Expr::Cond(a, b, c) => {
            functions_used(a, out);
            functions_used(b, out);
            functions_used(c, out);
        }
        _ => {}
    }
}

struct Translator {
    vars: Vec<String>,
    patterns: Vec<(String, String)>,
    pattern_prefix: String,
}

const RES: &str = "cel::Res<'a>";

impl Translator {
    /// Rust code for an expression of type `cel::Val<'a>` (using `?` on failure).
    fn val(&mut self, e: &Expr) -> Result<String> {
        Ok(match e {
            Expr::Ident(name) if self.vars.contains(name) => format!("v_{name}.clone()"),
            Expr::Int(n) => format!("cel::Val::Int({n})"),
            Expr::Uint(n) => format!("cel::Val::Uint({n})"),
            Expr::Double(d) => format!("cel::Val::Double({d:?})"),
            Expr::Str(s) => format!("cel::Val::str({s:?})"),
            Expr::Bool(b) => format!("cel::Val::Bool({b})"),
            Expr::Null => "cel::Val::Null".into(),
            Expr::List(xs) => {
                let items: Result<Vec<String>> = xs.iter().map(|x| self.val(x)).collect();
                format!("cel::Val::List(vec![{}])", items?.join(", "))
            }
            Expr::Map(entries) => {
                let mut items = Vec::new();
                for (k, v) in entries {
                    items.push(format!("({}, {})", self.val(k)?, self.val(v)?));
                }
                format!("cel::Val::Map(vec![{}])", items.join(", "))
            }
            Expr::Call {
                target: None,
                name,
                args,
            } if name == "has" => match args.as_slice() {
                [Expr::Select(obj, field)] => {
                    format!("cel::Val::Bool(cel::has({}, {field:?})?)", self.arg(obj)?)
                }
                _ => bail!("has() needs a field selection as its argument"),
            },
            other => format!("({})?", self.res(other)?),
        })
    }

    /// Rust code for a `&cel::Val<'a>` argument.
    fn arg(&mut self, e: &Expr) -> Result<String> {
        Ok(match e {
            Expr::Ident(name) if self.vars.contains(name) => format!("&v_{name}"),
            other => format!("&{}", self.val(other)?),
        })
    }

    /// Rust code for an expression of type `Result<cel::Val<'a>, cel::CelError>`.
    fn res(&mut self, e: &Expr) -> Result<String> {
        Ok(match e {
            Expr::Ident(name) if name == "oldSelf" => {
                bail!("transition rule (refers to oldSelf)")
            }
            Expr::Ident(name) if !self.vars.contains(name) => {
                bail!("unknown identifier `{name}`")
            }
            Expr::Ident(_)
            | Expr::Int(_)
            | Expr::Uint(_)
            | Expr::Double(_)
            | Expr::Str(_)
            | Expr::Bool(_)
            | Expr::Null
            | Expr::List(_)
            | Expr::Map(_) => format!("Ok({})", self.val(e)?),
            Expr::Select(target, field) => format!("cel::select({}, {field:?})", self.arg(target)?),
            Expr::Index(target, index) => {
                format!("cel::index({}, {})", self.arg(target)?, self.arg(index)?)
            }
            Expr::Unary("!", x) => format!("cel::not({})", self.arg(x)?),
            Expr::Unary("-", x) => format!("cel::neg({})", self.arg(x)?),
            Expr::Unary(op, _) => bail!("unsupported operator `{op}`"),
            Expr::Binary(op @ ("&&" | "||"), l, r) => {
                let f = if *op == "&&" { "and" } else { "or" };
                format!(
                    "cel::{f}(|| -> {RES} {{ {} }}, || -> {RES} {{ {} }})",
                    self.res(l)?,
                    self.res(r)?
                )
            }
            Expr::Binary(op, l, r) => {
                let f = match *op {
                    "==" => "eq",
                    "!=" => "ne",
                    "<" => "lt",
                    "<=" => "le",
                    ">" => "gt",
                    ">=" => "ge",
                    "in" => "in_",
                    "+" => "add",
                    "-" => "sub",
                    "*" => "mul",
                    "/" => "div",
                    "%" => "rem",
                    other => bail!("unsupported operator `{other}`"),
                };
                format!("cel::{f}({}, {})", self.arg(l)?, self.arg(r)?)
            }
            Expr::Cond(c, t, f) => format!(
                "if cel::condition({})? {{ {} }} else {{ {} }}",
                self.arg(c)?,
                self.res(t)?,
                self.res(f)?
            ),
            Expr::Call { target, name, args } => self.call(target.as_deref(), name, args)?,
        })
    }

    fn call(&mut self, target: Option<&Expr>, name: &str, args: &[Expr]) -> Result<String> {
        match (name, target, args) {
            ("has", None, [Expr::Select(..)]) => {
                let call = Expr::Call {
                    target: None,
                    name: name.to_string(),
                    args: args.to_vec(),
                };
                return Ok(format!("Ok({})", self.val(&call)?));
            }
            ("has", ..) => bail!("has() needs a field selection as its argument"),
            ("all" | "exists" | "exists_one" | "filter", Some(range), [Expr::Ident(var), body]) => {
                if self.vars.contains(var) || var == "oldSelf" {
                    bail!("macro variable `{var}` shadows another variable");
                }
                let range = self.arg(range)?;
                self.vars.push(var.clone());
                let body = self.res(body);
                self.vars.pop();
                return Ok(format!(
                    "cel::{name}({range}, |v_{var}: cel::Val<'a>| -> {RES} {{ {} }})",
                    body?
                ));
            }
            // Kubernetes' format library: `format.<name>().validate(x)` is null when `x`
            // has the format, else a list of errors.
            (
                "validate",
                Some(Expr::Call {
                    target: Some(lib),
                    name: format,
                    args: no_args,
                }),
                [x],
            ) if matches!(lib.as_ref(), Expr::Ident(l) if l == "format") && no_args.is_empty() => {
                if !FORMATS.contains(&format.as_str()) {
                    bail!("format.{format}() is not supported");
                }
                return Ok(format!(
                    "cel::format_validate({format:?}, {})",
                    self.arg(x)?
                ));
            }
            ("all" | "exists" | "exists_one" | "map" | "filter", ..) => {
                bail!("macro {name}() is only supported as x.{name}(var, predicate)")
            }
            ("matches", Some(s), [Expr::Str(pattern)])
            | ("matches", None, [s, Expr::Str(pattern)]) => {
                let n = format!("{}{}", self.pattern_prefix, self.patterns.len());
                self.patterns.push((n.clone(), pattern.clone()));
                return Ok(format!("cel::matches({}, &{n})", self.arg(s)?));
            }
            ("matches", ..) => bail!("matches() is only supported with a literal pattern"),
            _ => {}
        }
        let f = FUNCTIONS
            .iter()
            .find(|f| f.name == name && f.method == target.is_some() && f.arity == args.len())
            .ok_or_else(|| {
                anyhow!(
                    "function {}{name}() with {} argument(s) is not supported",
                    if target.is_some() { "<receiver>." } else { "" },
                    args.len()
                )
            })?;
        let mut parts = Vec::new();
        if let Some(t) = target {
            parts.push(self.arg(t)?);
        }
        for a in args {
            parts.push(self.arg(a)?);
        }
        let mut out = String::new();
        let _ = write!(out, "cel::{}({})", f.rust, parts.join(", "));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_precedence() {
        let e = parse("a || b && !c").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            e,
            Expr::Binary(
                "||",
                Box::new(Expr::Ident("a".into())),
                Box::new(Expr::Binary(
                    "&&",
                    Box::new(Expr::Ident("b".into())),
                    Box::new(Expr::Unary("!", Box::new(Expr::Ident("c".into()))))
                ))
            )
        );
        let e = parse("x ? 1 : y ? 2 : 3").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(e, Expr::Cond(_, _, ref f) if matches!(**f, Expr::Cond(..))));
        let e = parse("(has(self.a) ? 1 : 0) + 2 <= 1").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(e, Expr::Binary("<=", ..)));
        let e = parse("self.x in [\"a\", 'b'] && {}.size() == 0").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(e, Expr::Binary("&&", ..)));
    }

    #[test]
    fn translates_macros_and_functions() {
        let t = translate(
            "self.all(key, size(key) < 63 && key.matches(\"^[a-z]+$\"))",
            "RE_1_",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(t.body.contains("cel::all("), "{}", t.body);
        assert!(t.body.contains("|v_key: cel::Val<'a>|"), "{}", t.body);
        assert_eq!(
            t.patterns,
            vec![("RE_1_0".to_string(), "^[a-z]+$".to_string())]
        );
    }

    #[test]
    fn translates_the_gateway_api_extras() {
        // Raw strings keep backslashes, in single and triple quotes.
        let t = translate(
            r#"self.matches(r"""^\*\.a$""") && self.matches(r'^\d$')"#,
            "P",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.patterns[0].1, r"^\*\.a$");
        assert_eq!(t.patterns[1].1, r"^\d$");
        for rule in [
            "self.filter(f, f.type == 'CORS').size() <= 1",
            "self.all(key, key.split(\"/\")[0].size() < 253)",
            "self.all(h, !isIP(h))",
            "size(self) == 0 || format.dns1123Label().validate(self) == null",
        ] {
            assert!(translate(rule, "P").is_ok(), "{rule}");
        }
        assert!(translate("format.dns1035Label().validate(self) == null", "P").is_err());
    }

    #[test]
    fn refuses_what_it_cannot_translate() {
        for rule in [
            "self.foo(1)",
            "quantity(self) > 1",
            "self.map(x, x + 1)",
            "self.matches(self.pattern)",
            "has(self)",
            "unknown == 1",
            "self == oldSelf",
            "self.x ~ 1",
            "'''a'''",
        ] {
            assert!(translate(rule, "P").is_err(), "{rule} should be refused");
        }
        assert!(is_transition(
            &parse("self.a == oldSelf.a").unwrap_or_else(|e| panic!("{e}"))
        ));
        assert!(!is_transition(
            &parse("self.a == 1").unwrap_or_else(|e| panic!("{e}"))
        ));
    }
}
