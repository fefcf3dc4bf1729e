//! The artifacts overview (`GET /api/v1/repositories/{repo}/artifacts`):
//! one page of a repository's artifacts (images by manifest digest, or
//! files), searched, sorted and paged in SQL, each with its signing status
//! worked out by the same verifier and policy evaluation the pull path
//! uses.
//!
//! The sorted listing of a (repository, search, sort) is kept in memory
//! and reused while the repository's version (bumped in the transaction of
//! every push, tag move and delete, so seen by every replica) stays put.
//! The first request after a change is answered by a query for its page
//! alone, and the whole listing is built after that answer; a listing over
//! [`LISTING_ROWS_MAX`] rows is not kept, each page is then its own query. Only the rows of a page are verified,
//! and each summary is reused under the same conditions, until a key it
//! relied on expires or the signing epoch (keys, policies) moves.

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

/// Longest listing kept in memory.
pub const LISTING_ROWS_MAX: usize = 50_000;
/// Most listings kept (all are dropped when more are made).
pub const LISTINGS_MAX: usize = 64;
/// Most rows on one page.
pub const PAGE_MAX: u32 = 200;

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

    fn sql(self, desc: bool) -> &'static str {
        match (self, desc) {
            (Self::Pushed, false) => "pushed_asc",
            (Self::Pushed, true) => "pushed_desc",
            (Self::Name, false) => "name_asc",
            (Self::Name, true) => "name_desc",
            (Self::Digest, false) => "digest_asc",
            (Self::Digest, true) => "digest_desc",
            (Self::Size, false) => "size_asc",
            (Self::Size, true) => "size_desc",
        }
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

/// The images of a repository that the overview lists, with `$extra`
/// columns, sorted by `$order`: not referrers, not tagged as cosign
/// signatures or attestations (`sha256-…`), not untagged children of an
/// index; matching the search `$2` on a tag or the digest. Each filter is
/// an index probe per row; sizes and tag lists are worked out for the
/// page's rows only ([`Db::image_details`]), unless the sort needs them.
macro_rules! image_page {
    ($extra:expr, $join:expr, $order:literal) => {
        concat!(
            "WITH visible AS (
    SELECT m.digest AS digest, m.media_type AS media_type,
           CAST(length(m.body) AS BIGINT) AS body_len",
            $extra,
            "
      FROM manifests m",
            $join,
            "
     WHERE m.repo = $1
       AND m.digest NOT IN (SELECT r.digest FROM referrers r WHERE r.repo = $1)
       AND m.digest NOT IN (SELECT t.digest FROM tags t
                             WHERE t.repo = $1 AND t.tag LIKE 'sha256-%')
       AND (EXISTS (SELECT 1 FROM tags t WHERE t.repo = $1 AND t.digest = m.digest)
            OR NOT EXISTS (SELECT 1 FROM manifest_refs c WHERE c.repo = $1 AND c.child = m.digest))
       AND ($2 = '' OR lower(m.digest) LIKE $2 ESCAPE '\\'
            OR EXISTS (SELECT 1 FROM tags t WHERE t.repo = $1 AND t.digest = m.digest
                        AND lower(t.tag) LIKE $2 ESCAPE '\\'))
)
SELECT (SELECT count(*) FROM visible) AS total, v.digest AS digest, v.media_type AS media_type,
       v.body_len AS body_len
  FROM (SELECT * FROM visible ORDER BY ",
            $order,
            " LIMIT $3 OFFSET $4) v ORDER BY ",
            $order
        )
    };
}

/// `min(tag || '')`, not `min(tag)`: for a bare column SQLite answers the
/// minimum from the (repo, tag) primary key, scanning every tag of the
/// repository for every row.
macro_rules! name_column {
    () => {
        ", COALESCE((SELECT min(t.tag || '') FROM tags t WHERE t.repo = $1 AND t.digest = m.digest), '') AS name"
    };
}

