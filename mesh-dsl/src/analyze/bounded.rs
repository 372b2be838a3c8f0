//! Naming many objects in one finding without making the output grow with their square:
//! N objects in one conflict give N findings, so each names at most [`MAX_NAMED`].

use istio_types::yaml::thousands;

/// The most objects one finding names; the rest are counted.
pub(crate) const MAX_NAMED: usize = 10;

/// The names joined with `sep`, in the order given, when there are at most
/// [`MAX_NAMED`]; otherwise the first [`MAX_NAMED`] in sorted order and how many more
/// there are (`a,b,...,j and 9,990 more`), so a finding stays short and deterministic
/// whatever the number of objects.
pub(crate) fn name_list<S: AsRef<str>>(names: &[S], sep: &str) -> String {
    if names.len() <= MAX_NAMED {
        return names
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(sep);
    }
    let mut sorted: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let more = sorted.len().saturating_sub(MAX_NAMED);
    sorted.truncate(MAX_NAMED);
    let shown = sorted.join(sep);
    if more == 0 {
        shown
    } else {
        format!("{shown} and {} more", thousands(more))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lists_are_unchanged_and_long_ones_bounded() {
        assert_eq!(name_list(&["b", "a"], ","), "b,a");
        let many: Vec<String> = (0..10_000).rev().map(|i| format!("ns/vs-{i:05}")).collect();
        let text = name_list(&many, ",");
        assert_eq!(
            text,
            "ns/vs-00000,ns/vs-00001,ns/vs-00002,ns/vs-00003,ns/vs-00004,ns/vs-00005,\
             ns/vs-00006,ns/vs-00007,ns/vs-00008,ns/vs-00009 and 9,990 more"
        );
    }
}
