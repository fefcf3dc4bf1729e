//! `signet serve`: the transparency log (Rekor v1/v2 write APIs and the
//! C2SP tlog-tiles read path) and the OCI registry (`/v2/`), each on the
//! embedded default (SQLite + local disk) or PostgreSQL + S3.
//!
//! Layering: `config` (typed, parsed once) → `log::Log` (sequencing and
//! integration, the only writer) → `api` (axum handlers, thin).
#![forbid(unsafe_code)]

pub mod api;
pub mod config;
pub mod log;
pub mod metrics;
pub mod objects;
pub mod registry;
mod sql;
pub mod ui;

use anyhow::Context;

pub use config::Config;

/// Runs the server until SIGINT/SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let log = log::Log::open(&config).await?;
    let mut app = api::router(log.clone());
    let registry = if config.log_only {
        None
    } else {
        Some(registry::Registry::open(&config).await?)
    };
    if let Some(reg) = &registry {
        app = app
            .merge(registry::api::router(reg.clone()))
            .merge(ui::router());
        // Custody events go to the log shortly after their change commits.
        reg.attach_log(log.clone());
        {
            let reg = reg.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
                loop {
                    tick.tick().await;
                    if let Err(e) = reg.publish_custody().await {
                        tracing::warn!(error = %format!("{e:#}"), "custody events not logged yet");
                    }
                }
            });
        }
        if config.gc_interval > 0 {
            let (reg, every, grace, quarantine) = (
                reg.clone(),
                std::time::Duration::from_secs(config.gc_interval),
                std::time::Duration::from_secs(config.gc_grace),
                config.quarantine_secs,
            );
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    match reg.sweep_quarantine(quarantine).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(deleted = n, "quarantine expired"),
                        Err(e) => {
                            tracing::warn!(error = %format!("{e:#}"), "quarantine sweep failed")
                        }
                    }
                    match reg.gc(grace).await {
                        Ok(r) => tracing::info!(?r, "registry garbage collection"),
                        Err(e) => {
                            tracing::warn!(error = %format!("{e:#}"), "registry garbage collection failed")
                        }
                    }
                }
            });
        }
    }
    let app = app
        .merge(ops_router(log.clone(), registry))
        .layer(axum::middleware::from_fn(ui::same_origin_writes))
        .layer(axum::middleware::from_fn(metrics::track));
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(addr = %listener.local_addr()?, origin = %log.origin(), "signet serve listening");
    eprintln!(
        "signet serve: listening on http://{} (log {})",
        listener.local_addr()?,
        log.origin()
    );
    // No Nagle: a response's headers and a small body go out as separate
    // writes, and on a kept-alive connection Nagle plus the client's
    // delayed ACK would hold the body ~40 ms.
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    // On SIGTERM/SIGINT: stop accepting, let requests in flight (uploads)
    // finish, but not for longer than --shutdown-grace.
    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = stopping_tx.send(true);
    });
    let grace = std::time::Duration::from_secs(config.shutdown_grace);
    let deadline = async move {
        while !*stopping_rx.borrow() {
            if stopping_rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = serve => r.context("server failed")?,
        () = deadline => tracing::warn!(secs = grace.as_secs(), "requests still in flight after the shutdown grace period; stopping anyway"),
    }
    log.shutdown().await;
    Ok(())
}

/// `/healthz` (the process answers), `/readyz` (its databases answer) and
/// `/metrics` (Prometheus text format).
fn ops_router(log: log::Log, registry: Option<registry::Registry>) -> axum::Router {
    use axum::http::StatusCode;
    let ready = move || {
        let (log, registry) = (log.clone(), registry.clone());
        async move {
            let mut problems = Vec::new();
            if let Err(e) = log.ready().await {
                problems.push(format!("log database: {e:#}"));
            }
            if let Some(r) = &registry
                && let Err(e) = r.ready().await
            {
                problems.push(format!("registry database: {e:#}"));
            }
            if problems.is_empty() {
                (StatusCode::OK, "ready\n".to_owned())
            } else {
                tracing::warn!(problems = ?problems, "not ready");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not ready (see the server log)\n".to_owned(),
                )
            }
        }
    };
    let prometheus = metrics::handle();
    axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .route("/readyz", axum::routing::get(ready))
        .route(
            "/metrics",
            axum::routing::get(move || async move {
                match prometheus {
                    Some(h) => (
                        StatusCode::OK,
                        [("content-type", "text/plain; version=0.0.4")],
                        h.render(),
                    ),
                    None => (
                        StatusCode::NOT_FOUND,
                        [("content-type", "text/plain")],
                        "metrics recorder not installed\n".to_owned(),
                    ),
                }
            }),
        )
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
