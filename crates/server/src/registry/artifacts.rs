//! The artifacts overview (`GET /api/v1/repositories/{repo}/artifacts`):
//! one page of a repository's artifacts (images by manifest digest, or
//! files), searched, sorted and paged in SQL, each with its signing status
//! worked out by the same verifier and policy evaluation the pull path
//! uses.
//!
//! Images are listed from `artifact_rows`, one row per listed image (its
//! tags, size, push), kept in the transaction of every push, tag move and
//! delete ([`REFRESH_ROW`]), so a page is an index range on every replica
//! and in every sort. Each row carries a stamp: the repository version at
//! which it, its signatures or attestations (or those of an index holding
//! it) last changed; files get theirs from `file_stamps`. A row's summary
//! is worked out for the rows of a page only and reused while its stamp
//! and the keys and policies stay put, until a key it relied on expires.

use std::sync::Arc;

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};
use signet_policy::decide::{Artifact, Claim, Outcome, Signer, decide};
use signet_policy::document::ArtifactType;
use signet_policy::evidence::Findings;
use sqlx::Row;

use super::Registry;
use super::auth::now;
use super::db::Db;
use super::signing::State;
use crate::sql::on_pool;

/// Most rows on one page.
pub const PAGE_MAX: u32 = 200;

/// Whether a manifest is listed, and its overview row (`$stamp` as its
/// stamp), for the manifests `m` that `$filter` selects: not a referrer,
/// not tagged as a cosign signature, attestation or referrers fallback
/// (`sha256-…`), not an untagged image of an index.
macro_rules! insert_rows {
    ($filter:literal, $stamp:literal) => {
        concat!(
            "INSERT INTO artifact_rows (repo, digest, media_type, name, tags, size, pushed, pusher, stamp)
SELECT m.repo, m.digest, m.media_type,
       COALESCE((SELECT min(t.tag || '') FROM tags t WHERE t.repo = m.repo AND t.digest = m.digest), ''),
       COALESCE((SELECT string_agg(t.tag, ',') FROM tags t WHERE t.repo = m.repo AND t.digest = m.digest), ''),
       CAST(length(m.body) AS BIGINT) + COALESCE((SELECT CAST(sum(b.size) AS BIGINT) FROM manifest_refs c
            JOIN blobs b ON b.digest = c.child WHERE c.repo = m.repo AND c.parent = m.digest), 0),
       COALESCE(p.pushed, 0), COALESCE(p.pusher, ''), ",
            $stamp,
            "
  FROM manifests m LEFT JOIN manifest_pushes p ON p.repo = m.repo AND p.digest = m.digest
 WHERE ",
            $filter,
            "
   AND NOT EXISTS (SELECT 1 FROM referrers r WHERE r.repo = m.repo AND r.digest = m.digest)
   AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.repo = m.repo AND t.digest = m.digest
                    AND t.tag LIKE 'sha256-%')
   AND (EXISTS (SELECT 1 FROM tags t WHERE t.repo = m.repo AND t.digest = m.digest)
        OR NOT EXISTS (SELECT 1 FROM manifest_refs c WHERE c.repo = m.repo AND c.child = m.digest))
ON CONFLICT (repo, digest) DO NOTHING"
        )
    };
}

/// Drops the overview row of (`$1` repository, `$2` digest); with
/// [`REFRESH_ROW`] after it, works it out again.
pub const FORGET_ROW: &str = "DELETE FROM artifact_rows WHERE repo = $1 AND digest = $2";
/// Writes the overview row of (`$1`, `$2`) stamped `$3`, if it is listed.
pub const REFRESH_ROW: &str = insert_rows!("m.repo = $1 AND m.digest = $2", "CAST($3 AS BIGINT)");
/// Fills `artifact_rows` from the registry tables once (stamp 0), for
/// databases older than the table.
pub const BACKFILL_ROWS: &str = insert_rows!(
    "NOT EXISTS (SELECT 1 FROM schema_marks k WHERE k.name = 'artifact_rows')",
    "0"
);
/// Stamps `$3` on (`$1`, `$2`) and the images of `$2` (an index): its
/// signatures or attestations changed.
pub const RESTAMP_SUBJECT: &str = "UPDATE artifact_rows SET stamp = $3
 WHERE repo = $1 AND (digest = $2
       OR digest IN (SELECT c.child FROM manifest_refs c WHERE c.repo = $1 AND c.parent = $2))";

