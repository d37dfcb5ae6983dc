//! The property: whatever the fake compositor is scripted to do (outputs and names of any
//! bytes, offered layouts of any format, size and stride, damage of any values, events
//! repeated by the thousand, failing, silence, dying, floods), every call of the real backend
//! returns, within a deadline, either an error or a frame that is correct: its size and format
//! are those of a layout the compositor offered, and its pixels are exactly what the
//! compositor wrote. What the backend keeps for one frame stays bounded, and names come out
//! printable. When the compositor behaves, the call must succeed.

use std::time::Instant;

use mss_core::{
    Capture, Changes, Error, Frame, Monitors, PixelFormat, Region, StreamOptions, StreamTarget,
    printable,
};
use mss_testkit::fake_compositor::{
    ABGR8888, ARGB8888, Answer, Behaviour, BufferLayout, CaptureRecord, CopyRecord, FakeCompositor,
    FakeLog, FakeOutput, FrameScript, LayoutSpec, MAX_WRITTEN_BYTES, RGB565, XBGR8888, XRGB8888,
    fake_pixel,
};
use mss_wayland::{MAX_DAMAGE_RECTANGLES, WaylandCapture};
use proptest::prelude::*;

use super::hostile::{TIMEOUT, within_deadline};

/// Cases run: each opens a compositor and a capturer, so they are kept few.
const CASES: u32 = 64;

/// The layouts one frame may keep (mss-wayland's own bound, `limit::MAX_LAYOUTS`).
const MAX_LAYOUTS: usize = 16;

/// What one case does with the capturer.
#[derive(Clone, Debug)]
enum Operation {
    Monitors,
    Grab(Target),
    Stream {
        target: Target,
        changes_only: bool,
        in_flight: usize,
        frames: usize,
    },
}

/// A region to capture, from the outputs that are valid.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// Monitor 0: every output's bounding box.
    Everything,
    /// A part of one output: which (modulo the valid outputs) and where, in 1/256ths.
    InOutput { output: usize, part: [u8; 4] },
}

/// The pixel format a `wl_shm` format is delivered in.
fn pixel_format(format: u32) -> Option<PixelFormat> {
    match format {
        XRGB8888 => Some(PixelFormat::Bgrx8888),
        ARGB8888 => Some(PixelFormat::Bgra8888),
        XBGR8888 => Some(PixelFormat::Rgbx8888),
        ABGR8888 => Some(PixelFormat::Rgba8888),
        _ => None,
    }
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        32 => Just(Answer::Proceed),
        3 => Just(Answer::Fail),
        2 => Just(Answer::Disconnect),
        1 => Just(Answer::Silent),
        1 => Just(Answer::Endless),
    ]
}

fn size() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![
        8 => Just(None),
        1 => Just(Some(0)),
        2 => (1u32..=48).prop_map(Some),
        1 => ((1u32 << 28) + 1..=u32::MAX).prop_map(Some),
    ]
}

fn stride() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![
        8 => Just(None),
        1 => Just(Some(0)),
        3 => (1u32..=400).prop_map(Some),
        1 => ((1u32 << 28) + 1..=u32::MAX).prop_map(Some),
    ]
}

/// A format, mostly one mss-rs reads.
fn format() -> impl Strategy<Value = u32> {
    prop_oneof![
        6 => Just(XRGB8888),
        3 => Just(ARGB8888),
        2 => Just(XBGR8888),
        2 => Just(ABGR8888),
        1 => Just(RGB565),
        1 => any::<u32>(),
    ]
}

/// A layout: mostly the natural one, else with any width, height and stride.
fn layout() -> impl Strategy<Value = LayoutSpec> {
    prop_oneof![
            3 => format().prop_map(LayoutSpec::natural),
            2 =>
    (format(), size(), size(), stride()).prop_map(|(format, width, height, stride)| {
                LayoutSpec {
                    format,
                    width,
                    height,
                    stride,
                }
            }),
        ]
}

fn repeats(many: u32) -> impl Strategy<Value = u32> {
    prop_oneof![12 => Just(1), 1 => 0..=3u32, 2 => 100..=many]
}

