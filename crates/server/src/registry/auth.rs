//! Authentication: users (argon2 password hashes), API tokens (stored as
//! SHA-256; they are 256-bit random secrets, so a slow hash adds nothing),
//! and the short-lived bearer tokens of the Docker token flow (`/v2/token`),
//! which are HMAC-signed with a key every replica reads from the database,
//! so any replica accepts a token another issued.
//!
//! What a principal may do is decided in [`super::access`].

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Registry;
use super::access::{Grant, Principal, parse_grants};
use super::db::TokenRow;

/// Prefix of API tokens (`sgn_` + 64 hex), so they are told from passwords.
pub const TOKEN_PREFIX: &str = "sgn_";
/// Prefix of bearer tokens from `/v2/token`.
const BEARER_PREFIX: &str = "sgb.";
/// How long a bearer token lives.
pub const BEARER_TTL_SECS: i64 = 300;

/// Who a request acts as, and how it proved it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user and their (token-capped) grants.
    pub principal: Principal,
    /// Whether it came with a short-lived `/v2/token` bearer token (which
    /// may not mint API tokens or manage users).
    pub session: bool,
}

impl Caller {
    /// No credentials.
    pub fn anonymous() -> Self {
        Self {
            principal: Principal::anonymous(),
            session: false,
        }
    }
}

/// Why credentials were refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong, expired or malformed credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Storage failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn sha256_hex(b: &[u8]) -> String {
    signet_types::hex::encode(signet_crypto::digest::sha256_concat(&[b]))
}

fn b64url() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// Hashes a password with argon2id (OWASP parameters) on a blocking thread.
pub async fn hash_password(password: Zeroizing<String>) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        signet_crypto::random_bytes(&mut salt)?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow!("salt: {e}"))?;
        let hash = argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow!("cannot hash the password: {e}"))?;
        Ok(hash.to_string())
    })
    .await
    .context("password hashing task failed")?
}

/// Checks a password against an argon2 hash on a blocking thread; with no
/// hash, checks against a dummy so an unknown user takes as long.
async fn verify_password(password: Zeroizing<String>, hash: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let known = hash.is_some();
        let hash = match hash {
            Some(h) => h,
            None => DUMMY
                .get_or_init(|| {
                    let salt = SaltString::encode_b64(b"signet-dummy-salt").ok();
                    salt.and_then(|s| {
                        argon2::Argon2::default()
                            .hash_password(b"no such user", &s)
                            .ok()
                            .map(|h| h.to_string())
                    })
                    .unwrap_or_default()
                })
                .clone(),
        };
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return Ok(false);
        };
        let ok = argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && known)
    })
    .await
    .context("password check task failed")?
}

#[derive(Serialize, Deserialize)]
struct BearerClaims {
    sub: Option<String>,
    sets: Vec<Vec<String>>,
    exp: i64,
}

