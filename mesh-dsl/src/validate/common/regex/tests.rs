//! RE2's verdicts, as Go's `regexp.Compile` (what Istio's webhook runs) gives them.
//!
//! Sources: `go` = `src/regexp/syntax/parse.go` (the rule named), `go-test` =
//! `src/regexp/syntax/parse_test.go` (`parseTests` are accepted, `invalidRegexps` and
//! `onlyPOSIX` refused with Perl flags), `re2` = RE2's syntax page
//! (github.com/google/re2/wiki/Syntax: "NOT SUPPORTED" entries), `istio` =
//! `pkg/config/validation/validation.go` `validateStringRegexp` and
//! `pkg/bootstrap/config.go` (`re2.max_program_size.error_level` 32768).

use super::validate_regex;

/// `Ok(())` is accepted; `Err(text)`: refused, the message containing `text`.
type Verdict = Result<(), &'static str>;

const OK: Verdict = Ok(());

#[rustfmt::skip]
const TABLE: &[(&str, Verdict, &str)] = &[
    // Repetition.
    ("a**", Err("invalid nested repetition operator: `**`"), "go-test onlyPOSIX; go repeat (lastRepeat)"),
    ("a+*", Err("invalid nested repetition operator: `+*`"), "go-test onlyPOSIX"),
    ("a?*", Err("invalid nested repetition operator"), "go-test onlyPOSIX"),
    ("a++", Err("invalid nested repetition operator"), "go-test onlyPOSIX (possessive: not RE2)"),
    ("a{1}*", Err("invalid nested repetition operator: `{1}*`"), "go-test onlyPOSIX"),
    ("a{2}{3}", Err("invalid nested repetition operator: `{2}{3}`"), "go repeat (lastRepeat)"),
    (".{1}{2}.{3}", Err("invalid nested repetition operator"), "go-test onlyPOSIX"),
    ("a{1000}{1000}", Err("invalid nested repetition operator"), "go repeat (lastRepeat)"),
    ("a*?", OK, "go-test parseTests (lazy star)"),
    ("a{2,}?", OK, "go-test parseTests"),
    ("a*??", Err("invalid nested repetition operator: `*??`"), "go repeat (lazy `?` then `?`)"),
    ("(?:a*)*", OK, "go: a group in between resets lastRepeat"),
    ("a*{", OK, "go-test parseTests (`{` literal)"),
    ("x{1001}", Err("invalid repeat count: `{1001}`"), "go-test invalidRegexps"),
    ("x{1000}", OK, "go maxRepeat = 1000"),
    ("x{2,1}", Err("invalid repeat count: `{2,1}`"), "go-test invalidRegexps"),
    ("x{9876543210}", Err("invalid repeat count"), "go-test invalidRegexps"),
    ("x{1,9876543210}", Err("invalid repeat count"), "go-test invalidRegexps"),
    ("(a{1000}){1000}", Err("invalid repeat count: `{1000}`"), "go repeatIsValid"),
    ("(?:a{1000}){2}", Err("invalid repeat count: `{2}`"), "go repeatIsValid"),
    ("((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}){2})", Err("invalid repeat count"), "go-test invalidRegexps"),
    ("((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}))", OK, "go-test parseTests (512 copies)"),
    ("(?:[a-z]{4}){0,250}", OK, "go-test parseTests (product 1000)"),
    ("(?:[a-z]{4}){0,251}", Err("invalid repeat count"), "go-test invalidRegexps"),
    ("*", Err("missing argument to repetition operator: `*`"), "go repeat"),
    ("a|*", Err("missing argument to repetition operator"), "go repeat"),
    ("\\Q\\E*", Err("missing argument to repetition operator"), "go-test invalidRegexps"),
    ("(?i)*", Err("missing argument to repetition operator"), "go repeat"),
    ("^*", OK, "go repeat (an assertion is an operand)"),
    // Malformed counts are literal text.
    ("/a{,5}", OK, "go-test parseTests `a{,2}`"),
    ("x{1001", OK, "go-test parseTests"),
    ("x{2,1", OK, "go-test parseTests"),
    ("a{x}", OK, "go parseRepeat"),
    ("a{01}", OK, "go parseInt (leading zero)"),
    ("a{ 1}", OK, "go parseRepeat"),
    ("{", OK, "go-test parseTests"),
    ("}", OK, "go-test parseTests"),
    // Unicode classes.
    ("/\\pN+", OK, "go parseUnicodeClass (one-letter name)"),
    ("\\PN", OK, "go parseUnicodeClass"),
    ("\\p{Greek}", OK, "go-test parseTests (scripts)"),
    ("\\p{^Greek}", OK, "go-test parseTests `\\p{^Braille}`"),
    ("[\\p{Lu}\\d]", OK, "go-test parseTests"),
    ("\\p{Uppercase_Letter}", OK, "go-test parseTests (Go 1.25 aliases)"),
    ("\\p{upper case-let ter}", OK, "go-test parseTests (loose names)"),
    ("\\p{Canadian_Aboriginal}", OK, "go-test parseTests"),
    ("\\p{Any}", OK, "go-test parseTests"),
    ("\\p{ascii}", OK, "go-test parseTests"),
    ("\\p{Assigned}", OK, "go-test parseTests"),
    ("\\p{Alphabetic}", Err("invalid character class range: `\\p{Alphabetic}`"), "go unicodeTable (no binary properties)"),
    ("\\p{Script=Greek}", Err("invalid character class range"), "go unicodeTable (no name=value)"),
    ("\\p{Garay}", Err("invalid character class range"), "go unicode.Version 15.0.0 (Garay is Unicode 16)"),
    ("\\pX", Err("invalid character class range: `\\pX`"), "go unicodeTable"),
    ("\\p{Greek", Err("invalid character class range"), "go parseUnicodeClass (no `}`)"),
    // Perl classes, escapes.
    ("\\d\\w\\s\\D\\W\\S", OK, "go-test parseTests (ASCII classes)"),
    ("\\C", Err("invalid escape sequence: `\\C`"), "go parse (`\\C` not supported)"),
    ("(a)\\1", Err("invalid escape sequence: `\\1`"), "go parseEscape (backreference); re2 NOT SUPPORTED"),
    ("\\8", Err("invalid escape sequence"), "go parseEscape"),
    ("[\\012-\\234]\\141", OK, "go-test parseTests (octal)"),
    ("\\0", OK, "go parseEscape (octal)"),
    ("[\\x{41}-\\x7a]\\x61", OK, "go-test parseTests (hex)"),
    ("\\x{110000}", Err("invalid escape sequence"), "go parseEscape (above MaxRune)"),
    ("\\Q+|*?{[\\E", OK, "go-test parseTests (quoted)"),
    ("\\Qa.b", OK, "go parse (`\\Q` to the end)"),
    ("\\_\\<\\>\\ ", OK, "go parseEscape (escaped punctuation)"),
    ("\\e", Err("invalid escape sequence: `\\e`"), "go parseEscape"),
    ("\\Z", Err("invalid escape sequence: `\\Z`"), "go parseEscape; re2 NOT SUPPORTED"),
    ("[\\b]", Err("invalid escape sequence: `\\b`"), "go parseEscape (no `\\b` in classes)"),
    ("a\\", Err("trailing backslash at end of expression"), "go parseEscape"),
    // Groups and flags.
    ("a(?=b)", Err("invalid or unsupported Perl syntax: `(?=`"), "go parsePerlFlags; re2 NOT SUPPORTED"),
    ("a(?!b)", Err("invalid or unsupported Perl syntax: `(?!`"), "go parsePerlFlags"),
    ("(?<=a)b", Err("invalid named capture"), "go parsePerlFlags (`(?<` starts a name)"),
    ("(?<!a)b", Err("invalid named capture"), "go parsePerlFlags"),
    ("(?P<name>a)", OK, "go-test parseTests"),
    ("(?<name>a)", OK, "go-test parseTests (Go 1.22+, RE2 2023-07+)"),
    ("(?P<1st>a)", OK, "go isValidCaptureName (digits first allowed)"),
    ("(?P<n>a)(?P<n>b)", OK, "go parsePerlFlags (no duplicate check)"),
    ("(?P<x y>a)", Err("invalid named capture: `(?P<x y>`"), "go-test invalidRegexps"),
    ("(?P<>a)", Err("invalid named capture"), "go-test invalidRegexps"),
    ("(?P=name)", Err("invalid or unsupported Perl syntax: `(?P`"), "go parsePerlFlags; re2 NOT SUPPORTED"),
    ("(?'n'a)", Err("invalid or unsupported Perl syntax"), "go parsePerlFlags"),
    ("(?i)a(?s:.)(?-m)b(?U)c*", OK, "go parsePerlFlags (i, m, s, U)"),
    ("(?i-i)a(?ii)", OK, "go parsePerlFlags"),
    ("(?)", OK, "go parsePerlFlags (no flags, no group)"),
    ("(?-)", Err("invalid or unsupported Perl syntax: `(?-)`"), "go parsePerlFlags"),
    ("(?x)a", Err("invalid or unsupported Perl syntax: `(?x`"), "go parsePerlFlags"),
    ("(?u)a", Err("invalid or unsupported Perl syntax"), "go parsePerlFlags"),
    ("(?#c)", Err("invalid or unsupported Perl syntax"), "go parsePerlFlags; re2 NOT SUPPORTED"),
    ("(a", Err("missing closing ): `(a`"), "go-test invalidRegexps"),
    ("a)", Err("unexpected ): `a)`"), "go-test invalidRegexps"),
    ("|x|", OK, "go-test parseTests"),
    ("()", OK, "go: an empty group"),
    // Classes.
    ("[a-z", Err("missing closing ]: `[a-z`"), "go-test invalidRegexps"),
    ("[a-Z]", Err("invalid character class range: `a-Z`"), "go-test invalidRegexps"),
    ("[]a]", OK, "go parseClass (`]` first is literal)"),
    ("[a-b-c]", OK, "go-test onlyPerl"),
    ("[[:alpha:][:^digit:]]", OK, "go-test parseTests (POSIX)"),
    ("[[:foo:]]", Err("invalid character class range: `[:foo:]`"), "go parseNamedClass"),
    ("[a&&b]", OK, "go parseClass (`&` literal)"),
    ("[a--b]", Err("invalid character class range: `a--`"), "go parseClass (a range `a`-`-`)"),
    ("[[a]]", OK, "go parseClass (`[` literal, then a literal `]`)"),
    ("[α-ε☺]", OK, "go-test parseTests"),
    // Istio's and Envoy's limits.
    ("^/api/v[0-9]+/.*$", OK, "istio"),
    ("a{1000}b{1000}c{1000}d{1000}e{1000}f{1000}g{1000}h{1000}i{1000}j{1000}k{1000}l{1000}m{1000}n{1000}o{1000}p{1000}q{1000}r{1000}s{1000}t{1000}u{1000}v{1000}w{1000}x{1000}y{1000}z{1000}A{1000}B{1000}C{1000}D{1000}E{1000}F{1000}G{1000}", Err("too large for Envoy"), "istio bootstrap error_level 32768"),
];

