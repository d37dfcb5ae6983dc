//! What the compositor told us, kept up to date by the event handlers: globals, shared-memory
//! formats, outputs, and the screencopy frames under way.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mss_core::printable;
use wayland_client::protocol::wl_buffer::WlBuffer;
use wayland_client::protocol::wl_callback::{self, WlCallback};
use wayland_client::protocol::wl_output::{self, Transform, WlOutput};
use wayland_client::protocol::wl_registry::{self, WlRegistry};
use wayland_client::protocol::wl_shm::WlShm;
use wayland_client::protocol::wl_shm_pool::WlShmPool;
use wayland_client::{Connection, Dispatch, QueueHandle, WEnum};
use wayland_protocols::xdg::xdg_output::zv1::client::zxdg_output_manager_v1::ZxdgOutputManagerV1;
use wayland_protocols::xdg::xdg_output::zv1::client::zxdg_output_v1::{self, ZxdgOutputV1};
use wayland_protocols_wlr::screencopy::v1::client::zwlr_screencopy_frame_v1::{
    self, ZwlrScreencopyFrameV1,
};
use wayland_protocols_wlr::screencopy::v1::client::zwlr_screencopy_manager_v1::ZwlrScreencopyManagerV1;

use crate::damage::Damage;
use crate::layout::BufferLayout;
use crate::limit::MAX_GLOBALS;
use crate::offers::Offers;

/// A global the registry announced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Global {
    pub(crate) name: u32,
    pub(crate) interface: String,
    pub(crate) version: u32,
}

/// One output, as `wl_output` and `zxdg_output_v1` describe it.
#[derive(Debug)]
pub(crate) struct Output {
    /// The registry name of its global.
    pub(crate) global: u32,
    pub(crate) proxy: WlOutput,
    pub(crate) xdg: Option<ZxdgOutputV1>,
    /// `wl_output.name` (version 4) or `zxdg_output_v1.name`: `HEADLESS-1`, `DP-1`; made
    /// [`printable`] as it arrives, as are the description, make and model.
    pub(crate) name: Option<String>,
    /// `wl_output.description` or `zxdg_output_v1.description`.
    pub(crate) description: Option<String>,
    pub(crate) make: Option<String>,
    pub(crate) model: Option<String>,
    /// The current mode, in physical pixels, and its refresh rate in mHz.
    pub(crate) mode: Option<(i32, i32, i32)>,
    /// `wl_output.geometry`'s position (the compositor's space, before xdg-output).
    pub(crate) position: (i32, i32),
    pub(crate) scale: i32,
    pub(crate) transform: Transform,
    /// `zxdg_output_v1.logical_position` and `logical_size`.
    pub(crate) logical_position: Option<(i32, i32)>,
    pub(crate) logical_size: Option<(i32, i32)>,
    /// The global was removed (the monitor was unplugged).
    pub(crate) removed: bool,
}

impl Output {
    fn new(global: u32, proxy: WlOutput) -> Self {
        Self {
            global,
            proxy,
            xdg: None,
            name: None,
            description: None,
            make: None,
            model: None,
            mode: None,
            position: (0, 0),
            scale: 1,
            transform: Transform::Normal,
            logical_position: None,
            logical_size: None,
            removed: false,
        }
    }
}

/// A screencopy frame under way. However many events the compositor sends, what is kept is
/// bounded (see `limit.rs`).
#[derive(Debug, Default)]
pub(crate) struct FrameState {
    /// The shared-memory layouts offered (`buffer` events).
    pub(crate) offers: Offers,
    /// `buffer_done` came (version 3): every layout is known.
    pub(crate) buffer_done: bool,
    /// The image is upside down (`flags` with `y_invert`).
    pub(crate) y_invert: bool,
    /// Damaged rectangles (`copy_with_damage`), in the output's device pixels.
    pub(crate) damage: Damage,
    /// `ready` came: the buffer holds the image.
    pub(crate) ready: bool,
    /// `failed` came.
    pub(crate) failed: bool,
}

