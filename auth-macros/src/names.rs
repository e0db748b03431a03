//! Permission and role strings, checked at compile time with the rules `auth_core` applies at
//! run time (`auth_core::permissions::validate_name`), and "did you mean" suggestions.

/// Why `value` is not a valid permission (`permission = true`) or role, if it is not.
pub(crate) fn invalid_name(value: &str, permission: bool) -> Option<&'static str> {
    if value.is_empty() {
        return Some("it is empty");
    }
    if permission && value == "*" {
        return None;
    }
    let mut segments = value.split('.').peekable();
    while let Some(seg) = segments.next() {
        if seg.is_empty() {
            return Some("it has an empty segment (check for a leading, trailing or doubled `.`)");
        }
        if seg == "*" {
            if !permission {
                return Some("roles cannot be wildcards");
            }
            if segments.peek().is_some() {
                return Some("a wildcard `*` may only be the last segment");
            }
            continue;
        }
        if !seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'))
        {
            return Some("segments may hold only ASCII letters, digits, `_`, `-` and `:`");
        }
    }
    None
}

/// Levenshtein distance, for suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
