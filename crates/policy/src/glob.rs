//! Globs over repository names (`production/*`, `team-*/app`, `prod/**`)
//! and over identities (`*@example.com`).

/// Whether `glob` matches the repository `name`: segments split on `/`,
/// `*` within a segment, `**` spanning any number of segments.
pub fn repository(glob: &str, name: &str) -> bool {
    let g: Vec<&str> = glob.split('/').collect();
    let n: Vec<&str> = name.split('/').collect();
    match_segments(&g, &n)
}

/// Whether `pattern` matches `s` whole, `*` matching any run of
/// characters (slashes too): for certificate identities and issuers.
pub fn wildcard(pattern: &str, s: &str) -> bool {
    match_segment(pattern.as_bytes(), s.as_bytes())
}

/// Segment-wise match, `**` spanning any number of segments. Dynamic
/// programming over (glob position, name position): O(|g|·|n|) segment
/// comparisons whatever the glob (a user may put any glob in a token's
/// grants, so no backtracking that a crafted glob could make exponential).
fn match_segments(g: &[&str], n: &[&str]) -> bool {
    // ok[j] = whether g[i..] matches n[j..], for the current i (from the end).
    let mut ok = vec![false; n.len() + 1];
    ok[n.len()] = true;
    for seg in g.iter().rev() {
        let mut next = vec![false; n.len() + 1];
        for j in (0..=n.len()).rev() {
            next[j] = if *seg == "**" {
                // Zero segments, or one more and stay on `**`.
                ok[j] || (j < n.len() && next[j + 1])
            } else {
                j < n.len() && ok[j + 1] && match_segment(seg.as_bytes(), n[j].as_bytes())
            };
        }
        ok = next;
    }
    ok[0]
}

/// `*`: any run of characters. Greedy with one backtrack point (the last
/// `*`), O(|p|·|s|) at worst.
fn match_segment(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        assert!(repository("**", "a"));
        assert!(repository("**", "a/b/c"));
        assert!(repository("production/*", "production/apps"));
        assert!(!repository("production/*", "production/apps/web"));
        assert!(repository("production/**", "production/apps/web"));
        assert!(repository("production/**", "production"));
        assert!(!repository("production/**", "productionx/a"));
        assert!(repository("team-*/app", "team-a/app"));
        assert!(!repository("team-*/app", "team-a/b/app"));
        assert!(!repository("a", "ab"));
        assert!(repository("*", "x"));
        assert!(!repository("*", "x/y"));
    }

    #[test]
    fn identities() {
        assert!(wildcard("*@example.com", "alice@example.com"));
        assert!(!wildcard("*@example.com", "alice@example.com.evil.org"));
        assert!(!wildcard("*@example.com", "alice@evil.org"));
        assert!(wildcard(
            "https://github.com/acme/*",
            "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
        ));
        assert!(wildcard("exact", "exact"));
        assert!(!wildcard("exact", "exactly"));
    }

    #[test]
    fn crafted_globs_stay_fast() {
        let name = format!("{}/{}", "a".repeat(120), "a".repeat(120));
        let glob = format!("{}b/{}", "*a".repeat(60), "**/".repeat(60));
        let t = std::time::Instant::now();
        assert!(!repository(&glob, &name));
        assert!(!wildcard(&"*a".repeat(200), &"a".repeat(199)));
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
    }
}
