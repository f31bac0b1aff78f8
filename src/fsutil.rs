//! File helpers: atomic writes (temp file in the same folder + rename), so a
//! crash or a full disk never leaves a half-written file in place.

use std::io::Write;
use std::path::Path;

use crate::error::IoError;

type Result<T> = std::result::Result<T, IoError>;

/// Write `bytes` to `path` atomically: the old file stays intact until the
/// new one is complete and synced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_all(&[(path, bytes)])
}

/// Write several files so that either all of them are replaced or none
/// is: every new content is first written and synced to a temporary file
/// next to its target, and only when all are complete are they renamed
/// into place. On error (a full disk, say) the temporary files are removed,
/// the old files are untouched, and the error names the file that failed.
pub fn write_atomic_all(files: &[(&Path, &[u8])]) -> Result<()> {
    let mut staged: Vec<(std::path::PathBuf, &Path)> = Vec::with_capacity(files.len());
    let cleanup = |staged: &[(std::path::PathBuf, &Path)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (path, bytes) in files {
        match stage(path, bytes) {
            Ok(tmp) => staged.push((tmp, path)),
            Err(e) => {
                cleanup(&staged);
                return Err(e);
            }
        }
    }
    for (i, (tmp, path)) in staged.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, path) {
            cleanup(&staged[i..]);
            return Err(IoError::new(path, e));
        }
    }
    Ok(())
}

/// Write `bytes` to a synced temporary file beside `path`; its name.
fn stage(path: &Path, bytes: &[u8]) -> Result<std::path::PathBuf> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| IoError::new(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(IoError::new(path, e));
    }
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_atomically() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/x.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn all_or_nothing() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.txt");
        let b = d.path().join("b.txt");
        write_atomic_all(&[(&a, b"a1"), (&b, b"b1")]).unwrap();
        // The second target cannot be written (its folder is a file).
        let file = d.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let err = write_atomic_all(&[(&a, b"a2"), (&file.join("c.txt"), b"c2")]);
        assert!(err.unwrap_err().to_string().contains("f"));
        assert_eq!(std::fs::read(&a).unwrap(), b"a1");
        let names: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains(".tmp-")), "{names:?}");
    }
}
