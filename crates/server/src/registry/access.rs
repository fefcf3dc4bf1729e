//! Who may do what: access levels, grants on repository globs, and the
//! principal a request acts as. Pure: no I/O, no clock.
//!
//! A grant is written `LEVEL:GLOB`, e.g. `write:production/**`. In a glob,
//! `*` matches within one path segment and `**` matches any number of
//! segments (so `**` alone is every repository). A principal's level on a
//! repository is the highest level among its matching grants, limited by
//! every cap it carries (an API token is capped by its owner's grants, a
//! bearer token by the scope it was asked for): the least of those maxima.

use std::fmt;

/// An access level; each includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Pull images, download files, list.
    Read,
    /// Push, upload, tag, delete manifests, tags and files.
    Write,
    /// Create and delete repositories and change their settings; on `**`,
    /// manage users.
    Admin,
}

impl Level {
    /// The level's name in grants and scopes.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "write",
            Level::Admin => "admin",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Level::Read),
            "write" => Some(Level::Write),
            "admin" => Some(Level::Admin),
            _ => None,
        }
    }
}

/// A level on the repositories a glob matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The level granted.
    pub level: Level,
    /// Repositories it applies to.
    pub glob: String,
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level.as_str(), self.glob)
    }
}

impl std::str::FromStr for Grant {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (level, glob) = s
            .split_once(':')
            .ok_or_else(|| format!("grant {s:?} is not LEVEL:GLOB (e.g. write:production/**)"))?;
        let level = Level::parse(level).ok_or_else(|| {
            format!("grant {s:?}: level must be read, write or admin, not {level:?}")
        })?;
        let ok = !glob.is_empty()
            && glob.len() <= 255
            && glob.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg.bytes().all(|b| {
                        b.is_ascii_lowercase()
                            || b.is_ascii_digit()
                            || matches!(b, b'.' | b'_' | b'-' | b'*')
                    })
            });
        if !ok {
            return Err(format!(
                "grant {s:?}: the glob must be repository name segments (a-z 0-9 . _ -) with * or **"
            ));
        }
        Ok(Grant {
            level,
            glob: glob.to_owned(),
        })
    }
}

/// Parses a list of `LEVEL:GLOB` grants.
pub fn parse_grants<S: AsRef<str>>(list: &[S]) -> Result<Vec<Grant>, String> {
    list.iter().map(|s| s.as_ref().parse()).collect()
}

/// Whether `glob` matches the repository `name` (segments, `*` within
/// one, `**` across any number; linear-time, see `signet_policy::glob`).
pub fn glob_match(glob: &str, name: &str) -> bool {
    signet_policy::glob::repository(glob, name)
}

/// The highest level `grants` give on `repo`.
pub fn level_in(grants: &[Grant], repo: &str) -> Option<Level> {
    grants
        .iter()
        .filter(|g| glob_match(&g.glob, repo))
        .map(|g| g.level)
        .max()
}

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user, or `None` for anonymous.
    pub user: Option<String>,
    /// Grant sets; the level on a repository is the least of their maxima.
    /// Empty for anonymous (which has no level anywhere).
    pub sets: Vec<Vec<Grant>>,
}

impl Principal {
    /// No credentials.
    pub fn anonymous() -> Self {
        Self {
            user: None,
            sets: Vec::new(),
        }
    }

    /// A user with `grants`.
    pub fn user(name: &str, grants: Vec<Grant>) -> Self {
        Self {
            user: Some(name.to_owned()),
            sets: vec![grants],
        }
    }

    /// Adds a cap: the principal keeps at most what `grants` allow.
    #[must_use]
    pub fn capped(mut self, grants: Vec<Grant>) -> Self {
        self.sets.push(grants);
        self
    }

    /// The principal's level on `repo` (ignoring anonymous read).
    pub fn level_on(&self, repo: &str) -> Option<Level> {
        if self.user.is_none() || self.sets.is_empty() {
            return None;
        }
        self.sets
            .iter()
            .map(|set| level_in(set, repo))
            .min()
            .flatten()
    }

    /// Whether the principal has at least `need` on `repo`.
    pub fn can(&self, repo: &str, need: Level) -> bool {
        self.level_on(repo).is_some_and(|l| l >= need)
    }

    /// Whether the principal administers the whole server (admin on `**`
    /// in every set): it manages users.
    pub fn is_server_admin(&self) -> bool {
        self.user.is_some()
            && !self.sets.is_empty()
            && self.sets.iter().all(|set| {
                set.iter()
                    .any(|g| g.level == Level::Admin && g.glob == "**")
            })
    }

