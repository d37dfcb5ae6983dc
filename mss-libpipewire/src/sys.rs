//! The C interface used, written by hand from PipeWire 0.3.65's headers (`pipewire/*.h`,
//! `spa/buffer/*.h`, `spa/utils/{hook,dict}.h`,
//! `spa/support/loop.h`): only the structures and functions this crate
//! calls. Every layout below is asserted at compile time against the sizes and offsets the
//! C compiler gives for those headers on x86-64 and aarch64 (LP64), so a mistake fails the
//! build; PipeWire keeps these structures ABI-stable within 0.3 (new fields only at the end
//! of structures the library allocates, such as `pw_buffer`, whose first fields are all this
//! crate reads).
#![allow(non_camel_case_types, missing_docs)]

use std::ffi::{c_char, c_int, c_void};
use std::mem::{offset_of, size_of};

/// Opaque objects.
#[repr(C)]
pub struct pw_thread_loop {
    _private: [u8; 0],
}
/// `struct pw_loop`: its public fields are the interfaces of the loop it wraps.
#[repr(C)]
pub struct pw_loop {
    pub system: *mut c_void,
    /// A `struct spa_loop`, whose only field is its interface.
    pub loop_: *mut spa_interface,
    pub control: *mut c_void,
    /// A `struct spa_loop_utils`, whose only field is its interface.
    pub utils: *mut spa_interface,
}
/// `struct spa_interface`: a type name, a version and the methods with their object.
#[repr(C)]
pub struct spa_interface {
    pub type_: *const c_char,
    pub version: u32,
    pub cb: spa_callbacks,
}
#[repr(C)]
pub struct spa_source {
    _private: [u8; 0],
}
/// `spa_invoke_func_t`.
pub type spa_invoke_func_t = Option<
    unsafe extern "C" fn(*mut c_void, bool, u32, *const c_void, usize, *mut c_void) -> c_int,
>;
/// `spa_source_event_func_t`.
pub type spa_source_event_func_t = Option<unsafe extern "C" fn(*mut c_void, u64)>;
/// `struct spa_loop_methods` (version 0): only `invoke` is called.
#[repr(C)]
pub struct spa_loop_methods {
    pub version: u32,
    pub add_source: *const c_void,
    pub update_source: *const c_void,
    pub remove_source: *const c_void,
    pub invoke: Option<
        unsafe extern "C" fn(
            *mut c_void,
            spa_invoke_func_t,
            u32,
            *const c_void,
            usize,
            bool,
            *mut c_void,
        ) -> c_int,
    >,
}
/// `struct spa_loop_utils_methods` (version 0): only the event sources' methods are called.
#[repr(C)]
pub struct spa_loop_utils_methods {
    pub version: u32,
    pub add_io: *const c_void,
    pub update_io: *const c_void,
    pub add_idle: *const c_void,
    pub enable_idle: *const c_void,
    pub add_event: Option<
        unsafe extern "C" fn(*mut c_void, spa_source_event_func_t, *mut c_void) -> *mut spa_source,
    >,
    pub signal_event: Option<unsafe extern "C" fn(*mut c_void, *mut spa_source) -> c_int>,
    pub add_timer: *const c_void,
    pub update_timer: *const c_void,
    pub add_signal: *const c_void,
    pub destroy_source: Option<unsafe extern "C" fn(*mut c_void, *mut spa_source)>,
}
#[repr(C)]
pub struct pw_context {
    _private: [u8; 0],
}
#[repr(C)]
pub struct pw_core {
    _private: [u8; 0],
}
#[repr(C)]
pub struct pw_stream {
    _private: [u8; 0],
}
#[repr(C)]
pub struct pw_properties {
    pub dict: spa_dict,
    pub flags: u32,
}
#[repr(C)]
pub struct spa_pod {
    pub size: u32,
    pub type_: u32,
}

/// `struct spa_list`.
#[repr(C)]
pub struct spa_list {
    pub next: *mut spa_list,
    pub prev: *mut spa_list,
}

/// `struct spa_callbacks`.
#[repr(C)]
pub struct spa_callbacks {
    pub funcs: *const c_void,
    pub data: *mut c_void,
}

