//! The dozen libtiff 4.5 entry points the decoder uses, and a handle that reads from memory.
//!
//! Declared by hand: no maintained `-sys` crate covers libtiff 4.5's open options, and these few
//! signatures are stable C API.

// The one place photon-core calls C by hand: the handle's Drop and the callbacks' bounds checks
// keep the unsafety inside this file.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int, c_void};
use std::marker::PhantomData;
use std::ptr::NonNull;

#[repr(C)]
struct Tiff {
    _private: [u8; 0],
}

#[repr(C)]
struct TiffOpenOptions {
    _private: [u8; 0],
}

type Handle = *mut c_void;
/// `va_list` as a parameter: a pointer on x86-64 and AArch64 Linux, only handed on to vsnprintf.
type VaList = *mut c_void;
type ReadWriteProc = extern "C" fn(Handle, *mut c_void, isize) -> isize;
type SeekProc = extern "C" fn(Handle, u64, c_int) -> u64;
type CloseProc = extern "C" fn(Handle) -> c_int;
type SizeProc = extern "C" fn(Handle) -> u64;
type MapProc = extern "C" fn(Handle, *mut *mut c_void, *mut u64) -> c_int;
type UnmapProc = extern "C" fn(Handle, *mut c_void, u64);
type ErrorHandler =
    extern "C" fn(*mut Tiff, *mut c_void, *const c_char, *const c_char, VaList) -> c_int;

#[link(name = "tiff")]
unsafe extern "C" {
    fn TIFFOpenOptionsAlloc() -> *mut TiffOpenOptions;
    fn TIFFOpenOptionsFree(opts: *mut TiffOpenOptions);
    fn TIFFOpenOptionsSetMaxSingleMemAlloc(opts: *mut TiffOpenOptions, max: isize);
    fn TIFFOpenOptionsSetErrorHandlerExtR(
        opts: *mut TiffOpenOptions,
        handler: ErrorHandler,
        user: *mut c_void,
    );
    fn TIFFOpenOptionsSetWarningHandlerExtR(
        opts: *mut TiffOpenOptions,
        handler: ErrorHandler,
        user: *mut c_void,
    );
    #[allow(clippy::too_many_arguments)]
    fn TIFFClientOpenExt(
        name: *const c_char,
        mode: *const c_char,
        handle: Handle,
        read: ReadWriteProc,
        write: ReadWriteProc,
        seek: SeekProc,
        close: CloseProc,
        size: SizeProc,
        map: MapProc,
        unmap: UnmapProc,
        opts: *mut TiffOpenOptions,
    ) -> *mut Tiff;
    fn TIFFClose(tif: *mut Tiff);
    fn TIFFGetField(tif: *mut Tiff, tag: u32, ...) -> c_int;
    fn TIFFGetFieldDefaulted(tif: *mut Tiff, tag: u32, ...) -> c_int;
    fn TIFFRGBAImageOK(tif: *mut Tiff, message: *mut c_char) -> c_int;
    fn TIFFIsCODECConfigured(scheme: u16) -> c_int;
    fn TIFFIsTiled(tif: *mut Tiff) -> c_int;
    fn TIFFScanlineSize64(tif: *mut Tiff) -> u64;
    fn TIFFReadScanline(tif: *mut Tiff, buf: *mut c_void, row: u32, sample: u16) -> c_int;
    fn TIFFReadRGBAImageOriented(
        tif: *mut Tiff,
        width: u32,
        height: u32,
        raster: *mut u32,
        orientation: c_int,
        stop_on_error: c_int,
    ) -> c_int;
}

unsafe extern "C" {
    fn vsnprintf(buf: *mut c_char, size: usize, format: *const c_char, args: VaList) -> c_int;
}

const TAG_IMAGE_WIDTH: u32 = 256;
const TAG_IMAGE_LENGTH: u32 = 257;
const TAG_ORIENTATION: u32 = 274;
const TAG_BITS_PER_SAMPLE: u32 = 258;
const TAG_PHOTOMETRIC: u32 = 262;
const TAG_SAMPLES_PER_PIXEL: u32 = 277;
const TAG_SAMPLE_FORMAT: u32 = 339;
const TAG_PLANAR_CONFIG: u32 = 284;
const TAG_COMPRESSION: u32 = 259;

/// Why libtiff failed: its message, and what the reader saw happen, which is what classifies
/// the failure (libtiff's only report is text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    /// libtiff's first error message, or what the call that failed was.
    pub message: String,
    /// libtiff asked for bytes past the end of the data: the file is cut short.
    pub past_end: bool,
}

