//! Where the screen-cast portal's restore token is kept between runs, so that its dialog is
//! shown once and not at every run.
//!
//! # Where, and under which name
//!
//! In `$XDG_STATE_HOME/mss/` (`~/.local/state/mss/` when it is not set), one file per
//! desktop: `portal-restore-token-DESKTOP` (`DESKTOP` the first name of
//! `$XDG_CURRENT_DESKTOP`, `KDE`, `GNOME`, `Hyprland`...; `portal-restore-token` without
//! one). Why the desktop, and not the session bus: xdg-desktop-portal keeps the choice a token
//! names in the user's permission store, which every session of the user shares (whatever
//! its bus address, which is random outside systemd sessions), while what it keeps is the
//! desktop's portal backend's own data (GNOME's backend cannot restore KDE's). So a token is
//! good in every session of one desktop, and only there.
//!
//! The file holds the token and a newline, mode 0600 in a directory of mode 0700 (a token lets
//! its holder capture the screen without asking), and is replaced atomically (a temporary file
//! in the same directory, synced, then renamed over it), so a crash never leaves half a token.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

/// Where a capturer keeps the screen-cast portal's restore token between runs.
///
/// In a directory (by default `$XDG_STATE_HOME/mss/`, `~/.local/state/mss/` when that is not
/// set), one file per desktop: `portal-restore-token-DESKTOP`, `DESKTOP` the first name of
/// `$XDG_CURRENT_DESKTOP` (`KDE`, `GNOME`, `Hyprland`...; `portal-restore-token` without one).
/// Why the desktop and not the session bus: xdg-desktop-portal keeps the choice a token names
/// in the user's permission store, which every session of the user shares whatever its bus
/// address (random outside systemd sessions), while what it keeps there is the desktop's
/// portal backend's own data (GNOME's backend cannot restore KDE's). So a token is good in
/// every session of one desktop, and only there. The file holds the token and a newline, mode
/// 0600 in a directory made with mode 0700 (a token lets its holder capture the screen without
/// asking), replaced atomically (a temporary file in the same directory, synced, renamed over
/// it). A file that cannot be written leaves a caveat in the status.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenStore {
    /// `$XDG_STATE_HOME/mss/` (`~/.local/state/mss/` by default), one file per desktop.
    #[default]
    StateDirectory,
    /// A directory of the caller's, one file per desktop as in `StateDirectory`.
    Directory(PathBuf),
    /// Nowhere: the caller passes a token itself
    /// ([`PipeWireOptions::restore_token`](crate::PipeWireOptions::restore_token)) and reads
    /// the new one ([`PipeWireCapture::restore_token`](crate::PipeWireCapture::restore_token)).
    Nowhere,
}

/// The file a token is kept in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TokenFile {
    path: PathBuf,
}

/// The longest token read back (xdg-desktop-portal's are UUIDs, 36 characters).
const LONGEST_TOKEN: usize = 256;

impl TokenFile {
    /// The file of `store` for the desktop `desktop` (`$XDG_CURRENT_DESKTOP`), with the state
    /// directory found from `state_home` (`$XDG_STATE_HOME`) and `home` (`$HOME`); `None`
    /// for [`TokenStore::Nowhere`] or when no directory can be found.
    pub(crate) fn of(
        store: &TokenStore,
        desktop: Option<&OsString>,
        state_home: Option<&OsString>,
        home: Option<&OsString>,
    ) -> Option<Self> {
        let directory = match store {
            TokenStore::Nowhere => return None,
            TokenStore::Directory(directory) => directory.clone(),
            TokenStore::StateDirectory => {
                let state = match (state_home, home) {
                    (Some(state), _) if Path::new(state).is_absolute() => PathBuf::from(state),
                    (_, Some(home)) if Path::new(home).is_absolute() => {
                        Path::new(home).join(".local/state")
                    }
                    _ => return None,
                };
                state.join("mss")
            }
        };
        let desktop: String = desktop
            .and_then(|desktop| desktop.to_str())
            .and_then(|desktop| desktop.split(':').next())
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(64)
            .collect();
        let name = if desktop.is_empty() {
            "portal-restore-token".to_owned()
        } else {
            format!("portal-restore-token-{desktop}")
        };
        Some(Self {
            path: directory.join(name),
        })
    }