/// `struct spa_hook`: a listener, linked into the emitter's list while registered.
#[repr(C)]
pub struct spa_hook {
    pub link: spa_list,
    pub cb: spa_callbacks,
    pub removed: Option<unsafe extern "C" fn(*mut spa_hook)>,
    pub priv_: *mut c_void,
}

impl spa_hook {
    /// A hook of null pointers, as `spa_zero` leaves it before `*_add_listener`.
    pub const fn zeroed() -> Self {
        Self {
            link: spa_list {
                next: std::ptr::null_mut(),
                prev: std::ptr::null_mut(),
            },
            cb: spa_callbacks {
                funcs: std::ptr::null(),
                data: std::ptr::null_mut(),
            },
            removed: None,
            priv_: std::ptr::null_mut(),
        }
    }
}

/// `struct spa_dict_item`.
#[repr(C)]
pub struct spa_dict_item {
    pub key: *const c_char,
    pub value: *const c_char,
}

/// `struct spa_dict`.
#[repr(C)]
pub struct spa_dict {
    pub flags: u32,
    pub n_items: u32,
    pub items: *const spa_dict_item,
}

/// `struct pw_buffer` (its first fields; the library allocates it and may append more).
#[repr(C)]
pub struct pw_buffer {
    pub buffer: *mut spa_buffer,
    pub user_data: *mut c_void,
    pub size: u64,
    pub requested: u64,
}

/// `struct spa_buffer`.
#[repr(C)]
pub struct spa_buffer {
    pub n_metas: u32,
    pub n_datas: u32,
    pub metas: *mut spa_meta,
    pub datas: *mut spa_data,
}

/// `struct spa_meta`.
#[repr(C)]
pub struct spa_meta {
    pub type_: u32,
    pub size: u32,
    pub data: *mut c_void,
}

/// `struct spa_data`.
#[repr(C)]
pub struct spa_data {
    pub type_: u32,
    pub flags: u32,
    pub fd: i64,
    pub mapoffset: u32,
    pub maxsize: u32,
    pub data: *mut c_void,
    pub chunk: *mut spa_chunk,
}

/// `struct spa_chunk`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spa_chunk {
    pub offset: u32,
    pub size: u32,
    pub stride: i32,
    pub flags: i32,
}

/// `struct spa_meta_header`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spa_meta_header {
    pub flags: u32,
    pub offset: u32,
    pub pts: i64,
    pub dts_offset: i64,
    pub seq: u64,
}

/// `struct spa_meta_region` (one `struct spa_region`: position, then size).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spa_meta_region {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// `struct spa_meta_cursor`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spa_meta_cursor {
    pub id: u32,
    pub flags: u32,
    pub position_x: i32,
    pub position_y: i32,
    pub hotspot_x: i32,
    pub hotspot_y: i32,
    pub bitmap_offset: u32,
}

/// `struct spa_meta_bitmap`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spa_meta_bitmap {
    pub format: u32,
    pub width: u32,
    pub height: u32,
    pub stride: i32,
    pub offset: u32,
}

/// `struct pw_stream_events`, version 2 (0.3.40 and later).
#[repr(C)]
pub struct pw_stream_events {
    pub version: u32,
    pub destroy: Option<unsafe extern "C" fn(*mut c_void)>,
    pub state_changed: Option<unsafe extern "C" fn(*mut c_void, c_int, c_int, *const c_char)>,
    pub control_info: Option<unsafe extern "C" fn(*mut c_void, u32, *const c_void)>,
    pub io_changed: Option<unsafe extern "C" fn(*mut c_void, u32, *mut c_void, u32)>,
    pub param_changed: Option<unsafe extern "C" fn(*mut c_void, u32, *const spa_pod)>,
    pub add_buffer: Option<unsafe extern "C" fn(*mut c_void, *mut pw_buffer)>,
    pub remove_buffer: Option<unsafe extern "C" fn(*mut c_void, *mut pw_buffer)>,
    pub process: Option<unsafe extern "C" fn(*mut c_void)>,
    pub drained: Option<unsafe extern "C" fn(*mut c_void)>,
    pub command: Option<unsafe extern "C" fn(*mut c_void, *const c_void)>,
    pub trigger_done: Option<unsafe extern "C" fn(*mut c_void)>,
}