/// How the samples of a one-channel image are laid out, for [`TiffReader::read_grey_rows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct GreyLayout {
    /// Bits per sample, 1 to 32.
    pub bits: u16,
    /// Signed integers (SampleFormat 2) rather than unsigned.
    pub signed: bool,
    /// IEEE floating point (SampleFormat 3, 32-bit).
    pub float: bool,
    /// 0 is white (Photometric 0) rather than black.
    pub white_is_zero: bool,
}

/// The bytes libtiff reads through the client procedures, the first error it reported, and
/// whether it asked for bytes the data does not have.
struct Source<'a> {
    bytes: &'a [u8],
    at: u64,
    first_error: Option<String>,
    past_end: bool,
}

impl Source<'_> {
    /// The failure of a call: the first error libtiff reported, else `call`.
    fn failure(&mut self, call: impl FnOnce() -> String) -> Failure {
        Failure {
            message: self.first_error.take().unwrap_or_else(call),
            past_end: self.past_end,
        }
    }
}

/// An open TIFF read from a byte slice; closed on drop.
pub(super) struct TiffReader<'a> {
    tif: NonNull<Tiff>,
    /// Boxed so that the pointer libtiff holds stays put.
    source: Box<Source<'a>>,
    _bytes: PhantomData<&'a [u8]>,
}

