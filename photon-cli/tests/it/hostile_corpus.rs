//! Hostile input at scale: a generated folder of 830+ bad files (truncated at many offsets and
//! bit-flipped in every decoded format, HEIC, AVIF and JPEG XL included; misnamed, empty, absurd declared
//! sizes, looping EXIF, non-UTF-8 names, unreadable, symlink loops, a FIFO, a device, a
//! directory named like an image) mixed with the real photos. `photon process` must give every
//! input exactly one record, leave the good photos exactly as a clean run records them, and
//! finish: no panic, no hang.

use serde_json::Value;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// Encodes a small real photo in `format`.
fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let photo = image::open(testdata().join("photos/chelsea.png"))
        .unwrap()
        .resize(160, 120, image::imageops::FilterType::Triangle)
        .into_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(photo)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// A JPEG whose EXIF IFD chain loops (`next IFD` pointing at itself) or nests `depth` IFDs deep
/// through Exif-IFD pointers.
fn looping_exif_jpeg(base: &[u8], variant: usize) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    match variant {
        0 => {
            // IFD0 with one entry and a next-IFD offset back to itself.
            tiff.extend([0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
            tiff.extend(8u32.to_be_bytes());
        }
        1 => {
            // IFD0's Exif-IFD pointer points at IFD0.
            tiff.extend([0, 1, 0x87, 0x69, 0, 4, 0, 0, 0, 1]);
            tiff.extend(8u32.to_be_bytes());
            tiff.extend(0u32.to_be_bytes());
        }
        _ => {
            // A chain of 2 000 IFDs, each pointing at the next.
            for i in 0..2000u32 {
                let next = if i == 1999 { 0 } else { 8 + 18 * (i + 1) };
                tiff.extend([0, 1, 0x01, 0x0F, 0, 2, 0, 0, 0, 2, b'X', 0, 0, 0]);
                tiff.extend(next.to_be_bytes());
            }
        }
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let len = (app1.len() + 2).min(0xFFFF) as u16;
    app1.truncate(usize::from(len) - 2);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend(len.to_be_bytes());
    out.extend(app1);
    out.extend(&base[2..]);
    out
}

/// Headers that declare enormous images in each supported format.
fn huge_headers() -> Vec<(&'static str, Vec<u8>)> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend(0x7FFF_FFFFu32.to_be_bytes());
    png.extend(0x7FFF_FFFFu32.to_be_bytes());
    png.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0xFF, 0xFF, 0xFF, 0xFF, 3];
    jpeg.extend([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    let mut gif = b"GIF89a\xff\xff\xff\xff\0\0\0".to_vec();
    gif.extend([
        0x2C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 2, 2, 0x4C, 1, 0, 0x3B,
    ]);
    let mut bmp = b"BM".to_vec();
    bmp.extend([0u8; 12]);
    bmp.extend(40u32.to_le_bytes());
    bmp.extend(1_000_000i32.to_le_bytes());
    bmp.extend(1_000_000i32.to_le_bytes());
    bmp.extend([1, 0, 24, 0]);
    bmp.extend([0u8; 24]);
    let mut webp = b"RIFF\x20\0\0\0WEBPVP8L\x0d\0\0\0\x2f".to_vec();
    webp.extend([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut tiff = b"II\x2a\0\x08\0\0\0\x02\0".to_vec();
    tiff.extend([0x00, 0x01, 4, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F]);
    tiff.extend([0x01, 0x01, 4, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F]);
    tiff.extend([0, 0, 0, 0]);
    vec![
        ("png", png),
        ("jpg", jpeg),
        ("gif", gif),
        ("bmp", bmp),
        ("webp", webp),
        ("tif", tiff),
    ]
}

/// A HEIF fixture made by scripts/make_heif_fixtures.py.
fn heif_fixture(name: &str) -> Vec<u8> {
    std::fs::read(testdata().join("heif").join(name)).unwrap()
}

/// Builds the corpus in `dir`; returns every input path `photon` must give one record.
/// A file of testdata/variants (Pillow's test images).
fn variant(name: &str) -> Vec<u8> {
    std::fs::read(testdata().join("variants").join(name)).unwrap()
}

fn build_corpus(dir: &Path) -> Vec<PathBuf> {
    use image::ImageFormat;
    let mut inputs = Vec::new();
    let put = |inputs: &mut Vec<PathBuf>, name: &OsStr, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        inputs.push(path.clone());
        path
    };
    let dog = std::fs::read(testdata().join("photos/dog.jpg")).unwrap();
    let bases: Vec<(&str, Vec<u8>)> = vec![
        ("jpg", dog.clone()),
        ("png", encoded(ImageFormat::Png)),
        ("gif", encoded(ImageFormat::Gif)),
        ("webp", encoded(ImageFormat::WebP)),
        ("bmp", encoded(ImageFormat::Bmp)),
        ("tif", encoded(ImageFormat::Tiff)),
        // libheif (HEVC, AV1) is C code: every cut and flip must still give a record.
        ("heic", heif_fixture("rot_exif6.heic")),
        ("avif", heif_fixture("rot_exif6.avif")),
        ("hif", heif_fixture("grid_thumb.heic")),
        (
            "jxl",
            std::fs::read(testdata().join("jxl/exif6.jxl")).unwrap(),
        ),
        // libtiff is C code too, and rawler parses raws by hand: TIFFs in the coding variants
        // (YCbCr JPEG, LZMA, BigTIFF, tiled planar) and a DNG with a preview.
        ("tiff", variant("tiff_strip_ycbcr_jpeg_2x2_sampling.tif")),
        ("tif", variant("hopper_lzma.tif")),
        ("tif", variant("hopper_bigtiff.tif")),
        ("tiff", variant("tiff_tiled_planar_16bit_RGB.tiff")),
        (
            "dng",
            std::fs::read(testdata().join("raw/preview.dng")).unwrap(),
        ),
        (
            "dng",
            std::fs::read(testdata().join("raw/jpeg_preview.dng")).unwrap(),
        ),
    ];
    let mut rng = fastrand::Rng::with_seed(6);
    for (base, (ext, bytes)) in bases.iter().enumerate() {
        // Cut at every kind of offset: inside the header, in metadata, mid-data, one byte short.
        let mut cuts: Vec<usize> = (0..12).map(|k| 1 << k).collect();
        cuts.extend((1..=24).map(|k| bytes.len() * k / 25));
        cuts.extend([bytes.len() - 2, bytes.len() - 1]);
        cuts.retain(|&c| c < bytes.len());
        for cut in cuts {
            put(
                &mut inputs,
                OsStr::new(&format!("cut{base}_{ext}_{cut:07}.{ext}")),
                &bytes[..cut],
            );
        }
        for k in 0..40 {
            let mut flipped = bytes.clone();
            for _ in 0..=(k % 8) {
                let at = rng.usize(..flipped.len());
                flipped[at] ^= 1 << rng.u8(..8);
            }
            put(
                &mut inputs,
                OsStr::new(&format!("flip{base}_{ext}_{k:02}.{ext}")),
                &flipped,
            );
        }
        put(
            &mut inputs,
            OsStr::new(&format!("empty{base}_{ext}.{ext}")),
            b"",
        );
        put(
            &mut inputs,
            OsStr::new(&format!("zeros{base}_{ext}.{ext}")),
            &[0u8; 4096],
        );
    }
    // Wrong extensions: real images and non-images under another format's name.
    for (i, (ext, bytes)) in bases.iter().enumerate() {
        let wrong = bases[(i + 1) % bases.len()].0;
        put(
            &mut inputs,
            OsStr::new(&format!("really{i}_{ext}.{wrong}")),
            bytes,
        );
    }
    put(
        &mut inputs,
        OsStr::new("text.png"),
        b"this is not an image at all\n",
    );
    put(
        &mut inputs,
        OsStr::new("html.jpg"),
        b"<!doctype html><title>404</title>",
    );
    for (ext, header) in huge_headers() {
        put(&mut inputs, OsStr::new(&format!("huge.{ext}")), &header);
    }
    for variant in 0..3 {
        put(
            &mut inputs,
            OsStr::new(&format!("exif_loop_{variant}.jpg")),
            &looping_exif_jpeg(&dog, variant),
        );
    }
    // Non-UTF-8 names, one good and one bad.
    put(
        &mut inputs,
        OsStr::from_bytes(b"latin1_\xe9t\xe9.jpg"),
        &dog,
    );
    put(
        &mut inputs,
        OsStr::from_bytes(b"broken_\xff\xfe.png"),
        b"\x89PNG\r\n\x1a\nnope",
    );
    // Unreadable (root reads them anyway; either way each gets one record).
    for i in 0..3 {
        let path = put(
            &mut inputs,
            OsStr::new(&format!("unreadable_{i}.jpg")),
            &dog,
        );
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o000))
            .unwrap();
    }
    // Symlinks: a loop of two, one to itself, one dangling, one to a device.
    let link = |target: &str, name: &str, inputs: &mut Vec<PathBuf>| {
        std::os::unix::fs::symlink(target, dir.join(name)).unwrap();
        inputs.push(dir.join(name));
    };
    link("loop_b.jpg", "loop_a.jpg", &mut inputs);
    link("loop_a.jpg", "loop_b.jpg", &mut inputs);
    link("self.jpg", "self.jpg", &mut inputs);
    link("nowhere.jpg", "dangling.jpg", &mut inputs);
    link("/dev/zero", "zero.jpg", &mut inputs);
    // A FIFO named like a photo: opening it would block forever.
    let fifo = dir.join("pipe.jpg");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    inputs.push(fifo);
    // A directory named like an image, holding a good photo: walked into, not read.
    let folder = dir.join("album.jpg");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("inside.jpg"), &dog).unwrap();
    inputs.push(folder.join("inside.jpg"));
    // The real photos, which must come out exactly as in a clean run.
    for entry in std::fs::read_dir(testdata().join("photos")).unwrap() {
        let from = entry.unwrap().path();
        let to = dir.join(format!(
            "good_{}",
            from.file_name().unwrap().to_str().unwrap()
        ));
        std::fs::copy(&from, &to).unwrap();
        inputs.push(to);
    }
    inputs
}

/// Runs `photon process` on `dir` without a model; fails the test if it takes over 5 minutes.
fn run_photon(dir: &Path, out: &Path) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(["process", "--no-embedding", "-o"])
        .arg(out)
        .arg(dir)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            assert!(!stderr.contains("panicked"), "{stderr}");
            return (status, stderr);
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("photon hung on the hostile corpus");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read_records(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_hostile_input_gets_one_record_and_good_photos_are_unaffected() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    let inputs = build_corpus(&corpus);
    assert!(inputs.len() >= 1200, "only {} inputs", inputs.len());

    let out = tmp.path().join("out.jsonl");
    let (status, stderr) = run_photon(&corpus, &out);
    assert_eq!(status.code(), Some(1), "{status}: {stderr}");
    let records = read_records(&out);
    let mut seen: HashMap<String, Vec<&Value>> = HashMap::new();
    for r in &records {
        seen.entry(r["file_path"].as_str().unwrap().to_owned())
            .or_default()
            .push(r);
    }
    for input in &inputs {
        let key = input.to_string_lossy().into_owned();
        let n = seen.get(&key).map_or(0, Vec::len);
        assert_eq!(n, 1, "{key} has {n} records");
    }
    assert_eq!(
        records.len(),
        inputs.len(),
        "records for inputs that do not exist"
    );
    for r in &records {
        if let Some(error) = r.get("error") {
            assert!(
                error["stage"].is_string() && error["kind"].is_string(),
                "{r}"
            );
            assert_ne!(error["kind"], "panic", "a decoder panicked: {r}");
        }
    }
    let failed = records.iter().filter(|r| r.get("error").is_some()).count();
    assert!(
        failed >= 300,
        "only {failed} of {} inputs failed",
        records.len()
    );
    for special in [
        "pipe.jpg",
        "zero.jpg",
        "self.jpg",
        "loop_a.jpg",
        "dangling.jpg",
    ] {
        let key = corpus.join(special).to_string_lossy().into_owned();
        assert!(
            seen[&key][0].get("error").is_some(),
            "{special}: {}",
            seen[&key][0]
        );
    }
    for huge in [
        "huge.png",
        "huge.jpg",
        "huge.gif",
        "huge.bmp",
        "huge.webp",
        "huge.tif",
    ] {
        let r = seen[&corpus.join(huge).to_string_lossy().into_owned()][0];
        assert_eq!(r["error"]["stage"], "decode", "{huge}: {r}");
    }

    // The good photos, alone in a clean run, give the same records.
    let clean = tmp.path().join("clean");
    std::fs::create_dir(&clean).unwrap();
    for input in inputs.iter().filter(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("good_"))
    }) {
        std::fs::copy(input, clean.join(input.file_name().unwrap())).unwrap();
    }
    let clean_out = tmp.path().join("clean.jsonl");
    let (status, stderr) = run_photon(&clean, &clean_out);
    assert_eq!(status.code(), Some(0), "{status}: {stderr}");
    let clean_records = read_records(&clean_out);
    assert_eq!(clean_records.len(), 7);
    for mut expected in clean_records {
        let name = expected["file_name"].as_str().unwrap().to_owned();
        let key = corpus.join(&name).to_string_lossy().into_owned();
        let mut got = seen[&key][0].clone();
        for r in [&mut expected, &mut got] {
            let map = r.as_object_mut().unwrap();
            map.remove("file_path");
            map.remove("file_mtime_ns");
        }
        assert_eq!(got, expected, "{name}");
    }
}