/// Everything the event handlers keep.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) globals: Vec<Global>,
    pub(crate) shm: Option<WlShm>,
    pub(crate) screencopy: Option<ZwlrScreencopyManagerV1>,
    pub(crate) xdg_output_manager: Option<ZxdgOutputManagerV1>,
    pub(crate) outputs: Vec<Output>,
    /// What the frames under way said, by the key they were created with (the screencopy
    /// engine holds the frame objects).
    pub(crate) frames: HashMap<u64, FrameState>,
    /// The most layouts and damage rectangles one frame has held at once (a diagnostic:
    /// `WaylandCapture::most_frame_events_kept`).
    pub(crate) most_frame_events_kept: usize,
}

impl State {
    /// The output bound from global `global`.
    fn output_mut(&mut self, global: u32) -> Option<&mut Output> {
        self.outputs
            .iter_mut()
            .find(|output| output.global == global)
    }

    /// Keeps `global`: in place of one of the same name, else added unless [`MAX_GLOBALS`]
    /// are kept already (a compositor announcing globals without end cannot grow the list).
    /// `false` when it was ignored.
    fn keep_global(&mut self, global: Global) -> bool {
        if let Some(kept) = self
            .globals
            .iter_mut()
            .find(|kept| kept.name == global.name)
        {
            *kept = global;
        } else if self.globals.len() < MAX_GLOBALS {
            self.globals.push(global);
        } else {
            return false;
        }
        true
    }

    /// Binds a `wl_output` global (and its xdg-output, when the manager is bound).
    pub(crate) fn bind_output(
        &mut self,
        registry: &WlRegistry,
        global: &Global,
        qh: &QueueHandle<Self>,
    ) {
        let proxy: WlOutput = registry.bind(global.name, global.version.min(4), qh, global.name);
        let mut output = Output::new(global.name, proxy);
        if let Some(manager) = &self.xdg_output_manager {
            output.xdg = Some(manager.get_xdg_output(&output.proxy, qh, global.name));
        }
        self.outputs.push(output);
    }
}

impl Dispatch<WlRegistry, ()> for State {
    fn event(
        state: &mut Self,
        registry: &WlRegistry,
        event: wl_registry::Event,
        (): &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        match event {
            wl_registry::Event::Global {
                name,
                interface,
                version,
            } => {
                let global = Global {
                    name,
                    interface,
                    version,
                };
                // Outputs plugged in after the start are bound as they come (once each, and
                // only while globals are kept); the rest is bound once, by `Wayland::open`.
                let new_output = global.interface == "wl_output"
                    && state.shm.is_some()
                    && state.output_mut(global.name).is_none();
                if state.keep_global(global.clone()) && new_output {
                    state.bind_output(registry, &global, qh);
                }
            }
            wl_registry::Event::GlobalRemove { name } => {
                state.globals.retain(|global| global.name != name);
                if let Some(output) = state.output_mut(name) {
                    output.removed = true;
                }
            }
            _ => {}
        }
    }
}

impl Dispatch<WlOutput, u32> for State {
    fn event(
        state: &mut Self,
        _: &WlOutput,
        event: wl_output::Event,
        global: &u32,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let Some(output) = state.output_mut(*global) else {
            return;
        };
        match event {
            wl_output::Event::Geometry {
                x,
                y,
                make,
                model,
                transform,
                ..
            } => {
                output.position = (x, y);
                output.make = Some(printable(&make));
                output.model = Some(printable(&model));
                if let WEnum::Value(transform) = transform {
                    output.transform = transform;
                }
            }
            wl_output::Event::Mode {
                flags,
                width,
                height,
                refresh,
            } => {
                let current = matches!(flags, WEnum::Value(flags) if flags.contains(wl_output::Mode::Current));
                if current {
                    output.mode = Some((width, height, refresh));
                }
            }
            wl_output::Event::Scale { factor } => output.scale = factor,
            wl_output::Event::Name { name } => output.name = Some(printable(&name)),
            wl_output::Event::Description { description } => {
                output.description = Some(printable(&description));
            }
            _ => {}
        }
    }
}