impl<'a> TiffReader<'a> {
    /// Opens the first directory of the TIFF in `bytes`; no single allocation inside libtiff may
    /// exceed `max_alloc`.
    pub(super) fn open(bytes: &'a [u8], max_alloc: u64) -> Result<Self, Failure> {
        let mut source = Box::new(Source {
            bytes,
            at: 0,
            first_error: None,
            past_end: false,
        });
        let user = (&mut *source as *mut Source<'a>).cast::<c_void>();
        // SAFETY: the options are freed right after the open, which copies what it needs; the
        // callbacks get `user`, a boxed Source that outlives the handle (dropped after TIFFClose).
        let tif = unsafe {
            let opts = TIFFOpenOptionsAlloc();
            if opts.is_null() {
                return Err(source.failure(|| "libtiff could not allocate its open options".into()));
            }
            TIFFOpenOptionsSetMaxSingleMemAlloc(
                opts,
                isize::try_from(max_alloc).unwrap_or(isize::MAX),
            );
            TIFFOpenOptionsSetErrorHandlerExtR(opts, record_error, user);
            TIFFOpenOptionsSetWarningHandlerExtR(opts, ignore_warning, user);
            let tif = TIFFClientOpenExt(
                c"TIFF".as_ptr(),
                c"rm".as_ptr(),
                user,
                read_proc,
                write_proc,
                seek_proc,
                close_proc,
                size_proc,
                map_proc,
                unmap_proc,
                opts,
            );
            TIFFOpenOptionsFree(opts);
            tif
        };
        match NonNull::new(tif) {
            Some(tif) => Ok(Self {
                tif,
                source,
                _bytes: PhantomData,
            }),
            None => Err(source.failure(|| "libtiff could not open it".into())),
        }
    }

    /// Width and height of the first image.
    pub(super) fn size(&mut self) -> Option<(u32, u32)> {
        let (mut width, mut height) = (0u32, 0u32);
        // SAFETY: both tags are LONG (uint32) fields, which TIFFGetField writes through a
        // uint32_t pointer.
        let found = unsafe {
            TIFFGetField(self.tif.as_ptr(), TAG_IMAGE_WIDTH, &mut width as *mut u32) == 1
                && TIFFGetField(self.tif.as_ptr(), TAG_IMAGE_LENGTH, &mut height as *mut u32) == 1
        };
        found.then_some((width, height))
    }

    /// The Orientation tag, 1 (top-left) when absent.
    pub(super) fn orientation(&mut self) -> u16 {
        let mut orientation = 1u16;
        // SAFETY: Orientation is a SHORT field, written through a uint16_t pointer.
        unsafe {
            TIFFGetFieldDefaulted(
                self.tif.as_ptr(),
                TAG_ORIENTATION,
                &mut orientation as *mut u16,
            )
        };
        orientation
    }

    /// The layout of a one-sample integer or 32-bit float image in strips, the case libtiff's RGBA reader
    /// leaves out when its depth is not 1, 2, 4, 8 or 16 (12-bit scanners, 32-bit counts).
    pub(super) fn grey_layout(&mut self) -> Option<GreyLayout> {
        let tif = self.tif.as_ptr();
        // Photometric has no default in the spec; a one-sample image without it is read as grey.
        let (mut bits, mut samples, mut photometric, mut format) = (0u16, 0u16, 1u16, 0u16);
        // SAFETY: all four are SHORT fields, written through uint16_t pointers.
        let read = unsafe {
            TIFFGetFieldDefaulted(tif, TAG_BITS_PER_SAMPLE, &mut bits as *mut u16) == 1
                && TIFFGetFieldDefaulted(tif, TAG_SAMPLES_PER_PIXEL, &mut samples as *mut u16) == 1
                && TIFFGetFieldDefaulted(tif, TAG_SAMPLE_FORMAT, &mut format as *mut u16) == 1
                && TIFFIsTiled(tif) == 0
        };
        // SAFETY: a SHORT field, written through a uint16_t pointer; left at 1 when absent.
        unsafe { TIFFGetField(tif, TAG_PHOTOMETRIC, &mut photometric as *mut u16) };
        let integer = matches!(format, 1 | 2) && (1..=32).contains(&bits);
        let float = format == 3 && bits == 32;
        (read && samples == 1 && (integer || float) && photometric <= 1).then_some(GreyLayout {
            bits,
            signed: format == 2,
            float,
            white_is_zero: photometric == 0,
        })
    }

    /// Whether the image is 8-bit CIELAB, three samples interleaved, in strips.
    pub(super) fn is_cielab8(&mut self) -> bool {
        const PHOTOMETRIC_CIELAB: u16 = 8;
        let tif = self.tif.as_ptr();
        let (mut bits, mut samples, mut photometric, mut planar) = (0u16, 0u16, 0u16, 0u16);
        // SAFETY: all four are SHORT fields, written through uint16_t pointers.
        unsafe {
            TIFFGetFieldDefaulted(tif, TAG_BITS_PER_SAMPLE, &mut bits as *mut u16) == 1
                && TIFFGetFieldDefaulted(tif, TAG_SAMPLES_PER_PIXEL, &mut samples as *mut u16) == 1
                && TIFFGetFieldDefaulted(tif, TAG_PLANAR_CONFIG, &mut planar as *mut u16) == 1
                && TIFFGetField(tif, TAG_PHOTOMETRIC, &mut photometric as *mut u16) == 1
                && TIFFIsTiled(tif) == 0
        }
        .then_some(())
        .is_some_and(|()| {
            photometric == PHOTOMETRIC_CIELAB && bits == 8 && samples == 3 && planar == 1
        })
    }

    /// Every row of a strip image, as libtiff stores it (packed, big-endian bit order within
    /// bytes, host byte order for 16- and 32-bit samples).
    pub(super) fn read_rows(&mut self, height: u32) -> Result<Vec<Vec<u8>>, Failure> {
        let tif = self.tif.as_ptr();
        // SAFETY: a plain query on an open handle.
        let size = usize::try_from(unsafe { TIFFScanlineSize64(tif) }).unwrap_or(0);
        if size == 0 {
            return Err(self.source.failure(|| "TIFF rows of no size".into()));
        }
        let mut rows = Vec::with_capacity(height as usize);
        for row in 0..height {
            let mut line = vec![0u8; size];
            // SAFETY: the buffer holds one scanline, the size libtiff reported.
            let ok = unsafe { TIFFReadScanline(tif, line.as_mut_ptr().cast(), row, 0) };
            if ok != 1 {
                return Err(self
                    .source
                    .failure(|| format!("libtiff could not read row {row}")));
            }
            rows.push(line);
        }
        Ok(rows)
    }

    /// Whether this libtiff has a codec for the image's compression.
    pub(super) fn codec_configured(&mut self) -> bool {
        let mut compression = 1u16;
        // SAFETY: Compression is a SHORT field, written through a uint16_t pointer; then a
        // plain query of the library.
        unsafe {
            TIFFGetFieldDefaulted(
                self.tif.as_ptr(),
                TAG_COMPRESSION,
                &mut compression as *mut u16,
            );
            TIFFIsCODECConfigured(compression) == 1
        }
    }

    /// Why libtiff's RGBA reader cannot take this image, or `None` when it can.
    pub(super) fn rgba_refusal(&mut self) -> Option<String> {
        let mut message = [0 as c_char; 1024];
        // SAFETY: the buffer is the 1024 bytes the API asks for.
        let ok = unsafe { TIFFRGBAImageOK(self.tif.as_ptr(), message.as_mut_ptr()) };
        (ok == 0).then(|| c_text(&message))
    }

    /// The first image as RGBA words (R in the low byte), rows in the order stored: asking for
    /// the file's own orientation makes libtiff flip nothing, so the pipeline applies it once.
    pub(super) fn read_rgba(&mut self, width: u32, height: u32) -> Result<Vec<u32>, Failure> {
        let orientation = c_int::from(self.orientation());
        let mut raster = vec![0u32; width as usize * height as usize];
        // SAFETY: the raster holds width × height words, the size libtiff writes.
        let ok = unsafe {
            TIFFReadRGBAImageOriented(
                self.tif.as_ptr(),
                width,
                height,
                raster.as_mut_ptr(),
                orientation,
                1,
            )
        };
        if ok == 1 {
            Ok(raster)
        } else {
            Err(self
                .source
                .failure(|| "libtiff could not read the image".into()))
        }
    }
}

impl Drop for TiffReader<'_> {
    fn drop(&mut self) {
        // SAFETY: the handle was opened by TIFFClientOpenExt and is closed once.
        unsafe { TIFFClose(self.tif.as_ptr()) }
    }
}