/// The image a tag names as signature, attestation or referrers fallback
/// (`sha256-<hex>[.suffix]` → `sha256:<hex>`).
pub fn signature_subject(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix("sha256-")?;
    let hex = rest.get(..64)?;
    let tail = &rest[64..];
    (hex.bytes().all(|b| b.is_ascii_hexdigit()) && (tail.is_empty() || tail.starts_with('.')))
        .then(|| format!("sha256:{}", hex.to_ascii_lowercase()))
}

/// The column a page is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// When it was pushed (default, newest first).
    Pushed,
    /// Tag (images; the smallest of its tags) or path (files).
    Name,
    /// Digest.
    Digest,
    /// Size in bytes (an image: manifest, config and layers).
    Size,
}

impl SortKey {
    /// Parses `pushed|name|tag|path|digest|size`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pushed" => Self::Pushed,
            "name" | "tag" | "path" => Self::Name,
            "digest" => Self::Digest,
            "size" => Self::Size,
            _ => return None,
        })
    }
}

/// What to list.
#[derive(Debug, Clone)]
pub struct PageQuery {
    /// Case-insensitive substring of a tag, path or digest ("" for all).
    pub search: String,
    /// Sort column.
    pub sort: SortKey,
    /// Descending.
    pub desc: bool,
    /// Rows to skip.
    pub offset: u32,
    /// Rows to return.
    pub limit: u32,
}

/// One artifact as listed.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactRow {
    /// Tag list (images) or path (files) as shown in the name column.
    pub name: String,
    /// Tags pointing at it (images).
    pub tags: Vec<String>,
    /// `sha256:…`.
    pub digest: String,
    /// Manifest media type (images), empty for files.
    pub media_type: String,
    /// Bytes (an image: manifest, config and layers).
    pub size: u64,
    /// Unix seconds.
    pub pushed_at: i64,
    /// Who pushed it (images; empty when unknown).
    pub pushed_by: String,
    /// When it or its signatures last changed (a repository version).
    #[serde(skip)]
    pub stamp: i64,
}

/// A page and the number of matching rows.
#[derive(Debug, Clone)]
pub struct Page {
    /// Rows matching the search.
    pub total: u64,
    /// This page.
    pub rows: Vec<ArtifactRow>,
}

/// `%text%` for LIKE with `\` escaping, lower-cased; "" for no filter.
fn like_pattern(search: &str) -> String {
    let s = search.trim().to_lowercase();
    if s.is_empty() {
        return String::new();
    }
    let mut p = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A page of `artifact_rows` in `$order`: `$1` repository, `$2` search
/// pattern on the digest and (when `$3` is 1) the tags, `$4` limit, `$5`
/// offset. Every order is an index range: ties go the sort's way.
macro_rules! image_page {
    ($order:literal) => {
        concat!(
            "SELECT (SELECT count(*) FROM artifact_rows a WHERE ",
            image_filter!(),
            ") AS total,
       a.digest, a.media_type, a.tags, a.size, a.pushed, a.pusher, a.stamp
  FROM artifact_rows a WHERE ",
            image_filter!(),
            " ORDER BY ",
            $order,
            " LIMIT $4 OFFSET $5"
        )
    };
}

macro_rules! image_filter {
    () => {
        "a.repo = $1 AND ($2 = '' OR lower(a.digest) LIKE $2 ESCAPE '\\'
                          OR ($3 = 1 AND lower(a.tags) LIKE $2 ESCAPE '\\'))"
    };
}

