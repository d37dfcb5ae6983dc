//! What a test scripts the fake compositor to do: its outputs and their names, the formats it
//! announces, and how it answers each screencopy frame (the layouts it offers, flags, damage,
//! repetitions, failing, silence, dying, floods).

/// `wl_shm` format `ARGB8888` (bytes B, G, R, A).
pub const ARGB8888: u32 = 0;
/// `wl_shm` format `XRGB8888` (bytes B, G, R, X).
pub const XRGB8888: u32 = 1;
/// `wl_shm` format `ABGR8888` (bytes R, G, B, A).
pub const ABGR8888: u32 = 0x3432_4241;
/// `wl_shm` format `XBGR8888` (bytes R, G, B, X).
pub const XBGR8888: u32 = 0x3432_4258;
/// `wl_shm` format `RGB565`, one mss-rs does not read.
pub const RGB565: u32 = 0x3631_5252;

/// The most bytes the fake writes for one copy (64 MiB). A copy into a larger buffer is
/// answered with `failed`: the fake is a test tool and will not write gigabytes for a client
/// that accepted a buffer it should have refused.
pub const MAX_WRITTEN_BYTES: u64 = 64 << 20;

/// Everything the fake compositor does, decided before it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behaviour {
    /// The outputs, each a `wl_output` global (version 4) with its xdg-output.
    pub outputs: Vec<FakeOutput>,
    /// The `wl_shm.format` events sent when `wl_shm` is bound, as numbers (any value).
    pub shm_formats: Vec<u32>,
    /// How many times the list of formats is sent.
    pub shm_format_repeats: u32,
    /// The `zwlr_screencopy_manager_v1` version announced (1 to 3; 3 adds `buffer_done`).
    pub screencopy_version: u32,
    /// How the screencopy frames are answered: the n-th frame asked for (counted from 0 over
    /// the compositor's life) follows `frames[n]`, and frames past the end follow the last one.
    /// Empty: every frame is answered as [`FrameScript::default`] says.
    pub frames: Vec<FrameScript>,
}

impl Default for Behaviour {
    /// One 64x48 output named `FAKE-1`, XRGB8888 and ARGB8888, screencopy version 3, every frame
    /// answered well.
    fn default() -> Self {
        Self {
            outputs: vec![FakeOutput::new(0, 0, 64, 48).named("FAKE-1", "Fake output 1")],
            shm_formats: vec![ARGB8888, XRGB8888],
            shm_format_repeats: 1,
            screencopy_version: 3,
            frames: Vec::new(),
        }
    }
}

impl Behaviour {
    /// The script of the `index`-th frame asked for.
    pub fn frame(&self, index: usize) -> FrameScript {
        self.frames
            .get(index)
            .or(self.frames.last())
            .cloned()
            .unwrap_or_default()
    }
}

/// One output of the fake compositor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeOutput {
    /// Its name (`wl_output.name` and `zxdg_output_v1.name`): any bytes. A NUL byte cannot
    /// travel in a Wayland string (it ends it), so the name is sent up to its first NUL.
    pub name: Vec<u8>,
    /// Its description (`wl_output.description` and `zxdg_output_v1.description`), as the name.
    pub description: Vec<u8>,
    /// How many times each name and description event is sent.
    pub name_repeats: u32,
    /// Its logical position and size (xdg-output): left, top, width, height (any values).
    pub logical: (i32, i32, i32, i32),
    /// Its current mode in device pixels (`wl_output.mode`).
    pub mode: (i32, i32),
    /// Its scale (`wl_output.scale`).
    pub scale: i32,
}

impl FakeOutput {
    /// An output at (`left`, `top`) of `width`x`height` logical pixels, scale 1, named
    /// `FAKE`.
    pub fn new(left: i32, top: i32, width: i32, height: i32) -> Self {
        Self {
            name: b"FAKE".to_vec(),
            description: b"Fake output".to_vec(),
            name_repeats: 1,
            logical: (left, top, width, height),
            mode: (width, height),
            scale: 1,
        }
    }

    /// The same output with this name and description.
    #[must_use]
    pub fn named(mut self, name: impl Into<Vec<u8>>, description: impl Into<Vec<u8>>) -> Self {
        self.name = name.into();
        self.description = description.into();
        self
    }

    /// The same output at `scale`: its mode is its logical size times the scale.
    #[must_use]
    pub fn scaled(mut self, scale: i32) -> Self {
        self.scale = scale;
        self.mode = (
            self.logical.2.saturating_mul(scale),
            self.logical.3.saturating_mul(scale),
        );
        self
    }
}

