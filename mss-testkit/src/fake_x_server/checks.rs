//! What the property tests against the fake X server check of every case: that it returns
//! (no panic, no hang), that frames hold exactly the server's pixels, that what the server
//! said reaches errors and names only made printable.

use std::sync::mpsc;
use std::time::Duration;

use mss_core::{Error, Frame, Monitors, Region};

use super::pixels::{ROOT_SEED, fake_row, fake_stride};
use super::script::{FakeScreen, XScript};

/// The longest a case may take before it is called a hang: far beyond any case's work, so a
/// loaded machine never trips it.
pub const HANG: Duration = Duration::from_secs(60);

/// Runs `case` on a thread of its own; a panic or a hang is a failure of the case.
pub fn bounded(case: impl FnOnce() -> Result<(), String> + Send + 'static) -> Result<(), String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(case());
    });
    match receiver.recv_timeout(HANG) {
        Ok(outcome) => outcome,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("no answer within {HANG:?}")),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("the case panicked".to_owned()),
    }
}

/// Checks that `frame`, a grab of `region` of the fake server's root, holds exactly its
/// pixels, rows as the screen pads them.
pub fn check_root_frame(frame: &Frame, region: Region, screen: &FakeScreen) -> Result<(), String> {
    let bits = screen.bits_per_pixel;
    if frame.region() != region {
        return Err(format!("a frame of {} for {region}", frame.region()));
    }
    if frame.format().bytes_per_pixel() * 8 != usize::from(bits) {
        return Err(format!(
            "{:?} on a screen of {bits} bits a pixel",
            frame.format()
        ));
    }
    let width = u16::try_from(region.width()).map_err(|error| error.to_string())?;
    if frame.stride() != fake_stride(width, bits, screen.scanline_pad) {
        return Err(format!("stride {} for {region}", frame.stride()));
    }
    for (row, bytes) in frame.rows().enumerate() {
        let top = region.top() + i32::try_from(row).map_err(|error| error.to_string())?;
        if bytes != fake_row(ROOT_SEED, region.left(), top, region.width(), bits) {
            return Err(format!(
                "row {row} of {region} differs from the server's pixels"
            ));
        }
    }
    Ok(())
}

/// Checks monitors listed from `outputs` RandR outputs: no more than there are (the root
/// alone without any), names made printable.
pub fn check_monitors(monitors: &Monitors, outputs: usize) -> Result<(), String> {
    let listed = monitors.monitors().len();
    if listed > outputs.max(1) {
        return Err(format!("{listed} monitors from {outputs} outputs"));
    }
    for monitor in monitors.monitors() {
        for name in [monitor.output(), monitor.name()].into_iter().flatten() {
            let printable = |c: char| c.is_ascii_graphic() || c == ' ' || c == '\u{fffd}';
            if !name.chars().all(printable) {
                return Err(format!("an output name not made printable: {name:?}"));
            }
        }
    }
    Ok(())
}

/// Checks that `error`, as it prints, carries nothing of the server's that could drive a
/// terminal.
pub fn printable_error(error: &Error) -> Result<(), String> {
    let text = error.to_string();
    if text.chars().any(char::is_control) {
        return Err(format!("an error not made printable: {text:?}"));
    }
    Ok(())
}

/// Checks a capture of `script`'s window `id`: every row the window's own pixels, from where
/// the frame is on the screen relative to the window's corner.
pub fn check_window_frame(frame: &Frame, script: &XScript, id: u32) -> Result<(), String> {
    let window = script.window(id).ok_or("a frame of no window")?;
    let bits = script
        .screen
        .bits_per_pixel_of(window.depth)
        .ok_or("a frame of a depth with no pixmap format")?;
    let region = frame.region();
    let left = region.left() - i32::from(window.root_x);
    let top = region.top() - i32::from(window.root_y);
    if left < 0 || top < 0 || region.width() > u32::from(window.width) {
        return Err(format!("{region} is not window {id:#x}'s"));
    }
    for (row, bytes) in frame.rows().enumerate() {
        let y = top + row as i32;
        if bytes != fake_row(id, left, y, region.width(), bits) {
            return Err(format!("row {row} of window {id:#x} differs"));
        }
    }
    Ok(())
}