/// `PW_VERSION_STREAM_EVENTS`.
pub const PW_VERSION_STREAM_EVENTS: u32 = 2;
/// `PW_DIRECTION_INPUT`.
pub const PW_DIRECTION_INPUT: c_int = 0;
/// `PW_ID_ANY`.
pub const PW_ID_ANY: u32 = u32::MAX;
/// `SPA_PARAM_Format`.
pub const SPA_PARAM_FORMAT: u32 = 4;
/// `SPA_META_*`.
pub const SPA_META_HEADER: u32 = 1;
pub const SPA_META_VIDEO_CROP: u32 = 2;
pub const SPA_META_VIDEO_DAMAGE: u32 = 3;
pub const SPA_META_CURSOR: u32 = 5;
/// `SPA_DATA_MemFd` and `SPA_DATA_DmaBuf`: the data types that carry a file descriptor.
pub const SPA_DATA_MEM_FD: u32 = 2;
pub const SPA_DATA_DMA_BUF: u32 = 3;

// The layouts, checked against the C compiler's answers for PipeWire 0.3.65's headers
// (`sizeof` and `offsetof` of each structure, LP64).
const _: () = {
    assert!(size_of::<spa_hook>() == 48);
    assert!(offset_of!(spa_hook, cb) == 16);
    assert!(offset_of!(spa_hook, removed) == 32);
    assert!(offset_of!(spa_hook, priv_) == 40);
    assert!(size_of::<spa_dict>() == 16);
    assert!(offset_of!(spa_dict, n_items) == 4);
    assert!(offset_of!(spa_dict, items) == 8);
    assert!(size_of::<spa_dict_item>() == 16);
    assert!(offset_of!(spa_dict_item, value) == 8);
    assert!(size_of::<pw_buffer>() == 32);
    assert!(offset_of!(pw_buffer, user_data) == 8);
    assert!(size_of::<pw_stream_events>() == 96);
    assert!(offset_of!(pw_stream_events, state_changed) == 16);
    assert!(offset_of!(pw_stream_events, param_changed) == 40);
    assert!(offset_of!(pw_stream_events, add_buffer) == 48);
    assert!(offset_of!(pw_stream_events, remove_buffer) == 56);
    assert!(offset_of!(pw_stream_events, process) == 64);
    assert!(offset_of!(pw_stream_events, trigger_done) == 88);
    assert!(size_of::<spa_buffer>() == 24);
    assert!(offset_of!(spa_buffer, metas) == 8);
    assert!(offset_of!(spa_buffer, datas) == 16);
    assert!(size_of::<spa_meta>() == 16);
    assert!(offset_of!(spa_meta, data) == 8);
    assert!(size_of::<spa_data>() == 40);
    assert!(offset_of!(spa_data, fd) == 8);
    assert!(offset_of!(spa_data, mapoffset) == 16);
    assert!(offset_of!(spa_data, maxsize) == 20);
    assert!(offset_of!(spa_data, data) == 24);
    assert!(offset_of!(spa_data, chunk) == 32);
    assert!(size_of::<spa_chunk>() == 16);
    assert!(offset_of!(spa_chunk, stride) == 8);
    assert!(size_of::<spa_meta_header>() == 32);
    assert!(offset_of!(spa_meta_header, pts) == 8);
    assert!(offset_of!(spa_meta_header, seq) == 24);
    assert!(size_of::<spa_meta_region>() == 16);
    assert!(offset_of!(spa_meta_region, width) == 8);
    assert!(size_of::<spa_meta_cursor>() == 28);
    assert!(offset_of!(spa_meta_cursor, position_x) == 8);
    assert!(offset_of!(spa_meta_cursor, hotspot_x) == 16);
    assert!(offset_of!(spa_meta_cursor, bitmap_offset) == 24);
    assert!(size_of::<spa_meta_bitmap>() == 20);
    assert!(offset_of!(spa_meta_bitmap, width) == 4);
    assert!(offset_of!(spa_meta_bitmap, stride) == 12);
    assert!(offset_of!(spa_meta_bitmap, offset) == 16);
    assert!(offset_of!(pw_properties, flags) == 16);
    assert!(size_of::<pw_loop>() == 32);
    assert!(offset_of!(pw_loop, loop_) == 8);
    assert!(offset_of!(pw_loop, utils) == 24);
    assert!(size_of::<spa_interface>() == 32);
    assert!(offset_of!(spa_interface, cb) == 16);
    assert!(offset_of!(spa_loop_methods, invoke) == 32);
    assert!(offset_of!(spa_loop_utils_methods, add_event) == 40);
    assert!(offset_of!(spa_loop_utils_methods, signal_event) == 48);
    assert!(offset_of!(spa_loop_utils_methods, destroy_source) == 80);
};