/// A page of files (detached signatures left out), with their stamps:
/// `$1` repository, `$2` search pattern on the path and digest, `$3`
/// limit, `$4` offset.
macro_rules! file_page {
    ($order:literal) => {
        concat!(
            "SELECT (SELECT count(*) FROM files f WHERE ",
            file_filter!(),
            ") AS total,
       f.path, f.digest, f.size, f.created, COALESCE(s.stamp, 0) AS stamp
  FROM files f LEFT JOIN file_stamps s ON s.repo = f.repo AND s.path = f.path
 WHERE ",
            file_filter!(),
            " ORDER BY ",
            $order,
            " LIMIT $3 OFFSET $4"
        )
    };
}

macro_rules! file_filter {
    () => {
        "f.repo = $1
   AND f.path NOT LIKE '%.sig' AND f.path NOT LIKE '%.sig.bin'
   AND f.path NOT LIKE '%.sigstore.json' AND f.path NOT LIKE '%.asc'
   AND ($2 = '' OR lower(f.path) LIKE $2 ESCAPE '\\' OR lower(f.digest) LIKE $2 ESCAPE '\\')"
    };
}

/// One static statement per sort (column, direction).
fn image_sql(sort: SortKey, desc: bool) -> &'static str {
    match (sort, desc) {
        (SortKey::Pushed, false) => image_page!("a.pushed ASC, a.digest ASC"),
        (SortKey::Pushed, true) => image_page!("a.pushed DESC, a.digest DESC"),
        (SortKey::Digest, false) => image_page!("a.digest ASC"),
        (SortKey::Digest, true) => image_page!("a.digest DESC"),
        (SortKey::Name, false) => image_page!("a.name ASC, a.digest ASC"),
        (SortKey::Name, true) => image_page!("a.name DESC, a.digest DESC"),
        (SortKey::Size, false) => image_page!("a.size ASC, a.digest ASC"),
        (SortKey::Size, true) => image_page!("a.size DESC, a.digest DESC"),
    }
}

