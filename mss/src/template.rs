//! File name templates in the style of python-mss: `monitor-{mon}.png`,
//! `sct-{top}x{left}_{width}x{height}.png`, `{date:%Y-%m-%d_%H-%M-%S}.png`.
//!
//! Placeholders are `{mon}`, `{top}`, `{left}`, `{width}`, `{height}`, `{date}` and, for the
//! frames of a recording, `{n}` (the frame number; `{n:05}` pads it with zeros to 5 digits,
//! as ffmpeg's `%05d` reads it; widths up to 20); `{{` and
//! `}}` write a literal brace. `{date}` is the current time in UTC, written as
//! `2024-05-06 07:08:09+00:00` (python's `str(datetime)` without microseconds) or with a
//! strftime-like format after a colon: `%Y %m %d %H %M %S %y %j %F %T %s %%`. The time is
//! read once per rendering and only when the template uses `{date}`. Any other placeholder or
//! directive is an error naming it, not a literal `None` as in python-mss.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use mss_core::Region;

use crate::Error;

/// The widest zero-padded frame number, `{n:020}`: a `u64` has at most 20 digits, and wider
/// fields (`{n:065536}`) would only make names too long to create.
const MAX_FRAME_NUMBER_WIDTH: usize = 20;

/// The values a template can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemplateValues {
    /// The monitor number (`{mon}`).
    pub monitor: i64,
    /// The captured region (`{top}`, `{left}`, `{width}`, `{height}`).
    pub region: Region,
    /// Seconds since the Unix epoch for `{date}`; `None` reads the clock when needed.
    pub unix_time: Option<u64>,
    /// The frame number for `{n}`, in a recording; `None` elsewhere (`{n}` is then an error).
    pub frame: Option<u64>,
}

impl TemplateValues {
    /// Values for monitor `monitor` covering `region`, dated now.
    pub fn new(monitor: i64, region: Region) -> Self {
        Self {
            monitor,
            region,
            unix_time: None,
            frame: None,
        }
    }

    /// The same values for frame `frame` of a recording.
    #[must_use]
    pub fn with_frame(mut self, frame: u64) -> Self {
        self.frame = Some(frame);
        self
    }
}

/// Renders `template` with `values`.
///
/// # Errors
///
/// [`Error::Template`] naming the template and the problem: an unknown placeholder, a format
/// given to a number, an unknown date directive, or an unmatched brace.
pub fn render_template(template: &str, values: &TemplateValues) -> Result<String, Error> {
    let fail = |reason: String| Error::Template {
        template: template.to_owned(),
        reason,
    };
    let mut output = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(position) = rest.find(['{', '}']) {
        output.push_str(&rest[..position]);
        let brace = rest.as_bytes()[position];
        let after = &rest[position + 1..];
        if brace == b'}' {
            if let Some(stripped) = after.strip_prefix('}') {
                output.push('}');
                rest = stripped;
                continue;
            }
            return Err(fail(
                "unmatched '}' (write '}}' for a literal brace)".to_owned(),
            ));
        }
        if let Some(stripped) = after.strip_prefix('{') {
            output.push('{');
            rest = stripped;
            continue;
        }
        let end = after
            .find('}')
            .ok_or_else(|| fail("unmatched '{' (write '{{' for a literal brace)".to_owned()))?;
        let field = &after[..end];
        let (name, spec) = match field.split_once(':') {
            Some((name, spec)) => (name, Some(spec)),
            None => (field, None),
        };
        if name == "n" {
            let frame = values.frame.ok_or_else(|| {
                fail("{n} is the frame number of a recording (`mss record`)".to_owned())
            })?;
            match spec {
                None => write!(output, "{frame}").expect("writing to a String"),
                Some(width)
                    if width.starts_with('0')
                        && width.len() > 1
                        && width.bytes().all(|byte| byte.is_ascii_digit()) =>
                {
                    let width = width[1..]
                        .parse::<usize>()
                        .ok()
                        .filter(|width| *width <= MAX_FRAME_NUMBER_WIDTH)
                        .ok_or_else(|| {
                            fail(format!(
                                "{{n:{width}}}: the width goes up to {MAX_FRAME_NUMBER_WIDTH} \
                                 (a frame number has at most 20 digits)"
                            ))
                        })?;
                    write!(output, "{frame:0width$}").expect("writing to a String");
                }
                Some(other) => {
                    return Err(fail(format!(
                        "{{n}} takes only a zero-padded width such as {{n:05}}, not {other:?}"
                    )));
                }
            }
            rest = &after[end + 1..];
            continue;
        }
        let number = match name {
            "mon" => Some(values.monitor),
            "top" => Some(i64::from(values.region.top())),
            "left" => Some(i64::from(values.region.left())),
            "width" => Some(i64::from(values.region.width())),
            "height" => Some(i64::from(values.region.height())),
            "date" => None,
            other => {
                return Err(fail(format!(
                    "unknown placeholder {{{other}}}; known: {{mon}}, {{top}}, {{left}}, {{width}}, {{height}}, {{date}}, {{n}}"
                )));
            }
        };
        match (number, spec) {
            (Some(number), None) => write!(output, "{number}").expect("writing to a String"),
            (Some(_), Some(spec)) => {
                return Err(fail(format!(
                    "{{{name}}} takes no format (got {spec:?}); only {{date}} does"
                )));
            }
            (None, spec) => {
                let time = values.unix_time.unwrap_or_else(now);
                let format = spec.unwrap_or("%Y-%m-%d %H:%M:%S+00:00");
                format_utc(time, format, &mut output).map_err(fail)?;
            }
        }
        rest = &after[end + 1..];
    }
    output.push_str(rest);
    Ok(output)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Writes `unix_time` (UTC) with a strftime-like `format`.
fn format_utc(unix_time: u64, format: &str, output: &mut String) -> Result<(), String> {
    let days = unix_time / 86_400;
    let seconds_of_day = unix_time % 86_400;
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60,
    );
    let day_of_year = days - days_from_civil(year, 1, 1) + 1;
    let mut characters = format.chars();
    while let Some(character) = characters.next() {
        if character != '%' {
            output.push(character);
            continue;
        }
        let directive = characters
            .next()
            .ok_or_else(|| format!("date format {format:?} ends with a lone '%'"))?;
        let written = match directive {
            'Y' => write!(output, "{year:04}"),
            'y' => write!(output, "{:02}", year % 100),
            'm' => write!(output, "{month:02}"),
            'd' => write!(output, "{day:02}"),
            'H' => write!(output, "{hour:02}"),
            'M' => write!(output, "{minute:02}"),
            'S' => write!(output, "{second:02}"),
            'j' => write!(output, "{day_of_year:03}"),
            'F' => write!(output, "{year:04}-{month:02}-{day:02}"),
            'T' => write!(output, "{hour:02}:{minute:02}:{second:02}"),
            's' => write!(output, "{unix_time}"),
            '%' => write!(output, "%"),
            other => {
                return Err(format!(
                    "unknown date directive %{other}; known: %Y %y %m %d %H %M %S %j %F %T %s %%"
                ));
            }
        };
        written.expect("writing to a String");
    }
    Ok(())
}

