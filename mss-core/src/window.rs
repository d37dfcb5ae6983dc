//! [`Window`]: a top-level window of the display, as [`Capture::windows`](crate::Capture::windows)
//! lists it.

use std::fmt;

use crate::Region;

/// An application's top-level window.
///
/// Built by backends with [`Window::new`] and the `with_*` methods; read through the fields.
/// Titles and classes come from the application, so they are made printable (every control
/// character replaced) before they reach callers and their logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Window {
    /// The display system's id for it (an X11 window id).
    pub id: u64,
    /// Its title (`_NET_WM_NAME`, else `WM_NAME`, on X11), when it has one.
    pub title: Option<String>,
    /// Its class (the second part of `WM_CLASS`: `Firefox`), when it has one.
    pub class: Option<String>,
    /// Its instance name (the first part of `WM_CLASS`: `Navigator`), when it has one.
    pub instance: Option<String>,
    /// The process that owns it (`_NET_WM_PID`), when the application says.
    pub pid: Option<u32>,
    /// Where its contents are on the screen, which they may overhang.
    pub region: Region,
    /// Whether it is shown (mapped, with every ancestor mapped).
    pub viewable: bool,
    /// Whether the window manager has minimized it.
    pub minimized: bool,
}

impl Window {
    /// A window with this id and region, shown, with no names.
    pub fn new(id: u64, region: Region) -> Self {
        Self {
            id,
            title: None,
            class: None,
            instance: None,
            pid: None,
            region,
            viewable: true,
            minimized: false,
        }
    }

    /// Sets the title, made printable.
    #[must_use]
    pub fn with_title(mut self, title: &str) -> Self {
        self.title = Some(printable(title));
        self
    }

    /// Sets the instance and class names (`WM_CLASS`), made printable.
    #[must_use]
    pub fn with_class(mut self, instance: &str, class: &str) -> Self {
        self.instance = Some(printable(instance));
        self.class = Some(printable(class));
        self
    }

    /// Sets the owning process.
    #[must_use]
    pub fn with_pid(mut self, pid: u32) -> Self {
        self.pid = Some(pid);
        self
    }

    /// Sets whether it is shown and whether it is minimized.
    #[must_use]
    pub fn with_state(mut self, viewable: bool, minimized: bool) -> Self {
        self.viewable = viewable;
        self.minimized = minimized;
        self
    }
}

impl fmt::Display for Window {
    /// `0x1a00003 "Title" (Class) 640x480 at (10, 20)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.id)?;
        if let Some(title) = &self.title {
            write!(f, " {title:?}")?;
        }
        if let Some(class) = &self.class {
            write!(f, " ({class})")?;
        }
        write!(f, " {}", self.region)
    }
}

/// Why a window cannot be captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WindowProblem {
    /// There is no such window (it was destroyed, or the id was never one).
    Gone,
    /// It is not shown (unmapped, or inside an unmapped window).
    Unmapped,
    /// The window manager minimized it.
    Minimized,
}

impl fmt::Display for WindowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Gone => "there is no such window (destroyed, or never one)",
            Self::Unmapped => "it is not shown (unmapped)",
            Self::Minimized => "it is minimized",
        })
    }
}

/// `text` with every control character replaced by U+FFFD, so that names from applications
/// cannot put terminal escapes into logs.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_printable_and_windows_display_their_id_title_and_place() {
        let window = Window::new(0x1a0_0003, Region::new(-5, 20, 64, 48).unwrap())
            .with_title("bell\u{7}\u{1b}[31mred")
            .with_class("term", "XTerm")
            .with_pid(42);
        assert_eq!(window.title.as_deref(), Some("bell\u{FFFD}\u{FFFD}[31mred"));
        assert_eq!(
            window.to_string(),
            "0x1a00003 \"bell\u{FFFD}\u{FFFD}[31mred\" (XTerm) 64x48 at (-5, 20)"
        );
        assert_eq!(printable("héllo wörld"), "héllo wörld");
    }
}