/// The index on (repo, parent, child) answers this; without it being
/// covering, SQLite preferred the primary key's (repo) prefix and scanned
/// the repository for every row.
macro_rules! size_column {
    () => {
        ", CAST(length(m.body) AS BIGINT) + COALESCE((SELECT CAST(sum(b.size) AS BIGINT) FROM manifest_refs c
             JOIN blobs b ON b.digest = c.child WHERE c.repo = $1 AND c.parent = m.digest), 0) AS size_all"
    };
}

/// The push time, only where the sort needs it (a probe per row).
macro_rules! pushed {
    () => {
        "
      LEFT JOIN manifest_pushes p ON p.repo = m.repo AND p.digest = m.digest"
    };
}

/// One static statement per sort (column, direction).
fn image_sql(sort: SortKey, desc: bool) -> &'static str {
    match (sort, desc) {
        (SortKey::Pushed, false) => image_page!(
            ", COALESCE(p.pushed, 0) AS pushed",
            pushed!(),
            "pushed ASC, digest ASC"
        ),
        (SortKey::Pushed, true) => image_page!(
            ", COALESCE(p.pushed, 0) AS pushed",
            pushed!(),
            "pushed DESC, digest ASC"
        ),
        (SortKey::Digest, false) => image_page!("", "", "digest ASC"),
        (SortKey::Digest, true) => image_page!("", "", "digest DESC"),
        (SortKey::Name, false) => image_page!(name_column!(), "", "name ASC, digest ASC"),
        (SortKey::Name, true) => image_page!(name_column!(), "", "name DESC, digest ASC"),
        (SortKey::Size, false) => image_page!(size_column!(), "", "size_all ASC, digest ASC"),
        (SortKey::Size, true) => image_page!(size_column!(), "", "size_all DESC, digest ASC"),
    }
}

const FILE_PAGE: &str = "WITH visible AS (
    SELECT f.path AS name, f.digest AS digest, f.size AS size, f.created AS pushed
      FROM files f
     WHERE f.repo = $1
       AND f.path NOT LIKE '%.sig' AND f.path NOT LIKE '%.sig.bin'
       AND f.path NOT LIKE '%.sigstore.json' AND f.path NOT LIKE '%.asc'
       AND ($2 = '' OR lower(f.path) LIKE $2 ESCAPE '\\' OR lower(f.digest) LIKE $2 ESCAPE '\\')
)
SELECT (SELECT count(*) FROM visible) AS total, v.name, v.digest, v.size, v.pushed
  FROM (SELECT * FROM visible ORDER BY
          CASE WHEN $3 = 'pushed_asc' THEN pushed END ASC,
          CASE WHEN $3 = 'pushed_desc' THEN pushed END DESC,
          CASE WHEN $3 = 'name_desc' THEN name END DESC,
          CASE WHEN $3 = 'size_asc' THEN size END ASC,
          CASE WHEN $3 = 'size_desc' THEN size END DESC,
          CASE WHEN $3 = 'digest_asc' THEN digest END ASC,
          CASE WHEN $3 = 'digest_desc' THEN digest END DESC,
          name ASC
        LIMIT $4 OFFSET $5) v";

