//! Reading a pointer image from an Xcursor theme file: the independent reference a test
//! compares a compositor's pointer with.
//!
//! A compositor that draws the theme's pointer (mutter loads it with libXcursor) shows the
//! image of the file, so a backend that reads the pointer must give exactly its pixels, size
//! and hot spot. The format (Xcursor(3)): a header (`Xcur`, header size, version, count of
//! entries), a table of entries (type, subtype, position), and image chunks (header size,
//! type `0xfffd0002`, nominal size, version, width, height, hot spot x and y, delay, then
//! `width * height` 32-bit premultiplied ARGB pixels, little endian). libXcursor takes the
//! images of the nominal size nearest the size asked for; a still pointer has one.

use std::path::{Path, PathBuf};

/// The test kit's mutter's pointer theme (its settings name it).
pub const MUTTER_THEME: &str = "Adwaita";
/// The test kit's mutter's pointer size (its settings name it).
pub const MUTTER_SIZE: u32 = 24;

/// The Xcursor entry type of an image.
const IMAGE_TYPE: u32 = 0xfffd_0002;

/// One pointer image of a theme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XcursorImage {
    /// Its nominal size (the size asked for that chose it).
    pub nominal_size: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The hot spot within the image.
    pub hotspot: (u32, u32),
    /// Premultiplied ARGB words, row by row (mss-core's cursor layout).
    pub pixels: Vec<u32>,
}

/// The file of pointer `name` in the installed theme `theme` (`/usr/share/icons/THEME/cursors/NAME`).
pub fn theme_file(theme: &str, name: &str) -> PathBuf {
    Path::new("/usr/share/icons")
        .join(theme)
        .join("cursors")
        .join(name)
}

/// The image of the test kit's mutter's default pointer over the desktop (mutter's
/// `left_ptr` of [`MUTTER_THEME`] at [`MUTTER_SIZE`]), as mutter shows it and sends it as
/// cursor metadata.
///
/// mutter 43 hands the file's pixels, premultiplied already, to Cogl as straight alpha
/// (`COGL_PIXEL_FORMAT_BGRA_8888` in `meta-cursor-sprite-xcursor.c`), and Cogl premultiplies
/// a texture's pixels when it uploads them: so the pointer mutter draws and sends has its
/// colours multiplied by alpha twice ([`XcursorImage::multiplied_by_alpha`]). Opaque and
/// fully transparent pixels are the file's; the arrow's antialiased edge and shadow come out
/// darker.
///
/// # Errors
///
/// As [`read_image`], saying to install the theme's package (`adwaita-icon-theme`, which
/// `cargo xtask test` installs).
pub fn mutter_default_pointer() -> Result<XcursorImage, String> {
    let path = theme_file(MUTTER_THEME, "left_ptr");
    read_image(&path, MUTTER_SIZE)
        .map(|image| image.multiplied_by_alpha())
        .map_err(|error| {
            format!("{error} (the theme comes with adwaita-icon-theme: run `cargo xtask test`)")
        })
}

impl XcursorImage {
    /// The image with each colour channel multiplied by its pixel's alpha (rounded to
    /// nearest), as Cogl premultiplies a texture given as straight alpha.
    #[must_use]
    pub fn multiplied_by_alpha(&self) -> Self {
        let pixels = self
            .pixels
            .iter()
            .map(|&pixel| {
                let [blue, green, red, alpha] = pixel.to_le_bytes();
                let times = |channel: u8| {
                    // 255 is odd, so a product over 255 is never exactly halfway.
                    ((u32::from(channel) * u32::from(alpha) + 127) / 255) as u8
                };
                u32::from_le_bytes([times(blue), times(green), times(red), alpha])
            })
            .collect();
        Self {
            pixels,
            ..self.clone()
        }
    }
}

/// The first image of the nominal size nearest `size` in the Xcursor file at `path`.
///
/// # Errors
///
/// The file cannot be read, is not an Xcursor file, or holds no image that fits it.
pub fn read_image(path: &Path, size: u32) -> Result<XcursorImage, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
    parse(&bytes, size).map_err(|error| format!("{}: {error}", path.display()))
}