/// The functions of libpipewire-0.3 this crate calls, resolved once from the loaded library.
#[allow(clippy::type_complexity)]
pub struct Api {
    pub pw_init: unsafe extern "C" fn(*mut c_int, *mut *mut *mut c_char),
    pub pw_get_library_version: unsafe extern "C" fn() -> *const c_char,
    pub pw_thread_loop_new:
        unsafe extern "C" fn(*const c_char, *const spa_dict) -> *mut pw_thread_loop,
    pub pw_thread_loop_destroy: unsafe extern "C" fn(*mut pw_thread_loop),
    pub pw_thread_loop_start: unsafe extern "C" fn(*mut pw_thread_loop) -> c_int,
    pub pw_thread_loop_stop: unsafe extern "C" fn(*mut pw_thread_loop),
    pub pw_thread_loop_lock: unsafe extern "C" fn(*mut pw_thread_loop),
    pub pw_thread_loop_unlock: unsafe extern "C" fn(*mut pw_thread_loop),
    pub pw_thread_loop_get_loop: unsafe extern "C" fn(*mut pw_thread_loop) -> *mut pw_loop,
    pub pw_thread_loop_in_thread: unsafe extern "C" fn(*mut pw_thread_loop) -> bool,
    pub pw_context_new:
        unsafe extern "C" fn(*mut pw_loop, *mut pw_properties, usize) -> *mut pw_context,
    pub pw_context_destroy: unsafe extern "C" fn(*mut pw_context),
    pub pw_context_connect:
        unsafe extern "C" fn(*mut pw_context, *mut pw_properties, usize) -> *mut pw_core,
    pub pw_context_connect_fd:
        unsafe extern "C" fn(*mut pw_context, c_int, *mut pw_properties, usize) -> *mut pw_core,
    pub pw_core_disconnect: unsafe extern "C" fn(*mut pw_core) -> c_int,
    pub pw_properties_new_dict: unsafe extern "C" fn(*const spa_dict) -> *mut pw_properties,
    /// Only the layout test reads properties back.
    #[cfg_attr(not(test), allow(dead_code))]
    pub pw_properties_get:
        unsafe extern "C" fn(*const pw_properties, *const c_char) -> *const c_char,
    pub pw_properties_free: unsafe extern "C" fn(*mut pw_properties),
    pub pw_stream_new:
        unsafe extern "C" fn(*mut pw_core, *const c_char, *mut pw_properties) -> *mut pw_stream,
    pub pw_stream_destroy: unsafe extern "C" fn(*mut pw_stream),
    pub pw_stream_disconnect: unsafe extern "C" fn(*mut pw_stream) -> c_int,
    pub pw_stream_add_listener:
        unsafe extern "C" fn(*mut pw_stream, *mut spa_hook, *const pw_stream_events, *mut c_void),
    pub pw_stream_connect:
        unsafe extern "C" fn(*mut pw_stream, c_int, u32, u32, *mut *const spa_pod, u32) -> c_int,
    pub pw_stream_update_params:
        unsafe extern "C" fn(*mut pw_stream, *mut *const spa_pod, u32) -> c_int,
    pub pw_stream_get_node_id: unsafe extern "C" fn(*mut pw_stream) -> u32,
    pub pw_stream_dequeue_buffer: unsafe extern "C" fn(*mut pw_stream) -> *mut pw_buffer,
    pub pw_stream_queue_buffer: unsafe extern "C" fn(*mut pw_stream, *mut pw_buffer) -> c_int,
}