#[test]
fn verdicts_follow_go_regexp() {
    assert!(TABLE.len() >= 40);
    let mut wrong = Vec::new();
    for &(re, want, source) in TABLE {
        let got = validate_regex(re);
        let fine = match (&got, want) {
            (Ok(()), Ok(())) => true,
            (Err(e), Err(text)) => e.contains(text),
            _ => false,
        };
        if !fine {
            wrong.push(format!("{re:?}: got {got:?}, want {want:?} ({source})"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn istio_limits() {
    assert!(validate_regex(&"a".repeat(1024)).is_ok());
    assert!(validate_regex(&"a".repeat(1025)).is_err());
    // Go's nesting limit is unreachable in 1024 bytes: 500 nested groups are fine.
    let deep = format!("{}{}", "(".repeat(500), ")".repeat(500));
    assert!(validate_regex(&deep).is_ok());
    // Go's own test cases for its limits, above Istio's length limit.
    let go =
        |re: &str| super::syntax::parse(re).and_then(|n| super::limits::check_go_limits(&n, re));
    assert!(go(&format!("{}{}", "(".repeat(999), ")".repeat(999))).is_ok());
    assert!(go(&format!("{}{}", "(".repeat(1000), ")".repeat(1000))).is_err());
    assert!(go(&format!("{}{}", "(?:".repeat(999), ")*".repeat(999))).is_ok());
    assert!(go(&format!("{}{}", "(?:".repeat(1000), ")*".repeat(1000))).is_err());
    assert!(go(&format!("({}){{1000}}", "(xx?)".repeat(1000))).is_err());
    assert!(go(&format!("({})", "|".repeat(12345))).is_ok());
}

#[test]
fn messages_keep_their_form() {
    assert_eq!(
        validate_regex("a**").unwrap_err(),
        "invalid regex \"a**\" (invalid nested repetition operator: `**`); Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)"
    );
}

#[test]
fn proxy_version_regexes_skip_envoy_limits() {
    let big = "(?:abcdefghij){1000}".repeat(4);
    assert!(validate_regex(&big).is_err());
    assert!(super::validate_go_regex(&big).is_ok());
    assert!(super::validate_go_regex(r"1\.2[0-9].*").is_ok());
    assert!(super::validate_go_regex("a**").is_err());
}
