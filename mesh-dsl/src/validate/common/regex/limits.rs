//! Size limits: Go's (the parser refuses trees too deep or too large) and Envoy's (it
//! refuses a route whose RE2 program is too large).

use super::ast::Node;

/// Go's `maxHeight`: a deeper tree is "expression nests too deeply".
const MAX_HEIGHT: usize = 1000;

/// Go's `maxSize` (128 MiB of 40-byte instructions): a larger program is "expression too
/// large".
const MAX_SIZE: u64 = (128 << 20) / 40;

/// The RE2 program size above which Envoy refuses a regex: Istio's proxy bootstrap sets
/// the runtime key `re2.max_program_size.error_level` to 32768 (`pkg/bootstrap/config.go`,
/// `extractRuntimeFlags`); Envoy's own default would be 100.
pub(crate) const ENVOY_MAX_PROGRAM_SIZE: u64 = 32768;

/// Go's `checkHeight` and `checkSize` over the whole tree: the error it would give.
pub(crate) fn check_go_limits(node: &Node, re: &str) -> Result<(), String> {
    if height(node) > MAX_HEIGHT {
        return Err(format!("expression nests too deeply: `{re}`"));
    }
    if go_size(node) > MAX_SIZE {
        return Err(format!("expression too large: `{re}`"));
    }
    Ok(())
}

/// Go's `calcHeight`: non-capturing groups and one-item concatenations are no nodes.
fn height(node: &Node) -> usize {
    match node {
        Node::Group {
            capture: false,
            sub,
            ..
        } => height(sub),
        Node::Group { sub, .. } | Node::Repeat { sub, .. } => 1 + height(sub),
        Node::Concat(v) | Node::Alternate(v) => {
            let subs = v.iter().filter(|n| !matches!(n, Node::SetFlags(_)));
            let h = subs.clone().map(height).max().unwrap_or(0);
            if subs.count() == 1 { h } else { 1 + h }
        }
        _ => 1,
    }
}

/// Go's `calcSize`: its estimate of the compiled program's instructions.
fn go_size(node: &Node) -> u64 {
    let size = match node {
        Node::Group {
            capture: false,
            sub,
            ..
        } => go_size(sub),
        Node::Group { sub, .. } => 2 + go_size(sub),
        Node::Concat(v) => v.iter().map(go_size).sum(),
        Node::Alternate(v) => v.iter().map(go_size).sum::<u64>() + v.len() as u64 - 1,
        Node::Repeat { min, max, sub, .. } => {
            let sub = go_size(sub);
            let (min, max) = (u64::from(*min), max.map(u64::from));
            match max {
                None if min == 0 => 2 + sub,
                None => 1 + min * sub,
                Some(max) => max * sub + (max - min),
            }
        }
        Node::SetFlags(_) => 0,
        _ => 1,
    };
    size.max(if matches!(node, Node::SetFlags(_)) {
        0
    } else {
        1
    })
}

/// A lower bound of the size of the program RE2 (C++) compiles `node` to, as Envoy
/// measures it (`RE2::ProgramSize`). RE2 writes `x{n,m}` as `m` copies of `x`, each
/// byte of a literal and each class needs at least one instruction, a capture group two,
/// and the program ends with a match instruction. Alternations, loops and anchors are not
/// counted (RE2 may fold them away), so a program this counts above Envoy's limit surely
/// is above it.
pub(crate) fn envoy_program_size_at_least(node: &Node) -> u64 {
    1 + program_size(node)
}

fn program_size(node: &Node) -> u64 {
    match node {
        Node::Literal(c) => char::from_u32(*c).map_or(3, |c| c.len_utf8() as u64),
        Node::AnyChar | Node::Class(_) => 1,
        Node::Group {
            capture: true, sub, ..
        } => 2 + program_size(sub),
        Node::Group { sub, .. } => program_size(sub),
        Node::Concat(v) | Node::Alternate(v) => v.iter().map(program_size).sum(),
        Node::Repeat { min, max, sub, .. } => {
            let copies = match max {
                Some(m) => u64::from(*m),
                None => u64::from(*min).max(1),
            };
            copies * program_size(sub)
        }
        Node::Empty | Node::Assert(_) | Node::SetFlags(_) => 0,
    }
}
