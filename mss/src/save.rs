//! Saving monitors as PNG files through [`Mss`]: python-mss's `save()` and `shot()`.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use mss_core::{Capture, Region};

use crate::destination::WriteOptions;
use crate::{Error, Mss, TemplateValues, render_template};

impl Mss {
    /// How this capturer's saves write: replacing existing files, each wait (a FIFO's reader,
    /// a reader that stops reading) at most [`timeout`](Self::timeout).
    pub fn write_options(&self) -> WriteOptions {
        WriteOptions::new().timeout(self.timeout())
    }

    /// Saves monitors as PNG files named by `template`, as python-mss's `save()` does:
    /// `monitor` 0 writes one file per monitor (1 to N), -1 writes the whole screen (monitor
    /// 0) in one file, N writes monitor N. Returns the paths written, in order.
    ///
    /// Files are written as [`crate::destination`] says, each wait at most
    /// [`timeout`](Self::timeout).
    ///
    /// Every monitor is tried: one that fails (a virtual monitor off the screen, a file that
    /// cannot be written) does not stop the others, and the error then lists what was written
    /// and each failure. `{date}` is the same moment in every file name of one call.
    ///
    /// # Errors
    ///
    /// - [`Error::Template`] before anything is captured when the template cannot be rendered,
    ///   or gives two monitors the same file name (each would overwrite the last: put `{mon}`
    ///   in it).
    /// - [`mss_core::Error::MonitorNotFound`] for a bad number (or when the display lists no
    ///   monitor), [`Error::InvalidLevel`], and the error of the listing.
    /// - [`Error::MonitorsFailed`] when some monitors could not be saved, with the paths that
    ///   were; a single monitor's failure is returned as it is.
    pub fn save(&mut self, monitor: i64, template: &str, level: u8) -> Result<Vec<PathBuf>, Error> {
        crate::png_file::check_level(level)?;
        let monitors = self.monitors()?;
        let numbers: Vec<i64> = match monitor {
            0 => {
                if monitors.monitors().is_empty() {
                    return Err(monitors.get(1).unwrap_err().into());
                }
                (1..=monitors.monitors().len() as i64).collect()
            }
            -1 => vec![0],
            number => vec![number],
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let options = self.write_options();
        let mut planned: Vec<(i64, Region, PathBuf)> = Vec::with_capacity(numbers.len());
        for number in numbers {
            let region = monitors.get(number)?;
            let values = TemplateValues {
                unix_time: Some(now),
                ..TemplateValues::new(number, region)
            };
            let path = PathBuf::from(render_template(template, &values)?);
            if let Some((other, _, _)) = planned.iter().find(|(_, _, planned)| *planned == path) {
                return Err(Error::Template {
                    template: template.to_owned(),
                    reason: format!(
                        "it names the files of monitors {other} and {number} both {}, so each \
                         would overwrite the last; put {{mon}} in it",
                        path.display()
                    ),
                });
            }
            planned.push((number, region, path));
        }
        let total = planned.len();
        let mut written = Vec::with_capacity(total);
        let mut failures = Vec::new();
        for (number, region, path) in planned {
            let saved = self
                .grab(region)
                .map_err(Error::from)
                .and_then(|frame| crate::write_png_with(&frame, path, level, &options));
            match saved {
                Ok(path) => written.push(path),
                Err(error) => failures.push((number, Box::new(error))),
            }
        }
        match failures.len() {
            0 => Ok(written),
            1 if total == 1 => Err(*failures.remove(0).1),
            _ => Err(Error::MonitorsFailed {
                total,
                written,
                failures,
            }),
        }
    }

    /// Saves monitor 1 as `monitor-1.png`, as python-mss's `shot()` does.
    ///
    /// # Errors
    ///
    /// As [`save`](Self::save).
    pub fn shot(&mut self) -> Result<PathBuf, Error> {
        let mut paths = self.save(1, "monitor-{mon}.png", crate::DEFAULT_LEVEL)?;
        Ok(paths.remove(0))
    }

    /// Grabs `region` and saves it as a PNG named by `template`, with `{mon}` = `monitor`.
    ///
    /// # Errors
    ///
    /// [`Error::Template`], and every capture and write error.
    pub fn save_region(
        &mut self,
        region: Region,
        monitor: i64,
        template: &str,
        level: u8,
    ) -> Result<PathBuf, Error> {
        let values = TemplateValues::new(monitor, region);
        let path = render_template(template, &values)?;
        let frame = self.grab(region)?;
        crate::write_png_with(&frame, path, level, &self.write_options())
    }

    /// Saves window `window` (an id from [`Capture::windows`]) as a PNG named by `template`,
    /// whose `{top}`, `{left}`, `{width}` and `{height}` are the window's place on the screen
    /// (`{mon}` is 0); returns the path written.
    ///
    /// # Errors
    ///
    /// [`Error::Template`] for a bad template; the window's errors
    /// ([`mss_core::Error::WindowUnavailable`], ...); [`Error::Write`] when the file cannot be
    /// written.
    pub fn save_window(
        &mut self,
        window: u64,
        template: &str,
        level: u8,
    ) -> Result<PathBuf, Error> {
        crate::check_level(level)?;
        // The template is checked before anything is captured.
        let placeholder = Region::new(0, 0, 1, 1).expect("a 1x1 region");
        render_template(template, &TemplateValues::new(0, placeholder))?;
        let frame = self.grab_window(window)?;
        let path = render_template(template, &TemplateValues::new(0, frame.region()))?;
        crate::write_png_with(&frame, path, level, &self.write_options())
    }
}
