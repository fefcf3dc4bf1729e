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

fn is_root() -> bool {
    sh(Path::new("/"), "id", &["-u"]).stdout.trim() == "0"
}

#[test]
fn apt_installs_from_a_signed_repository_served_by_signet() {
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

    // apt, confined to its own lists and cache; the server's credentials
    // in an auth.conf (apt sends them over http only when the entry says
    // http://).
    let apt = d.join("apt");
    for sub in ["lists/partial", "cache/archives/partial", "parts"] {
        std::fs::create_dir_all(apt.join(sub)).unwrap();
    }
    let hostport = server.url.trim_start_matches("http://").to_owned();
    std::fs::write(
        apt.join("auth.conf"),
        format!("machine http://{hostport}\nlogin admin\npassword {token}\n"),
    )
    .unwrap();
    std::fs::write(
        apt.join("sources.list"),
        format!(
            "deb [signed-by={}] {}/api/v1/repositories/debian/apt/files stable main\n",
            d.join("archive.pub.asc").display(),
            server.url
        ),
    )
    .unwrap();
    let status = apt.join("status");
    std::fs::write(&status, "").unwrap();
    let root = is_root();
    let apt_get = |args: &[&str]| {
        let mut c = std::process::Command::new("apt-get");
        c.env("DEBIAN_FRONTEND", "noninteractive").args([
            "-o",
            &format!(
                "Dir::Etc::SourceList={}",
                apt.join("sources.list").display()
            ),
            "-o",
            &format!("Dir::Etc::SourceParts={}", apt.join("parts").display()),
            "-o",
            &format!("Dir::State::Lists={}", apt.join("lists").display()),
            "-o",
            &format!("Dir::Cache={}", apt.join("cache").display()),
            "-o",
            &format!("Dir::Etc::netrc={}", apt.join("auth.conf").display()),
            "-o",
            "APT::Sandbox::User=root",
            "-o",
            "Debug::NoLocking=1",
            "-o",
            "Acquire::Languages=none",
        ]);
        if !root {
            c.args(["-o", &format!("Dir::State::status={}", status.display())]);
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
    };
    let (code, out) = apt_get(&["update"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("W: "), "apt warned: {out}");
    if root {
        let (code, out) = apt_get(&["install", "-y", "signet-hello"]);
        assert_eq!(code, 0, "{out}");
        let doc = Path::new("/usr/share/doc/signet-hello/hello.txt");
        assert_eq!(std::fs::read_to_string(doc).unwrap(), "hello from signet\n");
        let o = sh(d, "dpkg", &["--purge", "signet-hello"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
    } else {
        let (code, out) = apt_get(&["install", "-y", "--download-only", "signet-hello"]);
        assert_eq!(code, 0, "{out}");
        assert!(apt.join("cache/archives/signet-hello_1.0_all.deb").exists());
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
    std::fs::remove_dir_all(apt.join("lists")).unwrap();
    std::fs::create_dir_all(apt.join("lists/partial")).unwrap();
    let (code, out) = apt_get(&["update"]);
    assert!(
        code != 0 || out.contains("BADSIG") || out.contains("not signed"),
        "apt accepted a tampered InRelease: {out}"
    );
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
