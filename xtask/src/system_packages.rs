//! The Debian packages the tests, the demo and the valgrind run need, how to tell whether each is
//! present, and installing the missing ones with apt-get when xtask runs as root.
//!
//! Presence is judged by a file the package provides rather than by asking dpkg, so the check
//! also works on a machine whose tools came from elsewhere. ImageMagick is probed through
//! `compare`, not `convert`, because some machines carry a stand-in `convert` without ImageMagick.

use crate::error::{Result, XtaskError};
use crate::shell::{Cmd, program_on_path};

/// How to tell that a package is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// An executable the package puts on `PATH`.
    Program(&'static str),
    /// A file the package installs at a fixed place.
    File(&'static str),
    /// Modules Debian's Python ([`DEBIAN_PYTHON`]) imports once the package is installed.
    PythonModules(&'static str),
    /// A GStreamer element `gst-inspect-1.0` finds once the package is installed (plugin files
    /// live under an architecture's directory, so no fixed path names them).
    GstElement(&'static str),
}

/// The Python Debian ships, which the Python module is tested on (`python3 -m venv`), whatever
/// other Python comes first on `PATH`.
pub const DEBIAN_PYTHON: &str = "/usr/bin/python3";

impl Probe {
    fn is_satisfied(self) -> bool {
        match self {
            Probe::Program(program) => program_on_path(program),
            Probe::File(path) => std::path::Path::new(path).exists(),
            Probe::PythonModules(modules) => Cmd::new(DEBIAN_PYTHON)
                .args(["-c", &format!("import {modules}")])
                .output_unchecked()
                .is_ok_and(|output| output.status.success()),
            Probe::GstElement(element) => Cmd::new("gst-inspect-1.0")
                .arg(element)
                .output_unchecked()
                .is_ok_and(|output| output.status.success()),
        }
    }
}

/// One Debian package and why the project needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// The Debian package name given to apt-get.
    pub package: &'static str,
    /// What needs it, shown when it is missing.
    pub needed_for: &'static str,
    /// How to tell that it is installed.
    pub probe: Probe,
}

const XVFB: Requirement = Requirement {
    package: "xvfb",
    needed_for: "Xvfb, the virtual X server of the tests and the demo",
    probe: Probe::Program("Xvfb"),
};
const IMAGEMAGICK: Requirement = Requirement {
    package: "imagemagick",
    needed_for: "painting and comparing known scenes (display, import, compare)",
    probe: Probe::Program("compare"),
};
const VALGRIND: Requirement = Requirement {
    package: "valgrind",
    needed_for: "cargo xtask valgrind",
    probe: Probe::Program("valgrind"),
};

/// What `cargo xtask test` (and so `ci`) needs.
pub const TEST_REQUIREMENTS: &[Requirement] = &[
    XVFB,
    Requirement {
        package: "xserver-xorg-core",
        needed_for: "Xorg, the server behind the multi-monitor tests",
        probe: Probe::Program("Xorg"),
    },
    Requirement {
        package: "xserver-xorg-video-dummy",
        needed_for: "the dummy video driver that gives Xorg several outputs",
        probe: Probe::File("/usr/lib/xorg/modules/drivers/dummy_drv.so"),
    },
    Requirement {
        package: "x11-xserver-utils",
        needed_for: "xrandr, which arranges monitors in the tests, and xhost, which lets the tests into XWayland",
        probe: Probe::Program("xrandr"),
    },
    Requirement {
        package: "x11-utils",
        needed_for: "xdpyinfo, which the tests use to inspect servers",
        probe: Probe::Program("xdpyinfo"),
    },
    Requirement {
        package: "xdotool",
        needed_for: "moving the pointer and windows in the tests",
        probe: Probe::Program("xdotool"),
    },
    IMAGEMAGICK,
    Requirement {
        package: "sway",
        needed_for: "a headless Wayland compositor (with XWayland) for the session tests",
        probe: Probe::Program("sway"),
    },
    Requirement {
        package: "twm",
        needed_for: "twm, a window manager that puts frames around windows without listing them (EWMH), for the window tests",
        probe: Probe::Program("twm"),
    },
    Requirement {
        package: "evilwm",
        needed_for: "evilwm, a window manager with frames and an EWMH client list, for the window tests",
        probe: Probe::Program("evilwm"),
    },
    Requirement {
        package: "xfonts-base",
        needed_for: "the fixed font the window managers in the tests draw their frames with",
        probe: Probe::File("/usr/share/fonts/X11/misc/fonts.alias"),
    },
    Requirement {
        package: "weston",
        needed_for: "a Wayland compositor without wlr-screencopy, which the Wayland backend must refuse clearly",
        probe: Probe::Program("weston"),
    },
    Requirement {
        package: "grim",
        needed_for: "grim, the Wayland screenshot tool the Wayland backend is compared with",
        probe: Probe::Program("grim"),
    },
    Requirement {
        package: "xwayland",
        needed_for: "XWayland, rootless under sway and rootful, which the X11 backends refuse",
        probe: Probe::Program("Xwayland"),
    },
    Requirement {
        package: "ffmpeg",
        needed_for: "ffmpeg, which decodes `mss record --format raw` in the tests",
        probe: Probe::Program("ffmpeg"),
    },
    Requirement {
        package: "pipewire",
        needed_for: "the PipeWire daemon that carries GNOME's screen casts in the PipeWire tests",
        probe: Probe::Program("pipewire"),
    },
    Requirement {
        package: "wireplumber",
        needed_for: "WirePlumber, the session manager PipeWire needs to link a screen cast to its reader",
        probe: Probe::Program("wireplumber"),
    },
    Requirement {
        package: "mutter",
        needed_for: "GNOME's compositor, headless with virtual monitors, for the PipeWire screen-cast tests",
        probe: Probe::Program("mutter"),
    },
    Requirement {
        package: "adwaita-icon-theme",
        needed_for: "the pointer theme the test kit's mutter shows, and the reference its pointer tests compare with",
        probe: Probe::File("/usr/share/icons/Adwaita/cursors/left_ptr"),
    },
    Requirement {
        package: "dbus",
        needed_for: "dbus-daemon, the private session bus mutter's screen-cast interface is reached on",
        probe: Probe::Program("dbus-daemon"),
    },
    Requirement {
        package: "xdg-desktop-portal",
        needed_for: "the desktop portal's frontend (and its permission store) the screen-cast portal tests run through",
        probe: Probe::File("/usr/libexec/xdg-desktop-portal"),
    },
    Requirement {
        package: "gstreamer1.0-tools",
        needed_for: "gst-launch-1.0, GStreamer's reader of a PipeWire node: the floor of the PipeWire stream benchmarks",
        probe: Probe::Program("gst-launch-1.0"),
    },
    Requirement {
        package: "gstreamer1.0-pipewire",
        needed_for: "GStreamer's pipewiresrc, which reads a screen cast in the PipeWire stream benchmarks",
        probe: Probe::GstElement("pipewiresrc"),
    },
    Requirement {
        package: "gstreamer1.0-plugins-base",
        needed_for: "GStreamer's videoconvert, the PipeWire benchmarks' reader of every byte",
        probe: Probe::GstElement("videoconvert"),
    },
    Requirement {
        package: "gstreamer1.0-plugins-good",
        needed_for: "GStreamer's common elements (pngenc), for reading screen casts independently of mss",
        probe: Probe::GstElement("pngenc"),
    },
    Requirement {
        package: "python3-venv",
        // Debian's python3 has no ensurepip of its own, so `python3 -m venv` needs this; it
        // brings python3 with it.
        needed_for: "the virtual environment the Python module (mss-python) is built and tested in",
        probe: Probe::PythonModules("venv, ensurepip"),
    },
    Requirement {
        package: "libxcb1-dev",
        // The xcb crate (1.7) and x11rb's libxcb connection link only libxcb itself; extension
        // requests such as MIT-SHM and RandR are encoded in Rust, so no libxcb-shm is needed.
        needed_for: "linking libxcb for the tests that use the xcb crate's connection",
        probe: Probe::File("/usr/include/xcb/xcb.h"),
    },
];

/// What `cargo xtask demo` needs when it starts its own virtual display.
pub const DEMO_REQUIREMENTS: &[Requirement] = &[XVFB, IMAGEMAGICK];

/// What `cargo xtask valgrind` needs besides the test requirements.
pub const VALGRIND_REQUIREMENTS: &[Requirement] = &[VALGRIND];

/// The packages among `requirements` that are not installed, each named once.
pub fn missing_packages(requirements: &[Requirement]) -> Vec<&'static str> {
    let mut missing: Vec<&'static str> = Vec::new();
    for requirement in requirements {
        if !requirement.probe.is_satisfied() && !missing.contains(&requirement.package) {
            missing.push(requirement.package);
        }
    }
    missing
}

/// The command that installs `packages`, as root, on a machine whose package lists may be empty.
pub fn install_command(packages: &[&str]) -> String {
    format!(
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    )
}

/// The error for a user who must install `missing` themselves, with the command to paste.
fn missing_packages_error(missing: &[&str]) -> XtaskError {
    XtaskError::MissingPackages {
        packages: missing
            .iter()
            .map(|package| (*package).to_owned())
            .collect(),
        install_command: format!("sudo sh -c '{}'", install_command(missing)),
    }
}

/// Makes sure every package in `requirements` is installed: installs the missing ones with
/// apt-get when running as root, and otherwise fails with the exact command to run.
///
/// # Errors
///
/// [`XtaskError::MissingPackages`] when packages are missing and this is not root (or there is no
/// apt-get); the apt-get error when an install fails; [`XtaskError::Check`] when a package was
/// installed but its probe still fails.
pub fn ensure_installed(requirements: &[Requirement]) -> Result<()> {
    let missing = missing_packages(requirements);
    if missing.is_empty() {
        println!(
            "system packages present: {}",
            requirements
                .iter()
                .map(|requirement| requirement.package)
                .collect::<Vec<_>>()
                .join(" ")
        );
        return Ok(());
    }
    for requirement in requirements {
        if missing.contains(&requirement.package) {
            println!(
                "missing system package {}: needed for {}",
                requirement.package, requirement.needed_for
            );
        }
    }
    if !(running_as_root() && program_on_path("apt-get")) {
        return Err(missing_packages_error(&missing));
    }
    // The package lists of a fresh machine are empty, so an install without an update fails.
    Cmd::new("apt-get")
        .args(["update", "-q"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    Cmd::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    let still_missing = missing_packages(requirements);
    if still_missing.is_empty() {
        Ok(())
    } else {
        Err(XtaskError::Check(format!(
            "apt-get installed {} but these are still not found: {}",
            missing.join(" "),
            still_missing.join(" ")
        )))
    }
}

/// Whether this process runs as root, read from /proc so that no unsafe `geteuid` call is needed.
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            // The fields are real, effective, saved and filesystem uid; the effective one counts.
            .and_then(|uids| uids.split_whitespace().nth(1))
            == Some("0")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRESENT: Requirement = Requirement {
        package: "coreutils",
        needed_for: "testing",
        probe: Probe::Program("sh"),
    };
    const ABSENT: Requirement = Requirement {
        package: "no-such-package",
        needed_for: "testing",
        probe: Probe::File("/no/such/file/for/xtask"),
    };

    #[test]
    fn only_absent_packages_are_missing_and_each_once() {
        assert_eq!(
            missing_packages(&[PRESENT, ABSENT, ABSENT]),
            vec!["no-such-package"]
        );
        assert!(missing_packages(&[PRESENT]).is_empty());
    }

    #[test]
    fn install_command_updates_first_and_is_noninteractive() {
        assert_eq!(
            install_command(&["xvfb", "xdotool"]),
            "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
             --no-install-recommends xvfb xdotool"
        );
    }

    #[test]
    fn missing_packages_error_gives_one_command_to_paste() {
        let message = missing_packages_error(&["xvfb", "xdotool"]).to_string();
        assert!(
            message.contains(
                "\n    sudo sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get \
                 install -y --no-install-recommends xvfb xdotool'\n"
            ),
            "{message}"
        );
        assert!(
            message.starts_with("missing system packages: xvfb xdotool"),
            "{message}"
        );
    }

    #[test]
    fn every_requirement_names_a_package_and_a_reason() {
        for requirement in TEST_REQUIREMENTS
            .iter()
            .chain(DEMO_REQUIREMENTS)
            .chain(VALGRIND_REQUIREMENTS)
        {
            assert!(!requirement.package.is_empty());
            assert!(
                !requirement.needed_for.is_empty(),
                "{}",
                requirement.package
            );
        }
    }
}
