//! scripts/install.sh, which the GitHub Action runs, against a fake release served on
//! 127.0.0.1: a good archive is installed, a bad checksum is refused (never replaced by a
//! build), and a missing release says so with exit 2 (the action then builds from source).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// Serves the files under `root` over HTTP/1.1 (404 for the rest) until the test ends.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // Skip the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let file = root.join(path.trim_start_matches('/'));
            let (status, body) = match std::fs::read(&file) {
                Ok(b) if file.is_file() => ("200 OK", b),
                _ => ("404 Not Found", b"not found".to_vec()),
            };
            let mut out = &stream;
            let _ = write!(
                out,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = out.write_all(&body);
        }
    });
    format!("http://{addr}")
}

fn target() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-musl",
        _ => "x86_64-unknown-linux-musl",
    }
}

/// A release `version` under `root`: an archive holding a fake `kensa`, and SHA256SUMS
/// (with `corrupt`, the archive changes after its sum was taken).
fn release(root: &Path, version: &str, corrupt: bool) {
    let dir = root.join(version);
    let stage = root
        .join("stage")
        .join(format!("kensa-{version}-{}", target()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::write(stage.join("kensa"), "#!/bin/sh\necho kensa-fake 9.9.9\n").unwrap();
    let archive = format!("kensa-{version}-{}.tar.gz", target());
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(dir.join(&archive))
        .arg("-C")
        .arg(stage.parent().unwrap())
        .arg(stage.file_name().unwrap())
        .status()
        .unwrap();
    assert!(ok.success());
    let sum = hex(&Sha256::digest(std::fs::read(dir.join(&archive)).unwrap()));
    std::fs::write(dir.join("SHA256SUMS"), format!("{sum}  {archive}\n")).unwrap();
    if corrupt {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join(&archive))
            .unwrap();
        f.write_all(b"tampered").unwrap();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn install(base: &str, version: &str, dest: &Path) -> std::process::Output {
    Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh"))
        .arg(version)
        .arg(dest)
        .env("KENSA_RELEASE_URL", base)
        .output()
        .expect("bash runs")
}

#[test]
fn a_release_is_verified_before_it_is_installed() {
    if std::env::consts::OS != "linux" {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    release(root.path(), "v9.9.9", false);
    release(root.path(), "v6.6.6", true);
    let base = serve(root.path().to_path_buf());
    let dest = tempfile::tempdir().unwrap();

    let good = install(&base, "v9.9.9", dest.path());
    let err = String::from_utf8_lossy(&good.stderr);
    assert_eq!(good.status.code(), Some(0), "{err}");
    let installed = Command::new(dest.path().join("bin/kensa"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&installed.stdout),
        "kensa-fake 9.9.9\n"
    );

    let other = tempfile::tempdir().unwrap();
    let bad = install(&base, "v6.6.6", other.path());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{err}");
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(!other.path().join("bin/kensa").exists());

    let none = install(&base, "v0.0.1", other.path());
    let err = String::from_utf8_lossy(&none.stderr);
    assert_eq!(none.status.code(), Some(2), "{err}");
    assert!(err.contains("no release v0.0.1"), "{err}");
}