fn file_sql(sort: SortKey, desc: bool) -> &'static str {
    match (sort, desc) {
        (SortKey::Pushed, false) => file_page!("f.created ASC, f.path ASC"),
        (SortKey::Pushed, true) => file_page!("f.created DESC, f.path DESC"),
        (SortKey::Digest, false) => file_page!("f.digest ASC, f.path ASC"),
        (SortKey::Digest, true) => file_page!("f.digest DESC, f.path DESC"),
        (SortKey::Name, false) => file_page!("f.path ASC"),
        (SortKey::Name, true) => file_page!("f.path DESC"),
        (SortKey::Size, false) => file_page!("f.size ASC, f.path ASC"),
        (SortKey::Size, true) => file_page!("f.size DESC, f.path DESC"),
    }
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Db {
    /// One page of `repo`'s artifacts: files, or images (see
    /// `artifact_rows`). Past the end, the total still counts them all.
    pub async fn artifact_page(&self, repo: &str, file: bool, q: &PageQuery) -> Result<Page> {
        let rows = |q| async move {
            if file {
                self.file_page(repo, &q).await
            } else {
                self.image_page(repo, &q).await
            }
        };
        let mut page = rows(q.clone()).await?;
        if page.rows.is_empty() && q.offset > 0 {
            // The count comes with rows only.
            let first = PageQuery {
                offset: 0,
                limit: 1,
                ..q.clone()
            };
            page.total = rows(first).await?.total;
        }
        Ok(page)
    }

    /// One page of the images in `repo` (see `artifact_rows`).
    async fn image_page(&self, repo: &str, q: &PageQuery) -> Result<Page> {
        let pattern = like_pattern(&q.search);
        // Tags never hold a comma, the separator of the stored list.
        let on_tags = i64::from(!q.search.contains(','));
        let page = on_pool!(&self.pool, p => {
            let rows = sqlx::query(image_sql(q.sort, q.desc))
                .bind(repo)
                .bind(&pattern)
                .bind(on_tags)
                .bind(i64::from(q.limit))
                .bind(i64::from(q.offset))
                .fetch_all(p)
                .await?;
            let mut page = Page { total: 0, rows: Vec::with_capacity(rows.len()) };
            for r in &rows {
                page.total = to_u64(r.try_get("total")?);
                let tags: String = r.try_get("tags")?;
                let mut tags: Vec<String> =
                    tags.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect();
                tags.sort();
                page.rows.push(ArtifactRow {
                    name: tags.join(", "),
                    tags,
                    digest: r.try_get("digest")?,
                    media_type: r.try_get("media_type")?,
                    size: to_u64(r.try_get("size")?),
                    pushed_at: r.try_get("pushed")?,
                    pushed_by: r.try_get("pusher")?,
                    stamp: r.try_get("stamp")?,
                });
            }
            page
        });
        Ok(page)
    }

    /// One page of the files in `repo` (detached signatures left out).
    async fn file_page(&self, repo: &str, q: &PageQuery) -> Result<Page> {
        let pattern = like_pattern(&q.search);
        let page = on_pool!(&self.pool, p => {
            let rows = sqlx::query(file_sql(q.sort, q.desc))
                .bind(repo)
                .bind(&pattern)
                .bind(i64::from(q.limit))
                .bind(i64::from(q.offset))
                .fetch_all(p)
                .await?;
            let mut page = Page { total: 0, rows: Vec::with_capacity(rows.len()) };
            for r in &rows {
                page.total = to_u64(r.try_get("total")?);
                page.rows.push(ArtifactRow {
                    name: r.try_get("path")?,
                    tags: Vec::new(),
                    digest: r.try_get("digest")?,
                    media_type: String::new(),
                    size: to_u64(r.try_get("size")?),
                    pushed_at: r.try_get("created")?,
                    pushed_by: String::new(),
                    stamp: r.try_get("stamp")?,
                });
            }
            page
        });
        Ok(page)
    }
}

/// The signing status of one artifact.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `signed` (a signature verified against a registered key or a
    /// trusted certificate), `unverified` (signatures present, none
    /// verified), `unsigned`, or `quarantined` (an enforced policy is not
    /// met: not pullable).
    pub status: &'static str,
    /// Who signed it: key names, or certificate identities.
    pub signers: Vec<String>,
    /// Predicate types of verified attestations.
    pub attestations: Vec<String>,
    /// Signatures and attestations examined (verified or not).
    pub checked: usize,
    /// The policy outcome: `unprotected`, `allow`, `warn`, `audit`, `deny`.
    pub policy: &'static str,
    /// Why an unmet policy is unmet.
    pub reasons: Vec<String>,
}

/// A summary kept while the keys and policies (`trust`) and the row's
/// stamp stay put, until `until`.
#[derive(Clone)]
pub(crate) struct CachedSummary {
    trust: [u8; 32],
    stamp: i64,
    until: i64,
    summary: Arc<Summary>,
}