impl Dispatch<ZxdgOutputV1, u32> for State {
    fn event(
        state: &mut Self,
        _: &ZxdgOutputV1,
        event: zxdg_output_v1::Event,
        global: &u32,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let Some(output) = state.output_mut(*global) else {
            return;
        };
        match event {
            zxdg_output_v1::Event::LogicalPosition { x, y } => {
                output.logical_position = Some((x, y));
            }
            zxdg_output_v1::Event::LogicalSize { width, height } => {
                output.logical_size = Some((width, height));
            }
            // wl_output's own name and description (version 4) win over xdg-output's.
            zxdg_output_v1::Event::Name { name } => {
                output.name.get_or_insert_with(|| printable(&name));
            }
            zxdg_output_v1::Event::Description { description } => {
                output
                    .description
                    .get_or_insert_with(|| printable(&description));
            }
            _ => {}
        }
    }
}

impl Dispatch<ZwlrScreencopyFrameV1, u64> for State {
    fn event(
        state: &mut Self,
        _: &ZwlrScreencopyFrameV1,
        event: zwlr_screencopy_frame_v1::Event,
        key: &u64,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let Some(frame) = state.frames.get_mut(key) else {
            return;
        };
        match event {
            zwlr_screencopy_frame_v1::Event::Buffer {
                format,
                width,
                height,
                stride,
            } => frame.offers.offer(BufferLayout {
                format,
                width,
                height,
                stride,
            }),
            zwlr_screencopy_frame_v1::Event::BufferDone => frame.buffer_done = true,
            zwlr_screencopy_frame_v1::Event::Flags { flags } => {
                frame.y_invert = matches!(flags, WEnum::Value(flags) if flags.contains(zwlr_screencopy_frame_v1::Flags::YInvert));
            }
            zwlr_screencopy_frame_v1::Event::Damage {
                x,
                y,
                width,
                height,
            } => frame.damage.add(x, y, width, height),
            zwlr_screencopy_frame_v1::Event::Ready { .. } => frame.ready = true,
            zwlr_screencopy_frame_v1::Event::Failed => frame.failed = true,
            _ => {}
        }
        let kept = frame.offers.kept() + frame.damage.len();
        state.most_frame_events_kept = state.most_frame_events_kept.max(kept);
    }
}

impl Dispatch<WlCallback, Arc<AtomicBool>> for State {
    fn event(
        _: &mut Self,
        _: &WlCallback,
        event: wl_callback::Event,
        done: &Arc<AtomicBool>,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_callback::Event::Done { .. } = event {
            done.store(true, Ordering::SeqCst);
        }
    }
}

/// Objects with no events worth reading.
macro_rules! ignore_events {
    ($($proxy:ty),* $(,)?) => {$(
        impl Dispatch<$proxy, ()> for State {
            fn event(
                _: &mut Self,
                _: &$proxy,
                _: <$proxy as wayland_client::Proxy>::Event,
                (): &(),
                _: &Connection,
                _: &QueueHandle<Self>,
            ) {
            }
        }
    )*};
}

ignore_events!(
    // The formats wl_shm announces are not kept: a frame's own layouts say what it takes.
    WlShm,
    ZwlrScreencopyManagerV1,
    ZxdgOutputManagerV1,
    WlShmPool,
    WlBuffer,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn global(name: u32, interface: &str) -> Global {
        Global {
            name,
            interface: interface.to_owned(),
            version: 1,
        }
    }

    #[test]
    fn globals_announced_again_replace_the_first_and_past_the_limit_are_ignored() {
        let mut state = State::default();
        for name in 0..10_000 {
            let kept = state.keep_global(global(name, "wl_output"));
            assert_eq!(kept, (name as usize) < MAX_GLOBALS, "global {name}");
        }
        assert_eq!(state.globals.len(), MAX_GLOBALS);
        // The same name again: replaced in place, even at the limit.
        assert!(state.keep_global(global(3, "wl_seat")));
        assert_eq!(state.globals.len(), MAX_GLOBALS);
        assert_eq!(state.globals[3], global(3, "wl_seat"));
    }
}
