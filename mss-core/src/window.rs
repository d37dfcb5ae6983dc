//! [`Window`]: a top-level window of the display, as [`Capture::windows`](crate::Capture::windows)
//! lists it.

use std::fmt;

use crate::Region;

/// An application's top-level window.
///
/// Built by backends with [`Window::new`] and the `with_*` methods; read through the fields.
/// Titles and classes come from the application, so they are made [`printable`] (control,
/// bidirectional and invisible format characters replaced) before they reach callers and their
/// logs.
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

/// `text` made safe to print in a terminal or a log: every character that could act on the
/// terminal, reorder the text around it or hide itself is replaced by U+FFFD (�), so that
/// names from applications and compositors (window titles, output names) cannot put escape
/// sequences into logs or make one name look like another.
///
/// Replaced:
///
/// - control characters (C0, DEL, C1: `\t`, `\n`, ESC...) and the line and paragraph
///   separators U+2028 and U+2029, which terminals and editors may take for new lines;
/// - bidirectional controls, which reorder the text after them (the "Trojan Source" trick):
///   the embeddings and overrides U+202A..U+202E, the isolates U+2066..U+2069, the marks
///   U+200E, U+200F and U+061C;
/// - invisible format characters, which hide in a name or change how others are shown: soft
///   hyphen U+00AD, Mongolian vowel separator U+180E, zero-width space U+200B, word joiner and
///   invisible operators U+2060..U+2064, the deprecated format controls U+206A..U+206F,
///   zero-width no-break space (byte order mark) U+FEFF, interlinear annotation controls
///   U+FFF9..U+FFFB, shorthand and musical format controls (U+1BCA0..U+1BCA3,
///   U+1D173..U+1D17A), and the tag characters U+E0000..U+E007F, invisible letters that can
///   carry a hidden text.
///
/// Kept: every visible character, and the zero-width joiner and non-joiner (U+200D, U+200C),
/// which join emoji sequences and are needed by Persian and Indic scripts, and neither reorder
/// nor hide the text around them.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if unprintable(c) { '\u{FFFD}' } else { c })
        .collect()
}

/// Whether [`printable`] replaces `c`.
fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E007F}'
        )
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

    #[test]
    fn bidirectional_and_invisible_format_characters_are_replaced_as_controls_are() {
        // Each character is replaced wherever it stands, and nothing else is touched.
        for replaced in [
            '\u{0}',
            '\u{7}',
            '\t',
            '\n',
            '\u{1b}',
            '\u{7f}',
            '\u{85}',
            '\u{9b}',
            '\u{AD}',
            '\u{61C}',
            '\u{180E}',
            '\u{200B}',
            '\u{200E}',
            '\u{200F}',
            '\u{2028}',
            '\u{2029}',
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{206A}',
            '\u{206F}',
            '\u{FEFF}',
            '\u{FFF9}',
            '\u{FFFB}',
            '\u{1BCA0}',
            '\u{1D173}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
        ] {
            assert_eq!(
                printable(&format!("DP{replaced}-1")),
                "DP\u{FFFD}-1",
                "U+{:04X}",
                u32::from(replaced)
            );
        }
        // A name that an override would show reversed ("1-PD" for "DP-1") keeps its order.
        assert_eq!(
            printable("\u{202E}DP-1\u{202C} (\u{2067}HDMI\u{2069})"),
            "\u{FFFD}DP-1\u{FFFD} (\u{FFFD}HDMI\u{FFFD})"
        );
        // Visible text in every script, emoji joined by ZWJ and Persian with ZWNJ stay as they
        // are; so do the visible neighbours of the ranges replaced.
        for kept in [
            "Écran 27\" — 日本語 — עברית — العربية",
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
            "می\u{200C}خواهم",
            "\u{2010}\u{2027}\u{2030}\u{205F}\u{2070}\u{FFFC}\u{FFFD}\u{E0080}\u{E0100}",
        ] {
            assert_eq!(printable(kept), kept);
        }
    }
}
