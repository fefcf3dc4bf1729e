//! A Debian repository signed by `signet apt sign-release`, served by
//! `signet serve` (a file repository), read by the real apt: `apt-get
//! update` with `signed-by` our key, then `apt-get install`; a tampered
//! `InRelease` makes `apt-get update` fail.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::path::Path;

use common::*;

fn put(server: &Server, token: &str, rel: &str, file: &Path) {
    let r = reqwest::blocking::Client::new()
        .put(format!(
            "{}/api/v1/repositories/debian/apt/files/{rel}",
            server.url
        ))
        .basic_auth("admin", Some(token))
        .body(std::fs::read(file).unwrap())
        .send()
        .unwrap();
    assert_eq!(r.status(), 201, "{rel}: {}", r.text().unwrap());
}

/// The tests here install into the system with dpkg, which takes one
/// process at a time: they run one after the other.
static DPKG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn is_root() -> bool {
    sh(Path::new("/"), "id", &["-u"]).stdout.trim() == "0"
}

/// apt-get confined to its own sources, lists and cache; the server's
/// credentials in an auth.conf (apt sends them over http only when the
/// entry says http://). As root it installs into the system (dpkg's own
/// status); otherwise it downloads only.
struct Apt {
    dir: std::path::PathBuf,
    root: bool,
}

