//! Building `pw_properties` from Rust strings.

use std::ffi::CString;

use crate::error::PipeWireError;
use crate::library::PipeWire;
use crate::sys;

/// A `pw_properties` this crate made and owns until it hands it to a call that takes it.
pub(crate) struct Properties {
    pipewire: PipeWire,
    raw: *mut sys::pw_properties,
}

impl Properties {
    /// New properties holding `pairs` (key, value), or `None` for no pairs (null, which every
    /// call taking properties accepts).
    pub(crate) fn new(
        pipewire: PipeWire,
        pairs: &[(&str, &str)],
    ) -> Result<Option<Self>, PipeWireError> {
        if pairs.is_empty() {
            return Ok(None);
        }
        let strings = pairs
            .iter()
            .map(|(key, value)| {
                let c = |what, text: &str| {
                    CString::new(text).map_err(|_| PipeWireError::Nul {
                        what,
                        text: text.to_owned(),
                    })
                };
                Ok((c("a property key", key)?, c("a property value", value)?))
            })
            .collect::<Result<Vec<_>, PipeWireError>>()?;
        let items: Vec<sys::spa_dict_item> = strings
            .iter()
            .map(|(key, value)| sys::spa_dict_item {
                key: key.as_ptr(),
                value: value.as_ptr(),
            })
            .collect();
        let dict = sys::spa_dict {
            flags: 0,
            n_items: items.len() as u32,
            items: items.as_ptr(),
        };
        // SAFETY: `dict` points to `items.len()` items whose keys and values are
        // NUL-terminated strings; all of them outlive the call, which copies every string.
        let raw = unsafe { (pipewire.api().pw_properties_new_dict)(&dict) };
        if raw.is_null() {
            return Err(PipeWireError::from_errno("pw_properties_new_dict"));
        }
        Ok(Some(Self { pipewire, raw }))
    }

    /// Gives the properties to a call that takes ownership of them.
    pub(crate) fn into_raw(self) -> *mut sys::pw_properties {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    /// The value of `key`, read back through libpipewire (for the layout test).
    #[cfg(test)]
    fn get(&self, key: &str) -> Option<String> {
        let key = CString::new(key).ok()?;
        // SAFETY: `raw` is live properties and `key` a NUL-terminated string; the returned
        // pointer, when not null, is a NUL-terminated string owned by the properties, read
        // here before they can change or be freed.
        unsafe {
            let value = (self.pipewire.api().pw_properties_get)(self.raw, key.as_ptr());
            (!value.is_null()).then(|| {
                std::ffi::CStr::from_ptr(value)
                    .to_string_lossy()
                    .into_owned()
            })
        }
    }

    /// How many items the properties' dictionary has, read through this crate's
    /// `spa_dict` layout.
    #[cfg(test)]
    fn len(&self) -> u32 {
        // SAFETY: `raw` is live properties, which start with a `spa_dict` (`sys::pw_properties`).
        unsafe { (*self.raw).dict.n_items }
    }
}

impl Drop for Properties {
    fn drop(&mut self) {
        // SAFETY: `raw` was made by `pw_properties_new_dict` and not given away (`into_raw`
        // forgets the value), so it is freed once, here.
        unsafe { (self.pipewire.api().pw_properties_free)(self.raw) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A round trip through libpipewire: it reads our `spa_dict` and `spa_dict_item` layouts
    /// to copy the pairs, and we read its `pw_properties` back, so a wrong size or offset on
    /// either side shows as a wrong value or count.
    #[test]
    fn properties_survive_a_round_trip_through_libpipewire() {
        let pipewire = PipeWire::load().unwrap();
        let pairs = [
            ("media.type", "Video"),
            ("media.category", "Capture"),
            ("media.role", "Screen"),
            ("node.name", "mss-test ünïcode"),
        ];
        let properties = Properties::new(pipewire, &pairs).unwrap().unwrap();
        assert_eq!(properties.len(), 4);
        for (key, value) in pairs {
            assert_eq!(properties.get(key).as_deref(), Some(value), "{key}");
        }
        assert_eq!(properties.get("node.description"), None);
        assert!(Properties::new(pipewire, &[]).unwrap().is_none());
        assert!(matches!(
            Properties::new(pipewire, &[("a\0b", "c")]),
            Err(PipeWireError::Nul { .. })
        ));
    }
}
