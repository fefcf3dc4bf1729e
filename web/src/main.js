// The Signet web UI: one page, hash routes, data from /api/v1/. The API
// token the user signs in with lives in this tab's sessionStorage only and
// goes out as `Authorization: Bearer` (never in a URL, cookie or the page).
import { h, render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { verifyRecord } from './verify.js';
import './style.css';

const html = htm.bind(h);
const TOKEN = 'signet.token';

// ---- API ---------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message, detail) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

let onUnauthorized = () => {};

async function api(path, { method = 'GET', body, json, raw } = {}) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN) || ''}` };
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (body !== undefined) {
    headers['Content-Type'] = 'text/plain';
  }
  const r = await fetch(path, { method, headers, body, credentials: 'omit', cache: 'no-store' });
  if (r.status === 401) onUnauthorized();
  if (!r.ok) {
    let message = `${r.status} ${r.statusText}`;
    let detail;
    try {
      const e = (await r.json()).errors?.[0];
      if (e) {
        message = e.message;
        detail = e.detail;
      }
    } catch (_) {
      /* not JSON */
    }
    throw new ApiError(r.status, message, detail);
  }
  if (raw) return r.text();
  return r.status === 204 ? null : r.json();
}

const enc = encodeURIComponent;
const repoPath = (name) => name.split('/').map(enc).join('/');

// ---- helpers -----------------------------------------------------------

function fmtTime(v, ms = false) {
  if (!v) return '';
  const d = new Date(ms ? v : v * 1000);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function fmtSize(n) {
  if (n === undefined || n === null) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${u[i]}`;
}

const short = (d) => (d ? d.replace(/^sha256:/, '').slice(0, 12) : '');

function useHash() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const f = () => setHash(location.hash || '#/');
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return hash;
}

function parseHash(hash) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