fn damage_value() -> impl Strategy<Value = u32> {
    prop_oneof![3 => 0u32..80, 1 => any::<u32>()]
}

fn frame_script() -> impl Strategy<Value = FrameScript> {
    (
        prop_oneof![1 => Just(Vec::new()), 12 => prop::collection::vec(layout(), 1..=3)],
        repeats(3000),
        answer(),
        any::<bool>(),
        prop::collection::vec(prop::array::uniform4(damage_value()), 0..=4),
        repeats(2000),
        answer(),
    )
        .prop_map(
            |(
                layouts,
                layout_repeats,
                after_offer,
                y_invert,
                damage,
                damage_repeats,
                after_copy,
            )| {
                FrameScript {
                    layouts,
                    layout_repeats,
                    after_offer,
                    y_invert,
                    damage,
                    damage_repeats,
                    after_copy,
                }
            },
        )
}

/// Names: text of any characters, or bytes of any value.
fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..12)
            .prop_map(|chars| chars.into_iter().collect::<String>().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..16),
    ]
}

fn outputs() -> impl Strategy<Value = Vec<FakeOutput>> {
    let output = (
        1i32..=40,
        1i32..=30,
        prop_oneof![4 => Just(1), 1 => Just(2)],
        0i32..=8,
        0i32..=8,
        prop_oneof![9 => Just(true), 1 => Just(false)],
        name(),
        name(),
        repeats(2000),
    );
    prop::collection::vec(output, 1..=3).prop_map(|outputs| {
        let mut left = 0;
        outputs
            .into_iter()
            .map(
                |(width, height, scale, gap, top, valid, name, description, name_repeats)| {
                    left += gap;
                    let mut output = FakeOutput::new(left, top, width, height)
                        .scaled(scale)
                        .named(name, description);
                    output.name_repeats = name_repeats;
                    if !valid {
                        // No logical size: the backend leaves the output out.
                        output.logical.2 = -width;
                    }
                    left += width;
                    output
                },
            )
            .collect()
    })
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        1 => Just(Target::Everything),
        3 => (0usize..3, any::<[u8; 4]>())
            .prop_map(|(output, part)| Target::InOutput { output, part }),
    ]
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        1 => Just(Operation::Monitors),
        4 => target().prop_map(Operation::Grab),
        2 => (target(), any::<bool>(), 1usize..=3, 1usize..=2).prop_map(
            |(target, changes_only, in_flight, frames)| Operation::Stream {
                target,
                changes_only,
                in_flight,
                frames,
            }
        ),
    ]
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    (
        outputs(),
        prop::collection::vec(any::<u32>(), 0..4),
        repeats(1000),
        prop_oneof![6 => Just(3u32), 1 => 1u32..=2],
        prop::collection::vec(frame_script(), 1..=3),
    )
        .prop_map(
            |(outputs, shm_formats, shm_format_repeats, screencopy_version, frames)| Behaviour {
                outputs,
                shm_formats,
                shm_format_repeats,
                screencopy_version,
                frames,
            },
        )
}

/// The outputs the backend sees: those with a logical size, with their index and place.
fn valid_outputs(behaviour: &Behaviour) -> Vec<(usize, Region)> {
    behaviour
        .outputs
        .iter()
        .enumerate()
        .filter_map(|(index, output)| {
            let (left, top, width, height) = output.logical;
            Region::from_signed(
                i64::from(left),
                i64::from(top),
                i64::from(width),
                i64::from(height),
            )
            .ok()
            .map(|region| (index, region))
        })
        .collect()
}

/// The region `target` names, and the output it lies on when it lies on one.
fn resolve(target: Target, outputs: &[(usize, Region)]) -> (Region, Option<(usize, Region)>) {
    match target {
        Target::Everything => {
            let all = outputs
                .iter()
                .map(|&(_, region)| region)
                .reduce(|all, region| all.union(&region))
                .expect("at least one valid output");
            let within = outputs
                .iter()
                .copied()
                .find(|(_, placed)| placed.contains(&all));
            (all, within)
        }
        Target::InOutput { output, part } => {
            let (index, placed) = outputs[output % outputs.len()];
            let fraction = |value: u8, of: u32| (u32::from(value) * of) / 256;
            let left = fraction(part[0], placed.width());
            let top = fraction(part[1], placed.height());
            let width = 1 + fraction(part[2], placed.width() - left);
            let height = 1 + fraction(part[3], placed.height() - top);
            let region = Region::new(
                placed.left() + left as i32,
                placed.top() + top as i32,
                width.min(placed.width() - left),
                height.min(placed.height() - top),
            )
            .unwrap();
            (region, Some((index, placed)))
        }
    }
}