    /// Whether any grant of the principal could reach `level` somewhere
    /// (e.g. a token can only hand out what its owner has).
    pub fn covers(&self, grant: &Grant) -> bool {
        if self.is_server_admin() {
            return true;
        }
        // A grant is covered when every set has a grant at least as high
        // whose glob is the same or `**`.
        self.user.is_some()
            && !self.sets.is_empty()
            && self.sets.iter().all(|set| {
                set.iter()
                    .any(|g| g.level >= grant.level && (g.glob == grant.glob || g.glob == "**"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(list: &[&str]) -> Vec<Grant> {
        parse_grants(list).unwrap()
    }

    #[test]
    fn globs() {
        assert!(glob_match("**", "a"));
        assert!(glob_match("**", "a/b/c"));
        assert!(glob_match("production/*", "production/apps"));
        assert!(!glob_match("production/*", "production/apps/web"));
        assert!(glob_match("production/**", "production/apps/web"));
        assert!(glob_match("production/**", "production"));
        assert!(!glob_match("production/**", "productionx/a"));
        assert!(glob_match("team-*/app", "team-a/app"));
        assert!(!glob_match("team-*/app", "team-a/b/app"));
        assert!(!glob_match("a", "ab"));
        assert!(glob_match("*", "x"));
        assert!(!glob_match("*", "x/y"));
    }

    #[test]
    fn crafted_globs_stay_fast() {
        let name = format!("{}/{}", "a".repeat(120), "a".repeat(120));
        let glob = format!("{}b/{}", "*a".repeat(60), "**/".repeat(60));
        let t = std::time::Instant::now();
        assert!(!glob_match(&glob, &name));
        assert!(!glob_match(
            &"**/"
                .repeat(100)
                .trim_end_matches('/')
                .to_owned()
                .replace("**/**", "**/x/**"),
            &"a/".repeat(120)
        ));
        assert!(
            t.elapsed() < std::time::Duration::from_millis(200),
            "{:?}",
            t.elapsed()
        );
    }

    proptest::proptest! {
        #[test]
        fn matching_agrees_with_a_reference(
            glob in "(\\*\\*|[ab*]{1,4})(/(\\*\\*|[ab*]{1,4})){0,3}",
            name in "[ab]{1,4}(/[ab]{1,4}){0,3}",
        ) {
            proptest::prop_assert_eq!(glob_match(&glob, &name), reference(&glob, &name));
        }

        #[test]
        fn grants_round_trip(level in 0..3u8, glob in "[a-z*]{1,5}(/[a-z*]{1,5}){0,3}") {
            let level = [Level::Read, Level::Write, Level::Admin][level as usize];
            let g = Grant { level, glob };
            proptest::prop_assert_eq!(g.to_string().parse::<Grant>().unwrap(), g);
        }
    }

    /// Plain recursive matcher (exponential, fine for tiny inputs).
    fn reference(glob: &str, name: &str) -> bool {
        fn segs(g: &[&str], n: &[&str]) -> bool {
            match g.split_first() {
                None => n.is_empty(),
                Some((&"**", rest)) => (0..=n.len()).any(|k| segs(rest, &n[k..])),
                Some((seg, rest)) => {
                    !n.is_empty() && seg1(seg.as_bytes(), n[0].as_bytes()) && segs(rest, &n[1..])
                }
            }
        }
        fn seg1(p: &[u8], s: &[u8]) -> bool {
            match p.split_first() {
                None => s.is_empty(),
                Some((b'*', rest)) => (0..=s.len()).any(|k| seg1(rest, &s[k..])),
                Some((c, rest)) => s.first() == Some(c) && seg1(rest, &s[1..]),
            }
        }
        let g: Vec<&str> = glob.split('/').collect();
        let n: Vec<&str> = name.split('/').collect();
        segs(&g, &n)
    }

    #[test]
    fn grant_syntax() {
        assert_eq!(
            "write:production/**".parse::<Grant>().unwrap(),
            Grant {
                level: Level::Write,
                glob: "production/**".into()
            }
        );
        for bad in [
            "write",
            "owner:**",
            "read:",
            "read:A",
            "read:a//b",
            "read:../x",
            "read:a b",
        ] {
            assert!(bad.parse::<Grant>().is_err(), "{bad}");
        }
    }

    #[test]
    fn levels_are_capped() {
        let p = Principal::user("alice", grants(&["admin:team/**", "read:**"]));
        assert_eq!(p.level_on("team/app"), Some(Level::Admin));
        assert_eq!(p.level_on("other"), Some(Level::Read));
        let token = p.clone().capped(grants(&["write:team/app"]));
        assert_eq!(token.level_on("team/app"), Some(Level::Write));
        assert_eq!(token.level_on("team/other"), None);
        assert_eq!(token.level_on("other"), None);
        assert!(!token.is_server_admin());
        assert!(Principal::user("root", grants(&["admin:**"])).is_server_admin());
        assert!(
            !Principal::user("root", grants(&["admin:**"]))
                .capped(grants(&["read:**"]))
                .is_server_admin()
        );
        assert_eq!(Principal::anonymous().level_on("x"), None);
    }

    #[test]
    fn covers() {
        let p = Principal::user("alice", grants(&["write:team/**", "read:**"]));
        assert!(p.covers(&"write:team/**".parse().unwrap()));
        assert!(p.covers(&"read:x/y".parse().unwrap()));
        assert!(!p.covers(&"admin:team/**".parse().unwrap()));
        assert!(!p.covers(&"write:**".parse().unwrap()));
    }
}