/// How the fake compositor answers, at one step of a screencopy frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// As a compositor should: `buffer_done` after the layouts (version 3), `ready` after the
    /// copy.
    Proceed,
    /// `failed`.
    Fail,
    /// Nothing at all, ever: the client must give up by itself.
    Silent,
    /// The connection is shut down, as when the compositor dies.
    Disconnect,
    /// The last event repeated without end (after the layouts: `buffer` events; after the
    /// copy: `damage` events), as fast as the client reads them, until it goes away.
    Endless,
}

/// One buffer layout offered (`zwlr_screencopy_frame_v1.buffer`). `None` fields take the
/// natural value: the region asked for in device pixels (its logical size times the output's
/// scale), and a packed stride (width times 4, wrapping like the u32 it is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutSpec {
    /// The `wl_shm` format, any number.
    pub format: u32,
    /// The width in pixels.
    pub width: Option<u32>,
    /// The height in pixels.
    pub height: Option<u32>,
    /// Bytes per row.
    pub stride: Option<u32>,
}

impl LayoutSpec {
    /// The natural layout in `format`.
    pub fn natural(format: u32) -> Self {
        Self {
            format,
            width: None,
            height: None,
            stride: None,
        }
    }

    /// The layout offered for a region of `natural` device pixels (width, height):
    /// format, width, height, stride.
    pub fn resolve(&self, natural: (u32, u32)) -> BufferLayout {
        let width = self.width.unwrap_or(natural.0);
        let height = self.height.unwrap_or(natural.1);
        BufferLayout {
            format: self.format,
            width,
            height,
            stride: self.stride.unwrap_or(width.wrapping_mul(4)),
        }
    }
}

/// A buffer layout as it travels: format, width, height, stride.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufferLayout {
    /// The `wl_shm` format.
    pub format: u32,
    /// The width in pixels.
    pub width: u32,
    /// The height in pixels.
    pub height: u32,
    /// Bytes per row.
    pub stride: u32,
}

/// How one screencopy frame is answered, step by step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameScript {
    /// The buffer layouts offered (`buffer` events), in order.
    pub layouts: Vec<LayoutSpec>,
    /// How many times the list of layouts is sent.
    pub layout_repeats: u32,
    /// What follows the layouts. [`Answer::Proceed`] is `buffer_done` (version 3 only; before
    /// it nothing follows), [`Answer::Endless`] repeats the last layout (a natural XRGB8888 one
    /// when none is listed) until the client copies or goes away.
    pub after_offer: Answer,
    /// `flags` says `y_invert` after the copy, and the rows are written bottom up.
    pub y_invert: bool,
    /// The `damage` events sent after a copy (with or without damage, as a careless
    /// compositor might): x, y, width, height in the output's device pixels (as wlroots sends
    /// them), any values. When the list is empty, a copy with damage gets one rectangle over
    /// the region copied, as a compositor reports on a client's first copy.
    pub damage: Vec<[u32; 4]>,
    /// How many times the list of damage is sent.
    pub damage_repeats: u32,
    /// What follows the copy (once the pixels are written). [`Answer::Proceed`] is `ready`,
    /// [`Answer::Endless`] repeats the last damage (the whole buffer when none is listed)
    /// until the client goes away.
    pub after_copy: Answer,
}

impl Default for FrameScript {
    /// The natural layout in XRGB8888, then `buffer_done`; after the copy `ready` (with damage
    /// over the region copied when the copy asked for damage).
    fn default() -> Self {
        Self {
            layouts: vec![LayoutSpec::natural(XRGB8888)],
            layout_repeats: 1,
            after_offer: Answer::Proceed,
            y_invert: false,
            damage: Vec::new(),
            damage_repeats: 1,
            after_copy: Answer::Proceed,
        }
    }
}

/// The four bytes the fake compositor writes for device pixel (`x`, `y`) of output number
/// `output` (its index in [`Behaviour::outputs`]), whatever the format: a test compares a
/// frame's bytes with these. Every pixel of a 256x256 area differs from the others, and
/// outputs differ from each other.
pub fn fake_pixel(output: usize, x: u32, y: u32) -> [u8; 4] {
    let output = output as u8;
    [
        x as u8,
        y as u8,
        ((x >> 8) as u8 ^ (y >> 8) as u8).wrapping_add(output.wrapping_mul(47)),
        0x80 | output,
    ]
}