/// Whether a layout can hold a frame, as the backend judges it, and the fake writes it.
fn usable(layout: &BufferLayout) -> bool {
    let row = u64::from(layout.width) * 4;
    let bytes = u64::from(layout.stride) * u64::from(layout.height);
    let written = (u64::from(layout.height).saturating_sub(1)) * u64::from(layout.stride) + row;
    layout.width > 0
        && layout.height > 0
        && u64::from(layout.stride) >= row
        && bytes <= 1 << 30
        && written <= MAX_WRITTEN_BYTES
}

/// Whether a well-behaved capture of `natural` device pixels under `script` must succeed:
/// both steps proceed, and the layout the backend must choose (the first usable one of the
/// most preferred format among the first distinct layouts) is one it can use.
fn must_succeed(script: &FrameScript, natural: (u32, u32), version: u32) -> bool {
    if version < 3
        || script.after_offer != Answer::Proceed
        || script.after_copy != Answer::Proceed
        || script.layout_repeats == 0
    {
        return false;
    }
    let mut offered: Vec<BufferLayout> = Vec::new();
    for layout in &script.layouts {
        let layout = layout.resolve(natural);
        if offered.len() < MAX_LAYOUTS && !offered.contains(&layout) {
            offered.push(layout);
        }
    }
    let holds = |layout: &&BufferLayout| {
        let row = u64::from(layout.width) * 4;
        layout.width > 0 && layout.height > 0 && u64::from(layout.stride) >= row
    };
    [XRGB8888, ARGB8888, XBGR8888, ABGR8888]
        .iter()
        .find_map(|format| {
            offered
                .iter()
                .filter(|layout| layout.format == *format)
                .find(holds)
        })
        .is_some_and(usable)
}

/// The log entries that came after `before`.
fn since(before: &FakeLog, now: &FakeLog) -> (Vec<CaptureRecord>, Vec<CopyRecord>) {
    (
        now.captures[before.captures.len()..].to_vec(),
        now.copies[before.copies.len()..].to_vec(),
    )
}