fn grants_json(grants: &[Grant]) -> String {
    serde_json::to_string(&grants.iter().map(Grant::to_string).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

fn grants_from_json(json: &str) -> Result<Vec<Grant>> {
    let list: Vec<String> = serde_json::from_str(json).context("grants in the database")?;
    parse_grants(&list).map_err(|e| anyhow!("grants in the database: {e}"))
}

/// A new API token as shown once to its creator.
#[derive(Debug)]
pub struct NewToken {
    /// Its stored record.
    pub row: TokenRow,
    /// The secret (`sgn_...`); only its hash is kept.
    pub secret: Zeroizing<String>,
}

impl Registry {
    /// On first start: user `admin` (admin on every repository, no
    /// password) and its API token, written 0600 to `<data-dir>/admin-token`
    /// and printed once. Only the replica whose insert wins does this.
    pub(crate) async fn bootstrap_admin(&self, data_dir: &std::path::Path) -> Result<()> {
        let grants = vec![Grant {
            level: super::access::Level::Admin,
            glob: "**".into(),
        }];
        if !self
            .db()
            .create_user("admin", None, &grants_json(&grants), now())
            .await?
        {
            return Ok(());
        }
        let token = self
            .create_token(
                "admin",
                grants,
                "admin token (created at first start)",
                None,
            )
            .await?;
        let path = data_dir.join("admin-token");
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        crate::log::write_secret(&path, token.secret.as_bytes())?;
        eprintln!(
            "signet serve: created the admin account: user `admin`, password in {} (shown once): {}",
            path.display(),
            token.secret.as_str()
        );
        Ok(())
    }

    /// Creates an API token for `owner` with `grants` (capped by the
    /// owner's at every use).
    pub async fn create_token(
        &self,
        owner: &str,
        grants: Vec<Grant>,
        description: &str,
        expires: Option<i64>,
    ) -> Result<NewToken> {
        let mut raw = Zeroizing::new([0u8; 32]);
        signet_crypto::random_bytes(raw.as_mut())?;
        let secret = Zeroizing::new(format!(
            "{TOKEN_PREFIX}{}",
            signet_types::hex::encode(raw.as_ref())
        ));
        let mut id = [0u8; 8];
        signet_crypto::random_bytes(&mut id)?;
        let row = TokenRow {
            id: signet_types::hex::encode(id),
            owner: owner.to_owned(),
            grants: grants_json(&grants),
            description: description.to_owned(),
            created: now(),
            expires,
        };
        self.db()
            .create_token(&row, &sha256_hex(secret.as_bytes()))
            .await?;
        Ok(NewToken { row, secret })
    }

    /// A user's grants, or `None` when no such user.
    async fn user_grants(&self, user: &str) -> Result<Option<(Option<String>, Vec<Grant>)>> {
        match self.db().user(user).await? {
            Some((hash, grants)) => Ok(Some((hash, grants_from_json(&grants)?))),
            None => Ok(None),
        }
    }

    async fn principal_for_token(
        &self,
        secret: &str,
        user: Option<&str>,
    ) -> Result<Principal, AuthError> {
        let bad = || AuthError::Unauthorized("unknown or revoked API token".into());
        let row = self
            .db()
            .token_by_hash(&sha256_hex(secret.as_bytes()))
            .await?
            .ok_or_else(bad)?;
        if row.expires.is_some_and(|e| e <= now()) {
            return Err(AuthError::Unauthorized(
                "this API token has expired; create a new one".into(),
            ));
        }
        if user.is_some_and(|u| u != row.owner) {
            return Err(AuthError::Unauthorized(format!(
                "this API token belongs to another user (log in as {})",
                row.owner
            )));
        }
        let (_, owner_grants) = self.user_grants(&row.owner).await?.ok_or_else(bad)?;
        Ok(Principal::user(&row.owner, owner_grants).capped(grants_from_json(&row.grants)?))
    }

    /// Who `Authorization` says the caller is (anonymous without one).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, AuthError> {
        let Some(h) = authorization else {
            return Ok(Caller::anonymous());
        };
        if let Some(b) = h.strip_prefix("Basic ") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .map(Zeroizing::new)
                .ok_or_else(|| AuthError::Unauthorized("malformed Basic credentials".into()))?;
            let (user, pass) = decoded.split_once(':').ok_or_else(|| {
                AuthError::Unauthorized("Basic credentials need user:password".into())
            })?;
            if pass.starts_with(TOKEN_PREFIX) {
                let principal = self.principal_for_token(pass, Some(user)).await?;
                return Ok(Caller {
                    principal,
                    session: false,
                });
            }
            let found = self.user_grants(user).await?;
            let hash = found.as_ref().and_then(|(h, _)| h.clone());
            if !verify_password(Zeroizing::new(pass.to_owned()), hash).await? {
                return Err(AuthError::Unauthorized(
                    "wrong user name or password".into(),
                ));
            }
            let (_, grants) = found.ok_or_else(|| anyhow!("user vanished"))?;
            return Ok(Caller {
                principal: Principal::user(user, grants),
                session: false,
            });
        }
        if let Some(t) = h.strip_prefix("Bearer ") {
            let t = t.trim();
            if t.starts_with(TOKEN_PREFIX) {
                let principal = self.principal_for_token(t, None).await?;
                return Ok(Caller {
                    principal,
                    session: false,
                });
            }
            return self.check_bearer(t);
        }
        Err(AuthError::Unauthorized(
            "unsupported Authorization scheme (use Basic or Bearer)".into(),
        ))
    }

    /// Issues a bearer token carrying `caller`'s rights for
    /// [`BEARER_TTL_SECS`]. It is not narrowed to the scope a client asks
    /// for: clients (oras-py among them) reuse one token for pull and push,
    /// and Basic credentials carry the same rights on every request anyway.
    pub fn issue_bearer(&self, caller: &Caller) -> Result<String> {
        let claims = BearerClaims {
            sub: caller.principal.user.clone(),
            sets: caller
                .principal
                .sets
                .iter()
                .map(|s| s.iter().map(Grant::to_string).collect())
                .collect(),
            exp: now() + BEARER_TTL_SECS,
        };
        let payload = b64url().encode(serde_json::to_vec(&claims)?);
        let mac = signet_crypto::hmac_sha256(self.bearer_key(), payload.as_bytes());
        Ok(format!("{BEARER_PREFIX}{payload}.{}", b64url().encode(mac)))
    }

    fn check_bearer(&self, token: &str) -> Result<Caller, AuthError> {
        let bad = || AuthError::Unauthorized("invalid bearer token; log in again".into());
        let rest = token.strip_prefix(BEARER_PREFIX).ok_or_else(bad)?;
        let (payload, mac) = rest.split_once('.').ok_or_else(bad)?;
        let mac = b64url().decode(mac).map_err(|_| bad())?;
        if !signet_crypto::hmac_sha256_verify(self.bearer_key(), payload.as_bytes(), &mac) {
            return Err(bad());
        }
        let claims: BearerClaims = b64url()
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(bad)?;
        if claims.exp <= now() {
            return Err(AuthError::Unauthorized(
                "bearer token expired; ask /v2/token for a new one".into(),
            ));
        }
        let sets = claims
            .sets
            .iter()
            .map(|s| parse_grants(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad())?;
        Ok(Caller {
            principal: Principal {
                user: claims.sub,
                sets,
            },
            session: true,
        })
    }

    /// Creates a user with a password (hashed with argon2).
    pub async fn create_user(
        &self,
        name: &str,
        password: Zeroizing<String>,
        grants: &[Grant],
    ) -> Result<bool> {
        let hash = hash_password(password).await?;
        self.db()
            .create_user(name, Some(&hash), &grants_json(grants), now())
            .await
    }
}