/// Folds findings and the decision into a summary (pure).
pub fn summarize(
    state_keys: &[(String, String)],
    findings: &Findings,
    decision: Option<&signet_policy::decide::Decision>,
) -> Summary {
    let key_name = |id: &str| {
        state_keys
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let mut signers = Vec::new();
    let mut attestations = Vec::new();
    for e in &findings.evidence {
        match &e.claim {
            Claim::Signature { .. } => {
                let who = match &e.signer {
                    Signer::Key { key_id } => key_name(key_id),
                    Signer::Certificate { identity, .. } => identity.clone(),
                };
                if !signers.contains(&who) {
                    signers.push(who);
                }
            }
            Claim::Attestation { predicate_type } => {
                if !attestations.contains(predicate_type) {
                    attestations.push(predicate_type.clone());
                }
            }
        }
    }
    let policy = match decision.map(|d| (d.outcome, d.warning().is_some())) {
        None | Some((Outcome::Unprotected, _)) => "unprotected",
        Some((Outcome::Allow, _)) => "allow",
        Some((Outcome::AllowUnmet, true)) => "warn",
        Some((Outcome::AllowUnmet, false)) => "audit",
        Some((Outcome::Deny, _)) => "deny",
    };
    let status = if policy == "deny" {
        "quarantined"
    } else if !signers.is_empty() {
        "signed"
    } else if !findings.checks.is_empty() {
        "unverified"
    } else {
        "unsigned"
    };
    Summary {
        status,
        signers,
        attestations,
        checked: findings.checks.len(),
        policy,
        reasons: decision.map(|d| d.reasons()).unwrap_or_default(),
    }
}

impl Registry {
    /// The signing summary of one listed artifact, reused while its stamp
    /// and the keys and policies stay put (`cache: false` for an index
    /// looked at on behalf of its image, whose stamp covers it).
    pub(crate) async fn artifact_summary(
        &self,
        state: &State,
        repo: &str,
        row: &ArtifactRow,
        file: bool,
        cache: bool,
    ) -> Result<Arc<Summary>> {
        let subject = if file { &row.name } else { &row.digest };
        let at = now();
        if cache
            && let Some(c) = self.signing().summary(repo, subject)
            && c.trust == state.trust
            && c.stamp == row.stamp
            && c.until > at
        {
            return Ok(c.summary);
        }
        let (findings, ty) = if file {
            (
                self.file_findings(state, repo, &row.name, &row.digest, at)
                    .await?,
                ArtifactType::of_file(&row.name),
            )
        } else {
            (
                self.manifest_findings(state, repo, &row.digest, at).await?,
                if row.media_type.starts_with("application/vnd.docker.") {
                    ArtifactType::Docker
                } else {
                    ArtifactType::Oci
                },
            )
        };
        let policies = state.covering_policies(repo);
        let decision = (!policies.is_empty()).then(|| {
            let keys: Vec<_> = state.keys.iter().map(|k| k.trusted.clone()).collect();
            decide(
                &policies,
                Artifact {
                    repository: repo,
                    artifact_type: ty,
                },
                &findings.evidence,
                &keys,
                at,
            )
        });
        let names: Vec<(String, String)> = state
            .keys
            .iter()
            .map(|k| (k.row.id.clone(), k.row.name.clone()))
            .collect();
        let mut summary = summarize(&names, &findings, decision.as_ref());
        // As on the pull path: an image inside an allowed index (a signed
        // multi-platform image) is served with it.
        if summary.status == "quarantined" && !file && cache {
            for parent in self.db().parents(repo, &row.digest).await? {
                let Some(pm) = self.db().manifest(repo, &parent).await? else {
                    continue;
                };
                if !super::names::is_index(&pm.media_type) {
                    continue;
                }
                let prow = ArtifactRow {
                    name: String::new(),
                    tags: Vec::new(),
                    digest: parent,
                    media_type: pm.media_type,
                    size: 0,
                    pushed_at: 0,
                    pushed_by: String::new(),
                    stamp: row.stamp,
                };
                let ps = Box::pin(self.artifact_summary(state, repo, &prow, false, false)).await?;
                if ps.status != "quarantined" {
                    summary.status = if summary.signers.is_empty() {
                        "unsigned"
                    } else {
                        "signed"
                    };
                    summary.policy = "allow";
                    summary.reasons = vec![format!("served as part of index {}", prow.digest)];
                    break;
                }
            }
        }
        let summary = Arc::new(summary);
        if cache {
            self.signing().remember_summary(
                repo,
                subject,
                CachedSummary {
                    trust: state.trust,
                    stamp: row.stamp,
                    until: super::signing::expiry_of(state, &findings, at),
                    summary: summary.clone(),
                },
            );
        }
        Ok(summary)
    }

    /// One page of `repo`'s artifacts with their summaries, as JSON.
    pub(crate) async fn artifacts_json(
        &self,
        repo: &str,
        kind: &str,
        q: &PageQuery,
    ) -> Result<Value> {
        let file = kind != "oci";
        let (page, state) = futures_util::future::try_join(
            self.db().artifact_page(repo, file, q),
            self.current_signing_state(),
        )
        .await?;
        let summaries = futures_util::future::try_join_all(
            page.rows
                .iter()
                .map(|r| self.artifact_summary(&state, repo, r, file, true)),
        )
        .await?;
        let artifacts: Vec<Value> = page
            .rows
            .iter()
            .zip(summaries)
            .map(|(r, s)| {
                let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
                if let (Some(o), Ok(Value::Object(s))) =
                    (v.as_object_mut(), serde_json::to_value(&*s))
                {
                    o.extend(s);
                }
                v
            })
            .collect();
        Ok(json!({
            "repository": repo,
            "type": kind,
            "total": page.total,
            "offset": q.offset,
            "limit": q.limit,
            "artifacts": artifacts,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern(""), "");
        assert_eq!(like_pattern("  "), "");
        assert_eq!(like_pattern("V1.2"), "%v1.2%");
        assert_eq!(like_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn sort_keys_parse() {
        assert_eq!(SortKey::parse("tag"), Some(SortKey::Name));
        assert_eq!(SortKey::parse("size"), Some(SortKey::Size));
        assert_eq!(SortKey::parse("status"), None);
    }

    #[test]
    fn signature_tags_name_their_subject() {
        let hex = "ab".repeat(32);
        let want = Some(format!("sha256:{hex}"));
        assert_eq!(signature_subject(&format!("sha256-{hex}.sig")), want);
        assert_eq!(signature_subject(&format!("sha256-{hex}.att")), want);
        assert_eq!(signature_subject(&format!("sha256-{hex}")), want);
        assert_eq!(
            signature_subject(&format!("sha256-{}.sig", "AB".repeat(32))),
            want
        );
        assert_eq!(signature_subject(&format!("sha256-{hex}x")), None);
        assert_eq!(signature_subject("sha256-abc.sig"), None);
        assert_eq!(
            signature_subject(&format!("sha256-{}.sig", "zz".repeat(32))),
            None
        );
        assert_eq!(signature_subject("v1.0"), None);
        assert_eq!(signature_subject("sha256-é"), None);
    }

    #[test]
    fn summaries_name_signers_and_quarantine() {
        use signet_policy::decide::Evidence;
        use signet_policy::document::SignatureType;
        let keys = vec![("k1".to_owned(), "release-key".to_owned())];
        let empty = Findings::default();
        let s = summarize(&keys, &empty, None);
        assert_eq!((s.status, s.policy), ("unsigned", "unprotected"));
        let mut f = Findings::default();
        f.fail("tag sha256-x.sig", "bad signature");
        assert_eq!(summarize(&keys, &f, None).status, "unverified");
        f.evidence.push(Evidence {
            claim: Claim::Signature {
                signature_type: SignatureType::Cosign,
            },
            signer: Signer::Key {
                key_id: "k1".into(),
            },
            time: None,
            source: "tag sha256-x.sig".into(),
        });
        f.evidence.push(Evidence {
            claim: Claim::Attestation {
                predicate_type: "https://slsa.dev/provenance/v1".into(),
            },
            signer: Signer::Certificate {
                identity: "ci@example.com".into(),
                issuer: "https://accounts.example.com".into(),
            },
            time: None,
            source: "referrer sha256:y".into(),
        });
        let s = summarize(&keys, &f, None);
        assert_eq!(s.status, "signed");
        assert_eq!(s.signers, vec!["release-key"]);
        assert_eq!(s.attestations, vec!["https://slsa.dev/provenance/v1"]);
        let deny = signet_policy::decide::Decision {
            outcome: Outcome::Deny,
            policies: Vec::new(),
        };
        let s = summarize(&keys, &f, Some(&deny));
        assert_eq!((s.status, s.policy), ("quarantined", "deny"));
    }
}