function useLoad(fn, deps) {
  const [state, set] = useState({ loading: true });
  useEffect(() => {
    let live = true;
    set((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && set({ data }),
      (error) => live && set({ error }),
    );
    return () => {
      live = false;
    };
  }, deps);
  return state;
}

const ErrorBox = ({ error }) => html`<p class="error" role="alert">${error.message}</p>`;

const Status = ({ status }) =>
  html`<span class=${`badge ${status}`} data-status=${status}>${status}</span>`;

// ---- sign-in -----------------------------------------------------------

function SignIn({ onSignedIn }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const input = useRef();
  useEffect(() => input.current?.focus(), []);
  const submit = async (e) => {
    e.preventDefault();
    const token = input.current.value.trim();
    setBusy(true);
    setError(null);
    try {
      const r = await fetch('/api/v1/whoami', {
        headers: { Authorization: `Bearer ${token}` },
        credentials: 'omit',
      });
      const who = r.ok ? await r.json() : null;
      if (!who || !who.user) throw new Error('That token was not accepted (unknown, revoked or expired).');
      sessionStorage.setItem(TOKEN, token);
      input.current.value = '';
      onSignedIn(who);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <h1>Signet</h1>
    <form onSubmit=${submit} aria-label="Sign in">
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false"
        placeholder="sgn_…" ref=${input} required />
      <p class="hint">Create one with <code>signet registry token create</code>, or use the admin token in
        <code>&lt;data-dir&gt;/admin-token</code>. It stays in this browser tab only.</p>
      <button type="submit" disabled=${busy}>Sign in</button>
      ${error && html`<${ErrorBox} error=${error} />`}
    </form>
  </main>`;
}

// ---- repositories ------------------------------------------------------

function Repositories() {
  const s = useLoad(() => api('/api/v1/repositories?n=1000'), []);
  if (s.error) return html`<${ErrorBox} error=${s.error} />`;
  if (!s.data) return html`<p aria-busy="true">Loading…</p>`;
  const list = s.data.repositories;
  return html`<section>
    <h1>Repositories</h1>
    ${list.length === 0
      ? html`<p>No repositories yet: push an image or upload a file.</p>`
      : html`<table class="grid" id="repositories">
          <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Anonymous read</th><th scope="col">Created</th></tr></thead>
          <tbody>
            ${list.map(
              (r) => html`<tr key=${r.name}>
                <td><a href=${`#/repo/${repoPath(r.name)}`}>${r.name}</a></td>
                <td>${r.type}</td>
                <td>${r.anonymous_read ? 'yes' : 'no'}</td>
                <td>${fmtTime(r.created)}</td>
              </tr>`,
            )}
          </tbody>
        </table>`}
  </section>`;
}

// ---- artifacts table ---------------------------------------------------

const COLUMNS = [
  ['name', 'Name / tag', true],
  ['digest', 'Digest', true],
  ['size', 'Size', true],
  ['pushed', 'Pushed', true],
  ['status', 'Status', false],
  ['signer', 'Signer', false],
  ['attestations', 'Attestations', false],
  ['policy', 'Policy', false],
];

function Artifacts({ repo, params }) {
  const q = params.get('q') || '';
  const sort = params.get('sort') || 'pushed';
  const order = params.get('order') || (sort === 'pushed' ? 'desc' : 'asc');
  const page = Math.max(0, Number(params.get('page') || 0));
  const limit = 50;
  const [search, setSearch] = useState(q);
  const [state, setState] = useState({});
  const table = useRef();
  const answered = useRef(0);
  const go = (changes) => {
    const p = new URLSearchParams({ q, sort, order, page: String(page), ...changes });
    for (const [k, v] of [...p]) if (v === '' || (k === 'page' && v === '0')) p.delete(k);
    location.hash = `#/repo/${repoPath(repo)}${p.toString() ? `?${p}` : ''}`;
  };
  useEffect(() => setSearch(q), [q]);
  useEffect(() => {
    let live = true;
    const url = `/api/v1/repositories/${repoPath(repo)}/artifacts?q=${enc(q)}&sort=${sort}&order=${order}&offset=${page * limit}&limit=${limit}`;
    const t0 = performance.now();
    api(url).then(
      (data) => {
        if (!live) return;
        answered.current = performance.now();
        setState({ data, apiMs: answered.current - t0 });
      },
      (error) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [repo, q, sort, order, page]);
  // Render time: from the API's answer to the next painted frame.
  useLayoutEffect(() => {
    if (!state.data || !table.current) return;
    const el = table.current;
    const start = answered.current;
    requestAnimationFrame(() =>
      setTimeout(() => {
        const ms = performance.now() - start;
        el.dataset.renderMs = ms.toFixed(1);
        el.dataset.apiMs = state.apiMs.toFixed(1);
        el.dataset.rendered = 'true';
        el.dataset.seq = String(Number(el.dataset.seq || 0) + 1);
      }, 0),
    );
  }, [state.data]);
  useEffect(() => {
    const t = setTimeout(() => search !== q && go({ q: search, page: '0' }), 250);
    return () => clearTimeout(t);
  }, [search]);

  const d = state.data;
  const pages = d ? Math.max(1, Math.ceil(d.total / limit)) : 1;
  const header = ([key, label, sortable]) => {
    const active = sort === key;
    const aria = active ? (order === 'asc' ? 'ascending' : 'descending') : 'none';
    return html`<th scope="col" aria-sort=${sortable ? aria : undefined}>
      ${sortable
        ? html`<button class="sort" data-sort=${key}
            onClick=${() => go({ sort: key, order: active && order === 'asc' ? 'desc' : 'asc', page: '0' })}>
            ${label}${active ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</button>`
        : label}
    </th>`;
  };
  const link = (a) =>
    d.type === 'oci'
      ? `#/artifact/${repoPath(repo)}/${a.digest}`
      : `#/file/${repoPath(repo)}/${a.name.split('/').map(enc).join('/')}`;
  return html`<section>
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Repositories</a> / <span>${repo}</span></nav>
    <h1>${repo}</h1>
    <div class="toolbar">
      <label for="search">Search</label>
      <input id="search" type="search" value=${search} placeholder="tag, path or digest"
        onInput=${(e) => setSearch(e.target.value)} />
      ${d && html`<span class="count" id="total">${d.total} artifact${d.total === 1 ? '' : 's'}</span>`}
    </div>
    ${state.error && html`<${ErrorBox} error=${state.error} />`}
    ${d &&
    html`<table class="grid artifacts" id="artifacts" ref=${table}>
        <thead><tr>${COLUMNS.map(header)}</tr></thead>
        <tbody>
          ${d.artifacts.map(
            (a) => html`<tr key=${a.digest + a.name} data-status=${a.status}>
              <td><a href=${link(a)}>${a.name || (a.status === 'quarantined' ? '(held)' : '(untagged)')}</a></td>
              <td><code title=${a.digest}>${short(a.digest)}</code></td>
              <td class="num">${fmtSize(a.size)}</td>
              <td>${fmtTime(a.pushed_at)}</td>
              <td><${Status} status=${a.status} /></td>
              <td>${a.signers.join(', ')}</td>
              <td>${a.attestations.map((t) => html`<span class="chip" title=${t}>${t.replace(/^https?:\/\//, '')}</span>`)}</td>
              <td title=${a.reasons.join('\n')}>${a.policy}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      <div class="pager" role="navigation" aria-label="Pages">
        <button id="prev" disabled=${page === 0} onClick=${() => go({ page: String(page - 1) })}>Previous</button>
        <span id="page">Page ${page + 1} of ${pages}</span>
        <button id="next" disabled=${page + 1 >= pages} onClick=${() => go({ page: String(page + 1) })}>Next</button>
      </div>`}
  </section>`;
}

// ---- artifact page -----------------------------------------------------

// Which keys (or certificate identities) an event involved: for a
// signature push, the verified evidence found at that signature; for a
// decision, the evidence it counted.
function eventKeys(ev, evidence, names) {
  const who = (e) =>
    e.signer.type === 'key' ? names.get(e.signer.key_id) || e.signer.key_id : e.signer.identity;
  const d = ev.details || {};
  let found = [];
  if (d.signature_manifest || d.tag || d.signature_file) {
    found = evidence.filter(
      (e) =>
        (d.tag && e.source.includes(d.tag)) ||
        (d.signature_manifest && e.source.includes(d.signature_manifest)) ||
        (d.signature_file && e.source === `file ${d.signature_file}`),
    );
  } else if (Array.isArray(d.evidence)) {
    found = d.evidence;
  }
  return [...new Set(found.map(who))].join(', ');
}

function useKeyNames() {
  const s = useLoad(() => api('/api/v1/signing/keys'), []);
  return new Map((s.data?.keys || []).map((k) => [k.id, k.name]));
}

function Custody({ repo, subject, evidence = [] }) {
  const names = useKeyNames();
  const url = subject.startsWith('sha256:')
    ? `/api/v1/artifacts/${repoPath(repo)}/${subject}/custody`
    : `/api/v1/artifacts/${repoPath(repo)}/files/${subject.split('/').map(enc).join('/')}/custody`;
  const s = useLoad(() => api(url), [url]);
  const [check, setCheck] = useState(null);
  const verify = async () => {
    setCheck({ busy: true });
    try {
      const pem = await api('/api/v1/log/publicKey', { raw: true });
      setCheck(await verifyRecord(s.data, pem));
    } catch (e) {
      setCheck({ error: e });
    }
  };
  if (s.error) return html`<${ErrorBox} error=${s.error} />`;
  if (!s.data) return html`<p aria-busy="true">Loading the custody record…</p>`;
  const byId = new Map((check?.results || []).map((r) => [r.id, r]));
  const proven = check?.results?.filter((r) => r.ok === true).length ?? 0;
  const failed = check?.results?.filter((r) => r.ok === false).length ?? 0;
  return html`<section aria-labelledby="custody-h">
    <h2 id="custody-h">Chain of custody</h2>
    <button id="verify-proofs" onClick=${verify} disabled=${check?.busy}>Verify inclusion proofs in this browser</button>
    ${check && !check.busy && html`<p id="proof-result" role="status"
        class=${check.error || failed || !check.signed ? 'error' : 'ok'}
        data-ok=${String(!check.error && !failed && check.signed && proven > 0)}>
        ${check.error
          ? `Could not verify: ${check.error.message}`
          : `${check.signed ? 'Checkpoint signed by the log key' : 'Checkpoint NOT signed by the log key'} (${check.origin}, tree size ${check.size}); ${proven} event${proven === 1 ? '' : 's'} proven, ${failed} failed.`}
      </p>`}
    <ol class="timeline" id="timeline">
      ${s.data.events.map((ev) => {
        const r = byId.get(ev.id);
        const key = eventKeys(ev, evidence, names);
        return html`<li key=${ev.id} class=${r ? (r.ok ? 'proven' : r.ok === false ? 'broken' : '') : ''}>
          <div class="when">${fmtTime(ev.time_ms, true)}</div>
          <div class="what"><strong>${ev.action}</strong> · ${ev.outcome}</div>
          <div class="who">by ${ev.actor}${key ? html` · key <code class="key">${key}</code>` : ''}</div>
          <div class="log">${ev.log_entry ? `log index ${ev.log_entry.index}` : 'not yet in the log'}</div>
          ${r && html`<div class="proof" data-proof=${String(r.ok)}>${r.ok ? '✓ ' : r.ok === false ? '✗ ' : ''}${r.detail}</div>`}
        </li>`;
      })}
    </ol>
  </section>`;
}

function useEvaluation(repo, subject) {
  const artifact = subject.startsWith('sha256:')
    ? { repository: repo, digest: subject }
    : { repository: repo, name: subject };
  return useLoad(() => api('/api/v1/signing/evaluate', { method: 'POST', json: { artifact } }), [repo, subject]);
}

function Evaluation({ s }) {
  if (s.error) return html`<${ErrorBox} error=${s.error} />`;
  if (!s.data) return html`<p aria-busy="true">Verifying…</p>`;
  const d = s.data;
  return html`<section aria-labelledby="sigs-h">
    <h2 id="sigs-h">Signatures and attestations</h2>
    ${d.checks.length === 0
      ? html`<p>No signature or attestation found.</p>`
      : html`<table class="grid" id="checks">
          <thead><tr><th scope="col">Source</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
          <tbody>${d.checks.map(
            (c, i) => html`<tr key=${i}><td><code>${c.source}</code></td>
              <td><span class=${`badge ${c.ok ? 'signed' : 'quarantined'}`}>${c.ok ? 'verified' : 'failed'}</span></td>
              <td>${c.detail}</td></tr>`,
          )}</tbody>
        </table>`}
    <h2 id="policy-h">Policy decision</h2>
    <p id="decision"><strong>${d.decision.outcome}</strong>${d.allowed ? ' (allowed)' : ' (refused)'}</p>
    ${d.reasons.length > 0 && html`<ul class="reasons">${d.reasons.map((r) => html`<li>${r}</li>`)}</ul>`}
    ${d.decision.policies.map(
      (p) => html`<details key=${p.policy}><summary>${p.policy} (${p.mode}): ${p.satisfied ? 'met' : 'not met'}</summary>
        <ul>${p.rules.map((r) => html`<li>${r.rule}: ${r.satisfied ? 'met' : 'not met'}${r.required ? '' : ' (optional)'}: ${r.reason}</li>`)}</ul>
      </details>`,
    )}
  </section>`;
}

function Image({ repo, digest }) {
  const ev = useEvaluation(repo, digest);
  const s = useLoad(() => api(`/api/v1/repositories/${repoPath(repo)}/artifacts/${digest}`), [repo, digest]);
  if (s.error) return html`<${ErrorBox} error=${s.error} />`;
  if (!s.data) return html`<p aria-busy="true">Loading…</p>`;
  const a = s.data.artifact;
  const m = s.data.manifest;
  const layers = m?.layers || m?.manifests || [];
  return html`<section>
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Repositories</a> / <a href=${`#/repo/${repoPath(repo)}`}>${repo}</a> / <span>${short(digest)}</span></nav>
    <h1>${repo}${a.tags?.length ? `:${a.tags.join(', ')}` : ''}</h1>
    <dl class="facts">
      <dt>Digest</dt><dd><code id="digest">${digest}</code></dd>
      <dt>Status</dt><dd><${Status} status=${a.status} /></dd>
      <dt>Signed by</dt><dd>${a.signers?.join(', ') || '—'}</dd>
      <dt>Attestations</dt><dd>${a.attestations?.join(', ') || '—'}</dd>
      <dt>Size</dt><dd>${fmtSize(a.size)}</dd>
      <dt>Pushed</dt><dd>${fmtTime(a.pushed_at)}${a.pushed_by ? ` by ${a.pushed_by}` : ''}</dd>
    </dl>
    <h2>Manifest</h2>
    ${m
      ? html`<table class="grid" id="layers">
            <thead><tr><th scope="col">${m.manifests ? 'Manifest' : 'Layer'}</th><th scope="col">Media type</th><th scope="col">Size</th></tr></thead>
            <tbody>${layers.map((l) => html`<tr key=${l.digest}><td><code title=${l.digest}>${short(l.digest)}</code></td><td>${l.mediaType}</td><td class="num">${fmtSize(l.size)}</td></tr>`)}</tbody>
          </table>
          <details><summary>Manifest JSON</summary><pre id="manifest">${JSON.stringify(m, null, 2)}</pre></details>`
      : html`<p>${s.data.manifest_hidden}</p>`}
    <${Evaluation} s=${ev} />
    <${Custody} repo=${repo} subject=${digest} evidence=${ev.data?.evidence} />
  </section>`;
}

function FilePage({ repo, path }) {
  const ev = useEvaluation(repo, path);
  const s = useLoad(
    () => api(`/api/v1/repositories/${repoPath(repo)}/artifacts?q=${enc(path)}&sort=name&limit=200`),
    [repo, path],
  );
  const a = s.data?.artifacts.find((x) => x.name === path);
  return html`<section>
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Repositories</a> / <a href=${`#/repo/${repoPath(repo)}`}>${repo}</a> / <span>${path}</span></nav>
    <h1>${path}</h1>
    ${s.error && html`<${ErrorBox} error=${s.error} />`}
    ${a &&
    html`<dl class="facts">
      <dt>Digest</dt><dd><code id="digest">${a.digest}</code></dd>
      <dt>Status</dt><dd><${Status} status=${a.status} /></dd>
      <dt>Signed by</dt><dd>${a.signers.join(', ') || '—'}</dd>
      <dt>Size</dt><dd>${fmtSize(a.size)}</dd>
      <dt>Uploaded</dt><dd>${fmtTime(a.pushed_at)}</dd>
    </dl>`}
    <${Evaluation} s=${ev} />
    <${Custody} repo=${repo} subject=${path} evidence=${ev.data?.evidence} />
  </section>`;
}

// ---- keys --------------------------------------------------------------

function Keys() {
  const [n, reload] = useState(0);
  const s = useLoad(() => api('/api/v1/signing/keys'), [n]);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    setError(null);
    try {
      const k = await api('/api/v1/signing/keys', {
        method: 'POST',
        json: {
          name: f.get('name'),
          type: f.get('type'),
          public_key: f.get('public_key'),
          repositories: String(f.get('repositories')).split(',').map((x) => x.trim()).filter(Boolean),
        },
      });
      setSaved(k);
      e.target.reset();
      reload(n + 1);
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (id) => {
    try {
      await api(`/api/v1/signing/keys/${enc(id)}/revoke`, { method: 'POST', json: {} });
      reload(n + 1);
    } catch (err) {
      setError(err);
    }
  };
  return html`<section>
    <h1>Signing keys</h1>
    ${s.error && html`<${ErrorBox} error=${s.error} />`}
    ${s.data &&
    html`<table class="grid" id="keys">
      <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Fingerprint</th><th scope="col">Repositories</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">State</th><th scope="col"></th></tr></thead>
      <tbody>${s.data.keys.map(
        (k) => html`<tr key=${k.id}><td>${k.name}</td><td>${k.type}</td><td><code>${k.fingerprint}</code></td>
          <td>${(k.repositories || []).join(', ')}</td><td>${fmtTime(k.created_at)}</td><td>${fmtTime(k.expires_at) || '—'}</td>
          <td>${k.revoked_at ? 'revoked' : 'active'}</td>
          <td>${!k.revoked_at && html`<button class="small" onClick=${() => revoke(k.id)}>Revoke</button>`}</td></tr>`,
      )}</tbody>
    </table>`}
    <h2>Upload a verification key</h2>
    <form class="stack" onSubmit=${submit} id="key-form">
      <label>Name <input name="name" required /></label>
      <label>Type <select name="type"><option>cosign</option><option>gpg</option><option>x509</option></select></label>
      <label>Public key (PEM, or armored OpenPGP) <textarea name="public_key" rows="6" required></textarea></label>
      <label>Repositories (globs, comma separated) <input name="repositories" placeholder="production/*" required /></label>
      <button type="submit">Upload</button>
      ${error && html`<${ErrorBox} error=${error} />`}
      ${saved && html`<p class="ok" role="status">Uploaded ${saved.name} (${saved.fingerprint}).</p>`}
    </form>
  </section>`;
}

// ---- policies ----------------------------------------------------------

const EXAMPLE = `name: require-signatures
description: Require signed artifacts for production
mode: enforce
repositories: ["production/*"]
rules:
  - name: require-cosign-signature
    artifact_types: [docker, oci]
    signature_type: cosign
    required: true
    trusted_keys: [release-key]
`;

function Editor({ initial, onSaved, existing }) {
  const [text, setText] = useState(initial);
  const [problems, setProblems] = useState([]);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  useEffect(() => {
    setText(initial);
    setProblems([]);
  }, [initial]);
  // Lint as the user types (no change is stored).
  useEffect(() => {
    const t = setTimeout(async () => {
      try {
        const r = await api('/api/v1/signing/policies/lint', { method: 'POST', body: text });
        setProblems(r.problems);
      } catch (e) {
        setError(e);
      }
    }, 300);
    return () => clearTimeout(t);
  }, [text]);
  const save = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    try {
      const name = /^name:\s*(\S+)/m.exec(text)?.[1];
      const r = existing
        ? await api(`/api/v1/signing/policies/${enc(existing)}`, { method: 'PUT', body: text })
        : await api('/api/v1/signing/policies', { method: 'POST', body: text });
      setSaved(r);
      onSaved(r.name || name);
    } catch (err) {
      setError(err);
      if (err.detail?.problems) setProblems(err.detail.problems);
    }
  };
  const bad = new Set(problems.map((p) => p.line));
  const lines = text.split('\n');
  return html`<form onSubmit=${save} id="policy-form" class="editor">
    <div class="code">
      <ol class="gutter" aria-hidden="true">${lines.map((_, i) => html`<li class=${bad.has(i + 1) ? 'bad' : ''}>${i + 1}</li>`)}</ol>
      <textarea id="policy-text" aria-label="Policy YAML" spellcheck="false" rows=${Math.max(12, lines.length + 1)}
        value=${text} onInput=${(e) => setText(e.target.value)}
        aria-invalid=${problems.length > 0 ? 'true' : 'false'} aria-describedby="policy-problems"></textarea>
    </div>
    <ul id="policy-problems" class="problems" aria-live="polite">
      ${problems.map((p) => html`<li class="problem" data-line=${p.line}>${p.line > 0 ? `line ${p.line}: ` : ''}${p.message}</li>`)}
    </ul>
    <button type="submit">${existing ? `Save ${existing}` : 'Create policy'}</button>
    ${error && html`<${ErrorBox} error=${error} />`}
    ${saved && html`<p class="ok" role="status" id="policy-saved">Saved ${saved.name}, version ${saved.version}.</p>`}
  </form>`;
}

function Policies({ params }) {
  const [n, reload] = useState(0);
  const s = useLoad(() => api('/api/v1/signing/policies'), [n]);
  const editing = params.get('edit');
  const doc = useLoad(
    () => (editing ? api(`/api/v1/signing/policies/${enc(editing)}`) : Promise.resolve(null)),
    [editing, n],
  );
  return html`<section>
    <h1>Signing policies</h1>
    ${s.error && html`<${ErrorBox} error=${s.error} />`}
    ${s.data &&
    html`<table class="grid" id="policies">
      <thead><tr><th scope="col">Name</th><th scope="col">Mode</th><th scope="col">Repositories</th><th scope="col">Version</th><th scope="col">Updated</th></tr></thead>
      <tbody>${s.data.policies.map(
        (p) => html`<tr key=${p.name}><td><a href=${`#/policies?edit=${enc(p.name)}`}>${p.name}</a></td><td>${p.mode}</td>
          <td>${(p.repositories || []).join(', ')}</td><td>${p.version}</td><td>${fmtTime(p.updated_at)} by ${p.updated_by}</td></tr>`,
      )}</tbody>
    </table>`}
    <h2>${editing ? `Edit ${editing}` : 'New policy'}</h2>
    ${editing && !doc.data
      ? html`<p aria-busy="true">Loading…</p>`
      : html`<${Editor} initial=${doc.data?.document || EXAMPLE} existing=${editing}
          onSaved=${() => reload(n + 1)} />`}
  </section>`;
}

// ---- audit -------------------------------------------------------------

function Audit({ params }) {
  const q = Object.fromEntries(params);
  const query = new URLSearchParams(Object.entries(q).filter(([, v]) => v)).toString();
  const s = useLoad(() => api(`/api/v1/audit?${query}`), [query]);
  const submit = (e) => {
    e.preventDefault();
    const f = new URLSearchParams([...new FormData(e.target)].filter(([, v]) => v));
    location.hash = `#/audit?${f}`;
  };
  return html`<section>
    <h1>Audit trail</h1>
    <form class="toolbar" onSubmit=${submit} id="audit-form">
      <label>Repository <input name="repository" value=${q.repository || ''} /></label>
      <label>Subject <input name="subject" value=${q.subject || ''} /></label>
      <label>Action <input name="action" value=${q.action || ''} placeholder="policy.decision" /></label>
      <button type="submit">Search</button>
    </form>
    ${s.error && html`<${ErrorBox} error=${s.error} />`}
    ${s.data &&
    html`<table class="grid" id="audit">
      <thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Repository</th><th scope="col">Subject</th><th scope="col">Outcome</th><th scope="col">Log index</th></tr></thead>
      <tbody>${(s.data.events || []).map(
        (ev) => html`<tr key=${ev.id}><td>${fmtTime(ev.time_ms, true)}</td><td>${ev.actor}</td><td>${ev.action}</td>
          <td>${ev.repository}</td><td><code>${ev.subject}</code></td><td>${ev.outcome}</td><td>${ev.log_index ?? '—'}</td></tr>`,
      )}</tbody>
    </table>`}
  </section>`;
}

// ---- shell -------------------------------------------------------------

function Theme() {
  const [theme, setTheme] = useState(localStorage.getItem('signet.theme') || 'auto');
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('signet.theme', theme);
  }, [theme]);
  return html`<label class="theme">Theme
    <select value=${theme} onChange=${(e) => setTheme(e.target.value)}>
      <option value="auto">System</option><option value="light">Light</option><option value="dark">Dark</option>
    </select></label>`;
}

function App() {
  const hash = useHash();
  const [who, setWho] = useState(null);
  const [signedIn, setSignedIn] = useState(!!sessionStorage.getItem(TOKEN));
  const main = useRef();
  onUnauthorized = () => {
    sessionStorage.removeItem(TOKEN);
    setSignedIn(false);
  };
  useEffect(() => {
    if (signedIn && !who) api('/api/v1/whoami').then(setWho, () => {});
  }, [signedIn]);
  useEffect(() => main.current?.focus(), [hash]);
  if (!signedIn) {
    return html`<${SignIn} onSignedIn=${(w) => {
      setWho(w);
      setSignedIn(true);
    }} />`;
  }
  const { parts, params } = parseHash(hash);
  let page;
  if (parts[0] === 'repo') page = html`<${Artifacts} repo=${parts.slice(1).join('/')} params=${params} />`;
  else if (parts[0] === 'artifact') {
    const digest = parts[parts.length - 1];
    page = html`<${Image} repo=${parts.slice(1, -1).join('/')} digest=${digest} />`;
  } else if (parts[0] === 'file') {
    // #/file/<repo…>/<path…>: the repository is the longest known prefix.
    page = html`<${FileRoute} parts=${parts.slice(1)} />`;
  } else if (parts[0] === 'keys') page = html`<${Keys} />`;
  else if (parts[0] === 'policies') page = html`<${Policies} params=${params} />`;
  else if (parts[0] === 'audit') page = html`<${Audit} params=${params} />`;
  else page = html`<${Repositories} />`;
  const nav = (href, label, key) =>
    html`<a href=${href} aria-current=${parts[0] === key || (!parts[0] && key === 'home') ? 'page' : undefined}>${label}</a>`;
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${(e) => {
      e.preventDefault();
      main.current?.focus();
    }}>Skip to content</a>
    <header>
      <span class="brand">Signet</span>
      <nav aria-label="Main">
        ${nav('#/', 'Repositories', 'home')} ${nav('#/keys', 'Keys', 'keys')}
        ${nav('#/policies', 'Policies', 'policies')} ${nav('#/audit', 'Audit', 'audit')}
      </nav>
      <span class="spacer"></span>
      <${Theme} />
      <span class="user" id="user">${who?.user || ''}</span>
      <button id="signout" onClick=${() => {
        sessionStorage.removeItem(TOKEN);
        setWho(null);
        setSignedIn(false);
        location.hash = '#/';
      }}>Sign out</button>
    </header>
    <main id="main" tabindex="-1" ref=${main}>${page}</main>
  </div>`;
}

function FileRoute({ parts }) {
  const s = useLoad(() => api('/api/v1/repositories?n=1000'), []);
  if (!s.data) return html`<p aria-busy="true">Loading…</p>`;
  const names = new Set(s.data.repositories.map((r) => r.name));
  for (let i = parts.length - 1; i > 0; i--) {
    const repo = parts.slice(0, i).join('/');
    if (names.has(repo)) return html`<${FilePage} repo=${repo} path=${parts.slice(i).join('/')} />`;
  }
  return html`<p class="error">No such repository.</p>`;
}

render(html`<${App} />`, document.getElementById('app'));