fn c_text(message: &[c_char]) -> String {
    let bytes: Vec<u8> = message
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| *c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The callbacks below run inside libtiff: they must not unwind, so they only use operations
/// that cannot panic.
fn source<'s>(handle: Handle) -> &'s mut Source<'s> {
    // SAFETY: every handle libtiff passes back is the boxed Source given to TIFFClientOpenExt.
    unsafe { &mut *handle.cast::<Source<'s>>() }
}

extern "C" fn read_proc(handle: Handle, buf: *mut c_void, size: isize) -> isize {
    let source = source(handle);
    let start = usize::try_from(source.at)
        .unwrap_or(usize::MAX)
        .min(source.bytes.len());
    let wanted = usize::try_from(size).unwrap_or(0);
    let n = wanted.min(source.bytes.len() - start);
    source.past_end |= n < wanted;
    // SAFETY: libtiff's buffer holds `size` bytes; n ≤ size and the source range is in bounds.
    unsafe { std::ptr::copy_nonoverlapping(source.bytes.as_ptr().add(start), buf.cast(), n) };
    source.at = (start + n) as u64;
    n as isize
}

extern "C" fn write_proc(_: Handle, _: *mut c_void, _: isize) -> isize {
    -1
}

extern "C" fn seek_proc(handle: Handle, offset: u64, whence: c_int) -> u64 {
    let source = source(handle);
    let base = match whence {
        0 => 0,
        1 => source.at,
        2 => source.bytes.len() as u64,
        _ => return u64::MAX,
    };
    // The offset is a signed one passed as unsigned: wrapping adds it either way.
    source.at = base.wrapping_add(offset);
    source.at
}

extern "C" fn close_proc(_: Handle) -> c_int {
    0
}

extern "C" fn size_proc(handle: Handle) -> u64 {
    source(handle).bytes.len() as u64
}

extern "C" fn map_proc(_: Handle, _: *mut *mut c_void, _: *mut u64) -> c_int {
    0
}

extern "C" fn unmap_proc(_: Handle, _: *mut c_void, _: u64) {}

extern "C" fn record_error(
    _: *mut Tiff,
    user: *mut c_void,
    module: *const c_char,
    format: *const c_char,
    args: VaList,
) -> c_int {
    let source = source(user);
    if source.first_error.is_none() && !format.is_null() {
        let mut text = [0 as c_char; 512];
        // SAFETY: libtiff hands a printf format and its arguments; vsnprintf writes at most
        // the buffer's length, NUL included.
        unsafe { vsnprintf(text.as_mut_ptr(), text.len(), format, args) };
        let module = if module.is_null() {
            String::new()
        } else {
            // SAFETY: libtiff passes a NUL-terminated module name.
            unsafe { CStr::from_ptr(module) }
                .to_string_lossy()
                .into_owned()
        };
        let text = c_text(&text);
        // The module is the file name the handle was opened with for some messages: not news.
        source.first_error = Some(if module.is_empty() || module == "TIFF" {
            text
        } else {
            format!("{module}: {text}")
        });
    }
    1 // handled: libtiff prints nothing to stderr
}

extern "C" fn ignore_warning(
    _: *mut Tiff,
    _: *mut c_void,
    _: *const c_char,
    _: *const c_char,
    _: VaList,
) -> c_int {
    1
}