impl Db {
    /// One page of the images in `repo`: manifests that are neither
    /// signatures, attestations nor referrers, nor untagged children of an
    /// index.
    pub async fn image_page(&self, repo: &str, q: &PageQuery) -> Result<Page> {
        let pattern = like_pattern(&q.search);
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(image_sql(q.sort, q.desc))
                .bind(repo)
                .bind(&pattern)
                .bind(i64::from(q.limit))
                .bind(i64::from(q.offset))
                .fetch_all(p)
                .await?;
            let mut page = Page { total: 0, rows: Vec::with_capacity(rows.len()) };
            for r in &rows {
                page.total = u64::try_from(r.try_get::<i64, _>("total")?).unwrap_or(0);
                page.rows.push(ArtifactRow {
                    name: String::new(),
                    tags: Vec::new(),
                    digest: r.try_get("digest")?,
                    media_type: r.try_get("media_type")?,
                    // The manifest's own bytes; `image_details` adds the rest.
                    size: u64::try_from(r.try_get::<i64, _>("body_len")?).unwrap_or(0),
                    pushed_at: 0,
                    pushed_by: String::new(),
                });
            }
            if rows.is_empty() && q.offset > 0 {
                page.total = Box::pin(self.image_page(repo, &PageQuery { offset: 0, limit: 1, ..q.clone() })).await?.total;
            }
            Ok(page)
        })
    }

    /// Fills in an image row's tags and size (manifest, config and layers).
    pub async fn image_details(&self, repo: &str, row: &mut ArtifactRow) -> Result<()> {
        on_pool!(&self.pool, p => {
            let r = sqlx::query(
                "SELECT COALESCE((SELECT string_agg(t.tag, ',') FROM tags t
                                   WHERE t.repo = $1 AND t.digest = $2), '') AS tags,
                        COALESCE((SELECT CAST(sum(b.size) AS BIGINT) FROM manifest_refs c
                                   JOIN blobs b ON b.digest = c.child
                                   WHERE c.repo = $1 AND c.parent = $2), 0) AS size,
                        COALESCE((SELECT p.pushed FROM manifest_pushes p
                                   WHERE p.repo = $1 AND p.digest = $2), 0) AS pushed,
                        COALESCE((SELECT p.pusher FROM manifest_pushes p
                                   WHERE p.repo = $1 AND p.digest = $2), '') AS pusher",
            )
            .bind(repo)
            .bind(&row.digest)
            .fetch_one(p)
            .await?;
            let tags: String = r.try_get("tags")?;
            let mut tags: Vec<String> = tags
                .split(',')
                .filter(|t| !t.is_empty() && !t.starts_with("sha256-"))
                .map(str::to_owned)
                .collect();
            tags.sort();
            row.name = tags.join(", ");
            row.tags = tags;
            row.size += u64::try_from(r.try_get::<i64, _>("size")?).unwrap_or(0);
            row.pushed_at = r.try_get("pushed")?;
            row.pushed_by = r.try_get("pusher")?;
            Ok(())
        })
    }

    /// One page of the files in `repo` (detached signatures left out).
    pub async fn file_page(&self, repo: &str, q: &PageQuery) -> Result<Page> {
        let pattern = like_pattern(&q.search);
        on_pool!(&self.pool, p => {
            let rows = sqlx::query(FILE_PAGE)
                .bind(repo)
                .bind(&pattern)
                .bind(q.sort.sql(q.desc))
                .bind(i64::from(q.limit))
                .bind(i64::from(q.offset))
                .fetch_all(p)
                .await?;
            let mut page = Page { total: 0, rows: Vec::with_capacity(rows.len()) };
            for r in &rows {
                page.total = u64::try_from(r.try_get::<i64, _>("total")?).unwrap_or(0);
                let name: String = r.try_get("name")?;
                page.rows.push(ArtifactRow {
                    name,
                    tags: Vec::new(),
                    digest: r.try_get("digest")?,
                    media_type: String::new(),
                    size: u64::try_from(r.try_get::<i64, _>("size")?).unwrap_or(0),
                    pushed_at: r.try_get("pushed")?,
                    pushed_by: String::new(),
                });
            }
            if rows.is_empty() && q.offset > 0 {
                page.total = Box::pin(self.file_page(repo, &PageQuery { offset: 0, limit: 1, ..q.clone() })).await?.total;
            }
            Ok(page)
        })
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

#[derive(Clone)]
pub(crate) struct CachedSummary {
    epoch: i64,
    version: i64,
    until: i64,
    summary: Arc<Summary>,
}

#[derive(Clone)]
pub(crate) struct CachedListing {
    version: i64,
    /// `None` while it is being built (or when that failed).
    rows: Option<Arc<Vec<ArtifactRow>>>,
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
    /// The signing summary of one listed artifact (cached, see the module
    /// docs).
    pub(crate) async fn artifact_summary(
        &self,
        state: &State,
        repo: &str,
        row: &ArtifactRow,
        file: bool,
        version: i64,
        depth: u8,
    ) -> Result<Arc<Summary>> {
        let subject = if file { &row.name } else { &row.digest };
        let at = now();
        if let Some(c) = self.signing().summary(repo, subject)
            && c.epoch == state.epoch
            && c.version == version
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
        if summary.status == "quarantined" && !file && depth == 0 {
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
                };
                let ps =
                    Box::pin(self.artifact_summary(state, repo, &prow, false, version, 1)).await?;
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
        let until = super::signing::expiry_of(state, &findings, at);
        self.signing().remember_summary(
            repo,
            subject,
            CachedSummary {
                epoch: state.epoch,
                version,
                until,
                summary: summary.clone(),
            },
        );
        Ok(summary)
    }

    /// One page of `repo`'s artifacts (from the kept listing, or a query).
    async fn artifact_page(
        &self,
        repo: &str,
        file: bool,
        q: &PageQuery,
        version: i64,
    ) -> Result<Page> {
        let key = format!("{file}\n{:?}\n{}\n{}", q.sort, q.desc, q.search);
        let slice = |rows: &[ArtifactRow]| Page {
            total: rows.len() as u64,
            rows: rows
                .iter()
                .skip(q.offset as usize)
                .take(q.limit as usize)
                .cloned()
                .collect(),
        };
        let known = self
            .signing()
            .listing(repo, &key)
            .filter(|c| c.version == version);
        if let Some(rows) = known.as_ref().and_then(|c| c.rows.clone()) {
            return Ok(slice(&rows));
        }
        // Not kept yet: this page straight from the database, and (once per
        // version) the whole listing built after the answer, for the pages
        // that follow.
        let page = if file {
            self.db().file_page(repo, q).await?
        } else {
            self.db().image_page(repo, q).await?
        };
        if known.is_none() && page.total as usize <= LISTING_ROWS_MAX {
            self.signing().remember_listing(
                repo,
                &key,
                CachedListing {
                    version,
                    rows: None,
                },
            );
            let (reg, repo, q) = (self.clone(), repo.to_owned(), q.clone());
            tokio::spawn(async move {
                let all = PageQuery {
                    offset: 0,
                    limit: u32::try_from(LISTING_ROWS_MAX).unwrap_or(u32::MAX),
                    ..q
                };
                let whole = if file {
                    reg.db().file_page(&repo, &all).await
                } else {
                    reg.db().image_page(&repo, &all).await
                };
                match whole {
                    Ok(whole) => reg.signing().remember_listing(
                        &repo,
                        &key,
                        CachedListing {
                            version,
                            rows: Some(Arc::new(whole.rows)),
                        },
                    ),
                    Err(e) => {
                        tracing::warn!(repository = %repo, error = %format!("{e:#}"), "cannot build the artifacts listing")
                    }
                }
            });
        }
        Ok(page)
    }

    /// One page of `repo`'s artifacts with their summaries, as JSON.
    pub(crate) async fn artifacts_json(
        &self,
        repo: &str,
        kind: &str,
        q: &PageQuery,
    ) -> Result<Value> {
        let file = kind != "oci";
        let (epoch, version) = self.db().listing_state(repo).await?;
        let mut page = self.artifact_page(repo, file, q, version).await?;
        if !file {
            futures_util::future::try_join_all(
                page.rows
                    .iter_mut()
                    .map(|r| self.db().image_details(repo, r)),
            )
            .await?;
        }
        let state = self.signing_state(epoch).await?;
        let summaries = futures_util::future::try_join_all(
            page.rows
                .iter()
                .map(|r| self.artifact_summary(&state, repo, r, file, version, 0)),
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
        assert_eq!(SortKey::Pushed.sql(true), "pushed_desc");
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