/// Checks `frame`, captured of `region` during an operation whose captures and copies were
/// `captures` and `copies`: a layout that was offered and written, the fake's pixels.
fn check_frame(
    behaviour: &Behaviour,
    frame: &Frame,
    region: Region,
    within: Option<(usize, Region)>,
    captures: &[CaptureRecord],
    copies: &[CopyRecord],
) -> Result<(), TestCaseError> {
    if let Some((output, placed)) = within {
        // One copy is the frame: a layout written, in its format and size, the fake's bytes.
        let scale = behaviour.outputs[output].scale.max(1) as u32;
        let matching = copies.iter().any(|copy| {
            copy.written
                && pixel_format(copy.layout.format) == Some(frame.format())
                && (copy.layout.width, copy.layout.height) == (frame.width(), frame.height())
        });
        prop_assert!(matching, "{frame:?} matches no copy of {copies:?}");
        prop_assert_eq!(
            (frame.region().left(), frame.region().top()),
            (region.left(), region.top())
        );
        let origin_x = (region.left() - placed.left()) as u32 * scale;
        let origin_y = (region.top() - placed.top()) as u32 * scale;
        for (y, row) in frame.rows().enumerate() {
            for (x, pixel) in row.chunks_exact(4).enumerate() {
                let expected = fake_pixel(output, origin_x + x as u32, origin_y + y as u32);
                prop_assert_eq!(pixel, expected, "pixel ({}, {}) of {:?}", x, y, frame);
            }
        }
        return Ok(());
    }
    // Assembled from the outputs' parts: each pixel is its output's, as one of the copies of
    // that output wrote it (decoded from that copy's format), and opaque black where no output
    // is.
    prop_assert_eq!(frame.region(), region);
    let outputs = valid_outputs(behaviour);
    for y in 0..frame.height() {
        for x in 0..frame.width() {
            let (screen_x, screen_y) = (region.left() + x as i32, region.top() + y as i32);
            let shown = frame.pixel(x, y).expect("inside the frame");
            let shown = (shown.r, shown.g, shown.b);
            let on = outputs
                .iter()
                .find(|(_, placed)| placed.contains_point(screen_x, screen_y));
            let Some(&(output, placed)) = on else {
                prop_assert_eq!(
                    shown,
                    (0, 0, 0),
                    "({}, {}) is on no output",
                    screen_x,
                    screen_y
                );
                continue;
            };
            let scale = behaviour.outputs[output].scale.max(1);
            let candidates: Vec<(u8, u8, u8)> = copies
                .iter()
                .filter(|copy| copy.written)
                .filter_map(|copy| {
                    let capture = captures
                        .iter()
                        .find(|capture| capture.frame == copy.frame)?;
                    let (part_x, part_y, _, _) = capture.region?;
                    if capture.output != output {
                        return None;
                    }
                    // The part's first device pixel, and this pixel's place in the part.
                    let column = screen_x - placed.left() - part_x;
                    let row = screen_y - placed.top() - part_y;
                    let bytes = fake_pixel(
                        output,
                        (part_x * scale + column) as u32,
                        (part_y * scale + row) as u32,
                    );
                    let colour = pixel_format(copy.layout.format)?.decode(&bytes);
                    Some((colour.r, colour.g, colour.b))
                })
                .collect();
            prop_assert!(
                candidates.contains(&shown),
                "({}, {}) of {:?} is {:?}, not one of {:?}",
                screen_x,
                screen_y,
                frame,
                shown,
                candidates
            );
        }
    }
    Ok(())
}

/// Checks the monitors against the outputs: one per valid output, names printable and equal
/// to what the compositor sent, made printable.
fn check_monitors(behaviour: &Behaviour, monitors: &Monitors) -> Result<(), TestCaseError> {
    let outputs = valid_outputs(behaviour);
    prop_assert_eq!(monitors.monitors().len(), outputs.len());
    let sent = |bytes: &[u8]| {
        let end = bytes
            .iter()
            .position(|&byte| byte == 0)
            .unwrap_or(bytes.len());
        printable(&String::from_utf8_lossy(&bytes[..end]))
    };
    for (monitor, &(index, placed)) in monitors.monitors().iter().zip(&outputs) {
        let output = &behaviour.outputs[index];
        prop_assert_eq!(monitor.region(), placed);
        let named = output.name_repeats > 0;
        let name = named.then(|| sent(&output.name));
        let description = named.then(|| sent(&output.description));
        prop_assert_eq!(monitor.output(), name.as_deref());
        prop_assert_eq!(monitor.description(), description.as_deref());
        for text in [monitor.output(), monitor.description()]
            .into_iter()
            .flatten()
        {
            prop_assert_eq!(printable(text), text);
        }
    }
    Ok(())
}

/// An error is the backend's answer, never a frame that does not fit its memory (a bug).
fn check_error(error: &Error) -> Result<(), TestCaseError> {
    prop_assert!(
        !matches!(error, Error::FrameLayout { .. }),
        "a frame that does not fit its memory: {error:?}"
    );
    Ok(())
}

/// The device-pixel size the compositor is asked for when `region` is captured on `output`.
fn natural(behaviour: &Behaviour, output: usize, region: Region) -> (u32, u32) {
    let scale = behaviour.outputs[output].scale.max(1) as u32;
    (region.width() * scale, region.height() * scale)
}