    /// This process's environment's file for `store`.
    pub(crate) fn of_process(store: &TokenStore) -> Option<Self> {
        let get = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        Self::of(
            store,
            get("XDG_CURRENT_DESKTOP").as_ref(),
            get("XDG_STATE_HOME").as_ref(),
            get("HOME").as_ref(),
        )
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The token kept, if any: the file's first line, when it is a plausible token (printable
    /// ASCII without spaces, at most 256 bytes).
    pub(crate) fn read(&self) -> Option<String> {
        let text = fs::read(&self.path).ok()?;
        let line = text.split(|byte| *byte == b'\n').next()?;
        let plausible = !line.is_empty()
            && line.len() <= LONGEST_TOKEN
            && line.iter().all(|byte| byte.is_ascii_graphic());
        plausible.then(|| String::from_utf8_lossy(line).into_owned())
    }

    /// Keeps `token`, replacing the file atomically, mode 0600 (its directory made, mode 0700,
    /// when missing).
    ///
    /// # Errors
    ///
    /// The file system's.
    pub(crate) fn write(&self, token: &str) -> io::Result<()> {
        let directory = self.path.parent().unwrap_or(Path::new("/"));
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(directory)?;
        let name = self
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = directory.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = (|| {
            let _ = fs::remove_file(&temporary);
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temporary)?;
            file.write_all(format!("{token}\n").as_bytes())?;
            file.sync_all()?;
            fs::rename(&temporary, &self.path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written
    }

    /// Forgets the token kept (a missing file is not an error).
    ///
    /// # Errors
    ///
    /// The file system's.
    pub(crate) fn remove(&self) -> io::Result<()> {
        match fs::remove_file(&self.path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn os(text: &str) -> OsString {
        OsString::from(text)
    }

    #[test]
    fn the_file_is_per_desktop_under_the_state_directory() {
        let file = |store, desktop: Option<&str>, state: Option<&str>, home: Option<&str>| {
            TokenFile::of(
                store,
                desktop.map(os).as_ref(),
                state.map(os).as_ref(),
                home.map(os).as_ref(),
            )
            .map(|file| file.path)
        };
        let state = TokenStore::StateDirectory;
        assert_eq!(
            file(&state, Some("KDE"), Some("/s"), Some("/h")),
            Some(PathBuf::from("/s/mss/portal-restore-token-KDE"))
        );
        assert_eq!(
            file(&state, Some("ubuntu:GNOME"), None, Some("/h")),
            Some(PathBuf::from(
                "/h/.local/state/mss/portal-restore-token-ubuntu"
            ))
        );
        // A relative XDG_STATE_HOME is ignored, as the specification says.
        assert_eq!(
            file(&state, None, Some("rel"), Some("/h")),
            Some(PathBuf::from("/h/.local/state/mss/portal-restore-token"))
        );
        assert_eq!(file(&state, None, None, None), None);
        // Names are kept to a safe alphabet.
        assert_eq!(
            file(&state, Some("../x y"), Some("/s"), None),
            Some(PathBuf::from("/s/mss/portal-restore-token-xy"))
        );
        let own = TokenStore::Directory(PathBuf::from("/d"));
        assert_eq!(
            file(&own, Some("sway"), None, None),
            Some(PathBuf::from("/d/portal-restore-token-sway"))
        );
        assert_eq!(file(&TokenStore::Nowhere, None, Some("/s"), None), None);
    }

    #[test]
    fn a_token_is_written_atomically_private_and_read_back() {
        let directory = tempfile::tempdir().unwrap();
        let store = TokenStore::Directory(directory.path().join("state/mss"));
        let file = TokenFile::of(&store, Some(&os("KDE")), None, None).unwrap();
        assert_eq!(file.read(), None);
        file.write("5f0c6a4e-2b1d-4c1a-9f00-0123456789ab").unwrap();
        assert_eq!(
            file.read().as_deref(),
            Some("5f0c6a4e-2b1d-4c1a-9f00-0123456789ab")
        );
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(file.path()), 0o600);
        assert_eq!(mode(file.path().parent().unwrap()), 0o700);
        file.write("second").unwrap();
        assert_eq!(file.read().as_deref(), Some("second"));
        // Only the token's file is left: no temporary file.
        let names: Vec<_> = fs::read_dir(file.path().parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, [os("portal-restore-token-KDE")]);
        // Garbage is not a token.
        fs::write(file.path(), b"a b\n").unwrap();
        assert_eq!(file.read(), None);
        fs::write(file.path(), vec![b'x'; 300]).unwrap();
        assert_eq!(file.read(), None);
        file.remove().unwrap();
        file.remove().unwrap();
        assert_eq!(file.read(), None);
    }
}
