//! Error messages without credentials: a kubeconfig or an exec plugin's output that does
//! not parse is named by its place (line, column) and the kind of problem, never by the
//! text around it, which may hold a token or a key; and the cause of a transport failure
//! (e.g. an untrusted certificate) is found at the end of the error's `source()` chain.

use std::error::Error as StdError;

use kube::client::AuthError;
use kube::config::{InferConfigError, KubeconfigError};

/// Placeholder of whatever may be secret.
const REDACTED: &str = "<redacted>";

/// `line L, column C` from a parser's message, if it names one.
fn location(message: &str) -> Option<(u64, u64)> {
    let at = message.find("line ")?;
    let rest = &message[at + 5..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let line = digits.parse().ok()?;
    let column = rest
        .find("column ")
        .map(|c| {
            rest[c + 7..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    Some((line, column))
}

/// The kind of a parser's problem, e.g. `unexpected end of file` or `invalid type`: the
/// start of its first line, before any location, quote, value or source excerpt.
fn problem_kind(message: &str) -> String {
    let first = message.lines().next().unwrap_or("");
    // serde-saphyr says `error: line 4 column 12: unclosed quote`: the kind follows the
    // place; other parsers put the place last (`... at line 4, column 12`).
    let after_place = first.find("column ").and_then(|c| {
        let rest = first[c + 7..].trim_start_matches(|ch: char| ch.is_ascii_digit());
        (first[..c].contains("line ") && rest.starts_with(':')).then_some(rest)
    });
    let (first, stops): (&str, &[&str]) = match after_place {
        Some(rest) => (
            rest.trim_start_matches([':', ' ']),
            &[" at line", " (", "\"", "'", "`", "|"],
        ),
        None => (first, &[" at line", " (", ":", "\"", "'", "`", "|"]),
    };
    let mut end = first.len();
    for stop in stops {
        if let Some(i) = first.find(stop) {
            end = end.min(i);
        }
    }
    let kind = first[..end].trim();
    if kind.is_empty() {
        "syntax error".to_string()
    } else {
        kind.to_string()
    }
}

/// A parse error as its kind and place only.
fn parse_problem(what: &str, message: &str) -> String {
    let kind = problem_kind(message);
    match location(message) {
        Some((line, 0)) => format!("{what} at line {line}: {kind}"),
        Some((line, column)) => format!("{what} at line {line}, column {column}: {kind}"),
        None => format!("{what}: {kind}"),
    }
}

/// A kubeconfig error without what it read: parse errors by place and kind; errors that
/// quote values from the file (a plugin's output, a command line) by kind only.
pub(crate) fn kubeconfig(error: &KubeconfigError) -> String {
    match error {
        KubeconfigError::Parse(e) => {
            parse_problem("the kubeconfig is not valid YAML", &e.to_string())
        }
        KubeconfigError::ReadConfig(e, path) => {
            format!("cannot read {}: {}", path.display(), e.kind())
        }
        other => one_line(&other.to_string()),
    }
}

/// An error of the credential machinery (exec plugins, token files, auth providers)
/// without the plugin's output, command line or environment.
pub(crate) fn auth(error: &AuthError) -> String {
    match error {
        AuthError::AuthExecParse(e) => parse_problem(
            "the exec credential plugin's output is not a valid ExecCredential",
            &e.to_string(),
        ),
        AuthError::AuthExecRun { out, .. } => format!(
            "the exec credential plugin failed ({}); its output is not shown as it may hold credentials",
            out.status
        ),
        AuthError::AuthExecStart(e) => {
            format!("the exec credential plugin cannot be started: {}", e.kind())
        }
        AuthError::AuthExec(_) | AuthError::AuthExecSerialize(_) => {
            "the exec credential plugin failed (its messages are not shown as they may hold credentials)".to_string()
        }
        AuthError::ExecPluginFailed => {
            "the exec credential plugin's output has no status".to_string()
        }
        AuthError::ReadTokenFile(e, path) => {
            format!("cannot read the token file {}: {}", path.display(), e.kind())
        }
        _ => "the credentials of the kubeconfig cannot be used (details are not shown as they may hold credentials)".to_string(),
    }
}

/// Why no configuration was found: the kubeconfig's problem (redacted), and no in-cluster
/// configuration either.
pub(crate) fn infer(error: &InferConfigError) -> String {
    let kubeconfig = error
        .source()
        .and_then(|s| s.downcast_ref::<KubeconfigError>())
        .map_or_else(|| "no usable kubeconfig".to_string(), self::kubeconfig);
    format!("{kubeconfig} (and no in-cluster configuration)")
}

/// The first line of a message, with excerpts (lines after it) dropped.
fn one_line(message: &str) -> String {
    message.lines().next().unwrap_or("").trim_end().to_string()
}

/// A kube client error as one line: each error of the `source()` chain says what it adds
/// (so the innermost cause, such as `invalid peer certificate: UnknownIssuer`, is named),
/// and errors of the credential machinery are reduced as [`auth`] does.
pub(crate) fn describe(error: &kube::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(a) = e.downcast_ref::<AuthError>() {
            parts.push(auth(a));
            break;
        }
        if let Some(k) = e.downcast_ref::<KubeconfigError>() {
            parts.push(kubeconfig(k));
            break;
        }
        match e.downcast_ref::<kube::Error>() {
            Some(kube::Error::Auth(a)) => {
                parts.push(auth(a));
                break;
            }
            Some(kube::Error::Api(s)) => {
                parts.push(format!("{} {}: {}", s.code, s.reason, one_line(&s.message)));
                break;
            }
            _ => {}
        }
        let own = one_line(&e.to_string());
        let inner = e.source().map(|s| one_line(&s.to_string()));
        // Most errors repeat their source's message after their own: keep their own part.
        let own = match &inner {
            Some(i) if !i.is_empty() && own.ends_with(i.as_str()) => own[..own.len() - i.len()]
                .trim_end_matches([' ', ':', '(', ')'])
                .to_string(),
            _ => own,
        };
        if !own.is_empty() && !parts.iter().any(|p| p.contains(own.as_str())) {
            parts.push(own);
        }
        current = e.source();
    }
    if parts.is_empty() {
        REDACTED.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_problems_keep_the_place_and_drop_the_text() {
        let m = "invalid type: string \"s3cr3t\", expected a boolean at line 14, column 12\n 14 |     token: \"s3cr3t";
        let p = parse_problem("the kubeconfig is not valid YAML", m);
        assert_eq!(
            p,
            "the kubeconfig is not valid YAML at line 14, column 12: invalid type"
        );
        assert!(!p.contains("s3cr3t"));
        assert_eq!(problem_kind("\"s3cr3t\" is odd"), "syntax error");
        let saphyr = "error: line 4 column 12: unclosed quote\n --> <input>:4:12\n  |\n4 |     token: \"s3cr3t";
        assert_eq!(
            parse_problem("the kubeconfig is not valid YAML", saphyr),
            "the kubeconfig is not valid YAML at line 4, column 12: unclosed quote"
        );
        assert_eq!(location("no place"), None);
    }
}