/// Runs `operations` against a fake compositor behaving as `behaviour` says.
fn run(behaviour: Behaviour, operations: Vec<Operation>) -> Result<(), TestCaseError> {
    let fake = FakeCompositor::start(behaviour.clone()).expect("the fake compositor starts");
    let capture = within_deadline("open", {
        let display = fake.display().to_owned();
        move || {
            WaylandCapture::open_with(
                Some(&display),
                mss_wayland::WaylandOptions::new().timeout(Some(TIMEOUT)),
            )
        }
    });
    // Opening reads the globals and outputs, which the behaviours here never make fail.
    let mut capture = capture.map_err(|error| TestCaseError::fail(format!("open: {error}")))?;
    let outputs = valid_outputs(&behaviour);
    // Once a call failed, the connection may be closed: later calls need not succeed.
    let mut healthy = true;
    for operation in operations {
        let before = fake.log();
        if outputs.is_empty() {
            let error = within_deadline("monitors", move || capture.monitors().map(drop))
                .expect_err("no output");
            prop_assert!(
                matches!(
                    error,
                    Error::Unsupported { .. } | Error::ConnectionLost { .. }
                ),
                "{error:?}"
            );
            break;
        }
        match operation {
            Operation::Monitors => {
                let (returned, result) = within_deadline("monitors", move || {
                    let result = capture.monitors();
                    (capture, result)
                });
                capture = returned;
                match result {
                    Ok(monitors) => check_monitors(&behaviour, &monitors)?,
                    Err(error) => {
                        prop_assert!(!healthy, "monitors: {error:?}");
                        check_error(&error)?;
                    }
                }
            }
            Operation::Grab(target) => {
                let (region, within) = resolve(target, &outputs);
                let (returned, result) = within_deadline("grab", move || {
                    let result = capture.grab(region);
                    (capture, result)
                });
                capture = returned;
                let after = fake.log();
                let (captures, copies) = since(&before, &after);
                match result {
                    Ok(frame) => {
                        check_frame(&behaviour, &frame, region, within, &captures, &copies)?;
                    }
                    Err(error) => {
                        check_error(&error)?;
                        if let Some((output, _)) = within {
                            let script = behaviour.frame(before.captures.len());
                            prop_assert!(
                                !(healthy
                                    && must_succeed(
                                        &script,
                                        natural(&behaviour, output, region),
                                        behaviour.screencopy_version
                                    )),
                                "a grab of {} under {:?} failed: {:?}",
                                region,
                                script,
                                error
                            );
                        }
                        healthy = false;
                    }
                }
            }
            Operation::Stream {
                target,
                changes_only,
                in_flight,
                frames,
            } => {
                let (region, within) = resolve(target, &outputs);
                let options = StreamOptions::new()
                    .changes_only(changes_only)
                    .in_flight(in_flight)
                    .target(StreamTarget::Region(region));
                let (returned, results) = within_deadline("stream", move || {
                    let mut results = Vec::new();
                    match capture.stream(&options) {
                        Ok(mut stream) => {
                            for _ in 0..frames {
                                let deadline = Instant::now() + TIMEOUT;
                                let next = stream.next_frame_before(Some(deadline));
                                let failed = next.is_err();
                                results.push(next);
                                if failed {
                                    break;
                                }
                            }
                        }
                        Err(error) => results.push(Err(error)),
                    }
                    (capture, results)
                });
                capture = returned;
                let after = fake.log();
                let (captures, copies) = since(&before, &after);
                for result in results {
                    match result {
                        Ok(Some(frame)) => {
                            check_frame(
                                &behaviour,
                                &frame.frame,
                                region,
                                within,
                                &captures,
                                &copies,
                            )?;
                            if let Changes::Rectangles(rectangles) = &frame.changes {
                                prop_assert!(rectangles.len() <= MAX_DAMAGE_RECTANGLES);
                                for rectangle in rectangles {
                                    prop_assert!(
                                        region.contains(rectangle),
                                        "{} outside {}",
                                        rectangle,
                                        region
                                    );
                                }
                            }
                        }
                        Ok(None) => {}
                        Err(error) => {
                            check_error(&error)?;
                            healthy = false;
                        }
                    }
                }
            }
        }
        prop_assert!(
            capture.most_frame_events_kept() <= MAX_LAYOUTS + MAX_DAMAGE_RECTANGLES,
            "{} events kept for one frame",
            capture.most_frame_events_kept()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_call_returns_an_error_or_a_correct_frame_and_memory_stays_bounded(
        behaviour in behaviour(),
        operations in prop::collection::vec(operation(), 1..=3),
    ) {
        run(behaviour, operations)?;
    }
}