/// The proleptic Gregorian date of day `days` after 1970-01-01 (Hinnant's civil calendar
/// algorithm, on eras of 400 years).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    fn values() -> TemplateValues {
        TemplateValues {
            monitor: 2,
            region: Region::new(-1280, 5, 640, 480).unwrap(),
            // 2024-02-29 13:14:15 UTC.
            unix_time: Some(1_709_212_455),
            frame: None,
        }
    }

    #[rstest]
    #[case("frame-{n}.png", "frame-42.png")]
    #[case("frame-{n:05}.png", "frame-00042.png")]
    #[case("{mon}/{n:03}-{width}.png", "2/042-640.png")]
    fn frame_numbers_render(#[case] template: &str, #[case] expected: &str) {
        let values = values().with_frame(42);
        assert_eq!(render_template(template, &values).unwrap(), expected);
    }

    #[rstest]
    #[case("{n}.png", "frame number of a recording")]
    #[case("{n:5}.png", "zero-padded width")]
    #[case("{n:0x}.png", "zero-padded width")]
    #[case("{n:021}.png", "the width goes up to 20")]
    #[case("{n:065536}.png", "the width goes up to 20")]
    #[case("{n:099999999999999999999999}.png", "the width goes up to 20")]
    fn frame_numbers_outside_a_recording_or_badly_formatted_are_errors(
        #[case] template: &str,
        #[case] reason: &str,
    ) {
        let values = if template == "{n}.png" {
            values()
        } else {
            values().with_frame(1)
        };
        let error = render_template(template, &values).unwrap_err();
        assert!(error.to_string().contains(reason), "{error}");
    }

    #[rstest]
    #[case("monitor-{mon}.png", "monitor-2.png")]
    #[case("sct-{top}x{left}_{width}x{height}.png", "sct-5x-1280_640x480.png")]
    #[case("{date}.png", "2024-02-29 13:14:15+00:00.png")]
    #[case("{date:%Y-%m-%d}_{mon}.png", "2024-02-29_2.png")]
    #[case("{date:%F %T %j %y %s %%}", "2024-02-29 13:14:15 060 24 1709212455 %")]
    #[case("{{literal}}-{mon}", "{literal}-2")]
    #[case("plain.png", "plain.png")]
    fn templates_render(#[case] template: &str, #[case] expected: &str) {
        assert_eq!(render_template(template, &values()).unwrap(), expected);
    }

    #[rstest]
    #[case("{name}.png", "unknown placeholder {name}")]
    #[case("{mon:02d}.png", "takes no format")]
    #[case("{date:%Q}.png", "unknown date directive %Q")]
    #[case("{date:%}.png", "lone '%'")]
    #[case("{mon.png", "unmatched '{'")]
    #[case("mon}.png", "unmatched '}'")]
    fn bad_templates_are_errors_naming_the_problem(#[case] template: &str, #[case] reason: &str) {
        let error = render_template(template, &values()).unwrap_err();
        assert!(
            matches!(&error, Error::Template { template: t, .. } if t == template),
            "{error:?}"
        );
        assert!(error.to_string().contains(reason), "{error}");
    }

    #[rstest]
    #[case(0, (1970, 1, 1))]
    #[case(11_016, (2000, 2, 29))]
    #[case(19_782, (2024, 2, 29))]
    #[case(47_541, (2100, 3, 1))]
    fn calendar_dates(#[case] days: u64, #[case] date: (u64, u64, u64)) {
        assert_eq!(civil_from_days(days), date);
    }

    proptest! {
        #[test]
        fn calendar_round_trips(days in 0u64..3_000_000) {
            let (year, month, day) = civil_from_days(days);
            prop_assert!((1..=12).contains(&month) && (1..=31).contains(&day));
            prop_assert_eq!(days_from_civil(year, month, day), days);
        }

        #[test]
        fn rendering_never_panics(template in ".{0,40}") {
            let _ = render_template(&template, &values());
        }

        #[test]
        fn frame_number_widths_never_panic(width in "0[0-9]{0,12}", frame in any::<u64>()) {
            let template = format!("f-{{n:{width}}}.png");
            match render_template(&template, &values().with_frame(frame)) {
                Ok(name) => prop_assert!(name.len() <= 26, "{name}"),
                Err(error) => prop_assert!(error.to_string().contains("width"), "{error}"),
            }
        }
    }
}