impl Apt {
    fn new(d: &Path, server: &Server, token: &str, source: &str) -> Apt {
        let dir = d.join("apt");
        for sub in ["lists/partial", "cache/archives/partial", "parts"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let hostport = server.url.trim_start_matches("http://");
        std::fs::write(
            dir.join("auth.conf"),
            format!("machine http://{hostport}\nlogin admin\npassword {token}\n"),
        )
        .unwrap();
        std::fs::write(dir.join("sources.list"), format!("{source}\n")).unwrap();
        std::fs::write(dir.join("status"), "").unwrap();
        Apt {
            dir,
            root: is_root(),
        }
    }

    fn forget_lists(&self) {
        std::fs::remove_dir_all(self.dir.join("lists")).unwrap();
        std::fs::create_dir_all(self.dir.join("lists/partial")).unwrap();
    }

    /// (exit code, stdout and stderr).
    fn run(&self, args: &[&str]) -> (i32, String) {
        let a = &self.dir;
        let mut c = std::process::Command::new("apt-get");
        c.env("DEBIAN_FRONTEND", "noninteractive");
        for o in [
            format!("Dir::Etc::SourceList={}", a.join("sources.list").display()),
            format!("Dir::Etc::SourceParts={}", a.join("parts").display()),
            format!("Dir::State::Lists={}", a.join("lists").display()),
            format!("Dir::Cache={}", a.join("cache").display()),
            format!("Dir::Etc::netrc={}", a.join("auth.conf").display()),
            "APT::Sandbox::User=root".into(),
            "Debug::NoLocking=1".into(),
            "Acquire::Languages=none".into(),
        ] {
            c.args(["-o", &o]);
        }
        if !self.root {
            c.args([
                "-o",
                &format!("Dir::State::status={}", a.join("status").display()),
            ]);
        }
        let out = c.args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

#[test]
fn apt_installs_from_a_signed_repository_served_by_signet() {
    let _dpkg = DPKG.lock().unwrap_or_else(|e| e.into_inner());
    for tool in ["apt-get", "dpkg-deb", "dpkg-scanpackages"] {
        if peer(tool).is_none() {
            return signet_testkit::missing("apt-get, dpkg-deb and dpkg-scanpackages (dpkg-dev)");
        }
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    // apt's download methods may run as another user: let them read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let arch = sh(d, "dpkg", &["--print-architecture"])
        .stdout
        .trim()
        .to_owned();

    // A one-file package.
    let pkg = d.join("build/signet-hello");
    std::fs::create_dir_all(pkg.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(pkg.join("usr/share/doc/signet-hello")).unwrap();
    std::fs::write(
        pkg.join("DEBIAN/control"),
        "Package: signet-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: Signet <signet@example.com>\nDescription: signet apt test package\n",
    )
    .unwrap();
    std::fs::write(
        pkg.join("usr/share/doc/signet-hello/hello.txt"),
        "hello from signet\n",
    )
    .unwrap();
    let repo = d.join("repo");
    std::fs::create_dir_all(repo.join("pool/main")).unwrap();
    let o = sh(
        d,
        "dpkg-deb",
        &[
            "--root-owner-group",
            "--build",
            pkg.to_str().unwrap(),
            repo.join("pool/main/signet-hello_1.0_all.deb")
                .to_str()
                .unwrap(),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = sh(
        &repo,
        "dpkg-scanpackages",
        &["--multiversion", "pool", "/dev/null"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    for a in [arch.as_str(), "all"] {
        let dir = repo.join(format!("dists/stable/main/binary-{a}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Packages"), &o.stdout).unwrap();
    }

    // Release, InRelease and Release.gpg by signet.
    let o = run(signet(d)
        .args([
            "generate-key-pair",
            "--type",
            "pgp",
            "--user-id",
            "Archive <archive@example.com>",
            "--output-key-prefix",
            "archive",
        ])
        .env("SIGNET_PASSWORD", "pw"));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let suite = repo.join("dists/stable");
    let o = run(signet(d).args(["apt", "release", suite.to_str().unwrap()]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let release = std::fs::read_to_string(suite.join("Release")).unwrap();
    assert!(
        release.contains("Suite: stable") && release.contains("main/binary-all/Packages"),
        "{release}"
    );
    let o = run(signet(d)
        .args([
            "apt",
            "sign-release",
            suite.to_str().unwrap(),
            "--pgp-key",
            "archive.key.asc",
        ])
        .env("SIGNET_PASSWORD", "pw"));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(d).args([
        "apt",
        "verify-release",
        suite.to_str().unwrap(),
        "--keyring",
        "archive.pub.asc",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);

    // Served by signet serve, as a file repository.
    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let token = std::fs::read_to_string(data.join("admin-token"))
        .unwrap()
        .trim()
        .to_owned();
    let files: Vec<String> = walkdir::WalkDir::new(&repo)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(&repo)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for rel in &files {
        put(&server, &token, rel, &repo.join(rel));
    }

    let apt = Apt::new(
        d,
        &server,
        &token,
        &format!(
            "deb [signed-by={}] {}/api/v1/repositories/debian/apt/files stable main",
            d.join("archive.pub.asc").display(),
            server.url
        ),
    );
    let apt_get = |args: &[&str]| apt.run(args);
    let (code, out) = apt_get(&["update"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("W: "), "apt warned: {out}");
    if apt.root {
        let (code, out) = apt_get(&["install", "-y", "signet-hello"]);
        assert_eq!(code, 0, "{out}");
        let doc = Path::new("/usr/share/doc/signet-hello/hello.txt");
        assert_eq!(std::fs::read_to_string(doc).unwrap(), "hello from signet\n");
        let o = sh(d, "dpkg", &["--purge", "signet-hello"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
    } else {
        let (code, out) = apt_get(&["install", "-y", "--download-only", "signet-hello"]);
        assert_eq!(code, 0, "{out}");
        assert!(
            apt.dir
                .join("cache/archives/signet-hello_1.0_all.deb")
                .exists()
        );
    }

    // A tampered InRelease: apt refuses the repository.
    let inrelease = std::fs::read_to_string(suite.join("InRelease")).unwrap();
    let evil = inrelease.replace("Label: signet", "Label: evil!");
    assert_ne!(evil, inrelease);
    std::fs::write(d.join("InRelease.evil"), evil).unwrap();
    put(
        &server,
        &token,
        "dists/stable/InRelease",
        &d.join("InRelease.evil"),
    );
    apt.forget_lists();
    let (code, out) = apt_get(&["update"]);
    assert_ne!(code, 0, "apt accepted a tampered InRelease: {out}");
    assert!(out.contains("BADSIG") || out.contains("invalid"), "{out}");
    // And so does ours.
    std::fs::write(
        suite.join("InRelease"),
        std::fs::read(d.join("InRelease.evil")).unwrap(),
    )
    .unwrap();
    let o = run(signet(d).args([
        "apt",
        "verify-release",
        suite.to_str().unwrap(),
        "--keyring",
        "archive.pub.asc",
    ]));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("BAD signature"), "{}", o.stderr);
}

/// A `type: debian` repository: signet serve regenerates and signs the
/// indexes with its archive key on every upload and deletion; apt trusts
/// only that key (`signed-by` the certificate the server publishes).
#[test]
fn signet_serve_indexes_and_signs_a_debian_repository() {
    let _dpkg = DPKG.lock().unwrap_or_else(|e| e.into_inner());
    for tool in ["apt-get", "dpkg-deb"] {
        if peer(tool).is_none() {
            return signet_testkit::missing("apt-get and dpkg-deb");
        }
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let deb = build_deb(d, "signet-deb_1.0_all.deb");
    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let repo = FileRepo::create(&server, &data, "debian/auto", "debian");
    let (token, base) = (repo.token.clone(), repo.base.clone());
    repo.put(
        "pool/main/s/signet-deb_1.0_all.deb",
        std::fs::read(&deb).unwrap(),
    );
    let get = |path: &str| repo.get(path);
    let cert = get("signet-archive-key.asc");
    std::fs::write(d.join("archive.asc"), &cert).unwrap();
    let packages = String::from_utf8(get("dists/stable/main/binary-all/Packages")).unwrap();
    assert!(packages.contains("Package: signet-deb"), "{packages}");
    assert!(
        packages.contains("Filename: pool/main/s/signet-deb_1.0_all.deb"),
        "{packages}"
    );
    // Our verifier agrees with the signature and the index hashes.
    let suite = d.join("suite");
    std::fs::create_dir_all(suite.join("main/binary-all")).unwrap();
    for f in [
        "InRelease",
        "Release",
        "Release.gpg",
        "main/binary-all/Packages",
    ] {
        std::fs::write(suite.join(f), get(&format!("dists/stable/{f}"))).unwrap();
    }
    let o = run(signet(d).args([
        "apt",
        "verify-release",
        suite.to_str().unwrap(),
        "--keyring",
        "archive.asc",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);

    let apt = Apt::new(
        d,
        &server,
        &token,
        &format!(
            "deb [signed-by={}] {base} stable main",
            d.join("archive.asc").display()
        ),
    );
    let (code, out) = apt.run(&["update"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("W: "), "apt warned: {out}");
    if apt.root {
        let (code, out) = apt.run(&["install", "-y", "signet-deb"]);
        assert_eq!(code, 0, "{out}");
        assert!(Path::new("/usr/share/doc/signet-deb/readme").exists());
        let o = sh(d, "dpkg", &["--purge", "signet-deb"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
    } else {
        let (code, out) = apt.run(&["install", "-y", "--download-only", "signet-deb"]);
        assert_eq!(code, 0, "{out}");
    }

    // Deleting the package reindexes: apt no longer finds it.
    assert_eq!(repo.delete("pool/main/s/signet-deb_1.0_all.deb"), 204);
    let packages = String::from_utf8(get("dists/stable/main/binary-all/Packages")).unwrap();
    assert!(!packages.contains("signet-deb"), "{packages}");
    apt.forget_lists();
    let (code, out) = apt.run(&["update"]);
    assert_eq!(code, 0, "{out}");
    let (code, _) = apt.run(&["install", "-y", "--download-only", "signet-deb"]);
    assert_ne!(code, 0, "a deleted package is still installable");

    // A junk .deb is stored but not indexed, and the upload says nothing
    // broke: the indexes still verify.
    repo.put("pool/main/j/junk_1.0_all.deb", b"not a deb".to_vec());
    std::fs::write(suite.join("InRelease"), get("dists/stable/InRelease")).unwrap();
    std::fs::write(suite.join("Release"), get("dists/stable/Release")).unwrap();
    std::fs::write(suite.join("Release.gpg"), get("dists/stable/Release.gpg")).unwrap();
    std::fs::write(
        suite.join("main/binary-all/Packages"),
        get("dists/stable/main/binary-all/Packages"),
    )
    .unwrap();
    let o = run(signet(d).args([
        "apt",
        "verify-release",
        suite.to_str().unwrap(),
        "--keyring",
        "archive.asc",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
}