fn u32_at(bytes: &[u8], offset: usize) -> Result<u32, String> {
    offset
        .checked_add(4)
        .and_then(|end| bytes.get(offset..end))
        .map(|word| u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
        .ok_or_else(|| format!("the file ends before byte {}", offset + 4))
}

/// Parses an Xcursor file's bytes (see [`read_image`]).
///
/// # Errors
///
/// As [`read_image`].
pub fn parse(bytes: &[u8], size: u32) -> Result<XcursorImage, String> {
    if bytes.get(..4) != Some(b"Xcur") {
        return Err("not an Xcursor file (no `Xcur` at its start)".to_owned());
    }
    let header = u32_at(bytes, 4)? as usize;
    let entries = u32_at(bytes, 12)? as usize;
    let table = (0..entries)
        .map(|index| {
            let at = header + index * 12;
            Ok((
                u32_at(bytes, at)?,
                u32_at(bytes, at + 4)?,
                u32_at(bytes, at + 8)?,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let best = table
        .iter()
        .filter(|(kind, _, _)| *kind == IMAGE_TYPE)
        .min_by_key(|(_, nominal, _)| nominal.abs_diff(size))
        .ok_or("no image in the file")?;
    let (_, nominal, position) = *best;
    let at = position as usize;
    if u32_at(bytes, at + 4)? != IMAGE_TYPE || u32_at(bytes, at + 8)? != nominal {
        return Err(format!(
            "the image at byte {at} is not the one its entry names"
        ));
    }
    let chunk_header = u32_at(bytes, at)? as usize;
    let (width, height) = (u32_at(bytes, at + 16)?, u32_at(bytes, at + 20)?);
    let hotspot = (u32_at(bytes, at + 24)?, u32_at(bytes, at + 28)?);
    if width == 0 || height == 0 || width > 0x7fff || height > 0x7fff {
        return Err(format!("an image of {width}x{height} pixels"));
    }
    let pixels = (0..width as usize * height as usize)
        .map(|index| u32_at(bytes, at + chunk_header + index * 4))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(XcursorImage {
        nominal_size: nominal,
        width,
        height,
        hotspot,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Xcursor file of `images`.
    fn file(images: &[XcursorImage]) -> Vec<u8> {
        let mut bytes = Vec::new();
        let words = |bytes: &mut Vec<u8>, values: &[u32]| {
            for value in values {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        };
        words(&mut bytes, &[u32::from_le_bytes(*b"Xcur"), 16, 0x1_0000]);
        words(&mut bytes, &[images.len() as u32]);
        let mut position = 16 + 12 * images.len() as u32;
        for image in images {
            words(&mut bytes, &[IMAGE_TYPE, image.nominal_size, position]);
            position += 36 + 4 * image.width * image.height;
        }
        for image in images {
            let (x, y) = image.hotspot;
            words(
                &mut bytes,
                &[
                    36,
                    IMAGE_TYPE,
                    image.nominal_size,
                    1,
                    image.width,
                    image.height,
                    x,
                    y,
                    0,
                ],
            );
            words(&mut bytes, &image.pixels);
        }
        bytes
    }

    fn image(nominal_size: u32, width: u32, hotspot: (u32, u32), pixels: &[u32]) -> XcursorImage {
        XcursorImage {
            nominal_size,
            width,
            height: pixels.len() as u32 / width,
            hotspot,
            pixels: pixels.to_vec(),
        }
    }

    #[test]
    fn the_image_of_the_nearest_nominal_size_is_read() {
        let wanted = image(24, 2, (1, 0), &[0x8080_8080, 0xFFFF_FFFF]);
        let bytes = file(&[
            image(16, 1, (0, 0), &[0xFF00_0000]),
            wanted.clone(),
            image(32, 1, (0, 0), &[0]),
        ]);
        assert_eq!(parse(&bytes, 24).unwrap(), wanted);
        assert_eq!(parse(&bytes, 18).unwrap().nominal_size, 16);
        assert_eq!(parse(&bytes, 100).unwrap().nominal_size, 32);
    }

    #[test]
    fn multiplying_by_alpha_rounds_to_nearest_and_keeps_alpha() {
        let image = XcursorImage {
            nominal_size: 1,
            width: 4,
            height: 1,
            hotspot: (0, 0),
            pixels: vec![0x988E_8E8E, 0xFFFF_FFFF, 0, 0x8040_2010],
        };
        // 0x8E * 0x98 / 255 = 84.6; 0x40 * 0x80 / 255 = 32.1; 0x20 * 0x80 / 255 = 16.06;
        // 0x10 * 0x80 / 255 = 8.03.
        assert_eq!(
            image.multiplied_by_alpha().pixels,
            [0x9855_5555, 0xFFFF_FFFF, 0, 0x8020_1008]
        );
    }

    #[test]
    fn a_file_that_is_not_whole_is_refused() {
        let bytes = file(&[image(24, 2, (0, 0), &[1, 2, 3, 4])]);
        assert!(
            parse(&bytes[..bytes.len() - 1], 24)
                .unwrap_err()
                .contains("ends")
        );
        assert!(
            parse(b"XCUR", 24)
                .unwrap_err()
                .contains("not an Xcursor file")
        );
        assert!(parse(&file(&[]), 24).unwrap_err().contains("no image"));
    }

    #[test]
    fn the_installed_default_pointer_is_read() {
        // The theme the test kit's mutter uses: what the pipewire backend's pointer tests
        // compare with.
        let image = read_image(&theme_file(MUTTER_THEME, "left_ptr"), MUTTER_SIZE).unwrap();
        assert_eq!(image.nominal_size, MUTTER_SIZE);
        assert_eq!(image.pixels.len(), (image.width * image.height) as usize);
        assert!(image.hotspot.0 < image.width && image.hotspot.1 < image.height);
        assert!(image.pixels.iter().any(|pixel| pixel >> 24 == 0xFF));
    }
}
