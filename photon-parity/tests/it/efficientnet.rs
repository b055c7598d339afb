//! The real default model, EfficientNet-Lite0, on both engines and the real photos: the same
//! top-1 class as the reference for every photo, the reference's probabilities and pairwise
//! similarities, ORT and tract within 1e-4 of each other, batching transparent.
//! Needs `scripts/setup.sh` (it fails, not skips, without the model).

use futures_util::StreamExt;
use photon_core::{Embedder, ImageBatch};
use photon_core::{OutputOrder, Pipeline, Record, RunOptions, Source};
use photon_core::{TagOptions, read_labels};
use photon_models::ClassifierTagger;
use photon_models::load_model_dir;
use photon_parity::*;
use std::collections::HashMap;
use std::sync::Arc;

const PHOTOS: [&str; 7] = [
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "dog.jpg",
    "eagle.jpg",
    "horses.jpg",
    "rocket.jpg",
];

fn spec() -> photon_core::ModelSpec {
    let dir = models_root().join("efficientnet-lite0");
    load_model_dir(&dir).unwrap_or_else(|e| {
        panic!("EfficientNet-Lite0 is not installed ({e}): run scripts/setup.sh")
    })
}

fn reference_top5() -> HashMap<String, Vec<(String, f32)>> {
    let text =
        std::fs::read_to_string(repo().join("testdata/efficientnet-lite0/reference_top5.tsv"))
            .unwrap();
    let mut top: HashMap<String, Vec<(String, f32)>> = HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        top.entry(f[0].to_owned())
            .or_default()
            .push((f[3].to_owned(), f[4].parse().unwrap()));
    }
    top
}

fn reference_cosine() -> Vec<Vec<f32>> {
    let text =
        std::fs::read_to_string(repo().join("testdata/efficientnet-lite0/reference_cosine.tsv"))
            .unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split('\t').skip(1).map(|v| v.parse().unwrap()).collect())
        .collect()
}

/// Records for the seven photos, in order, through the whole pipeline on `engine`.
async fn records(
    engine: Arc<dyn Embedder>,
    spec: &photon_core::ModelSpec,
) -> Vec<Box<photon_core::ImageRecord>> {
    let labels = read_labels(spec.labels_file.as_ref().unwrap()).unwrap();
    let options = TagOptions::default().top_k(5).min_confidence(0.0);
    let pipeline = Pipeline::builder()
        .decoder(photon_decode::default_decoder())
        .thumbnail(None)
        .embedder(engine)
        .tagger(ClassifierTagger::new(labels, None, options))
        .build();
    let inputs = PHOTOS.map(|p| Source::Path(repo().join("testdata/photos").join(p)));
    image_records(&pipeline, inputs.into()).await
}

/// The records of `inputs` in input order; any error record fails the test.
async fn image_records(
    pipeline: &Pipeline,
    inputs: Vec<Source>,
) -> Vec<Box<photon_core::ImageRecord>> {
    let opts = RunOptions::default().order(OutputOrder::Input);
    let records: Vec<Record> = pipeline
        .run(futures_util::stream::iter(inputs), opts)
        .collect()
        .await;
    records
        .into_iter()
        .map(|r| match r {
            Record::Image(r) => r,
            Record::Error(e) => panic!("{}: {}", e.file_path, e.error),
        })
        .collect()
}

#[tokio::test]
async fn both_engines_reproduce_the_reference_classes_and_similarities() {
    let spec = spec();
    let (ort, tract) = both_engines(&spec);
    let top5 = reference_top5();
    let cosines = reference_cosine();
    for engine in [Arc::new(ort) as Arc<dyn Embedder>, Arc::new(tract)] {
        let backend = engine.backend().to_owned();
        let records = records(engine, &spec).await;
        assert_eq!(
            records.len(),
            PHOTOS.len(),
            "{backend}: one record per photo"
        );
        for (photo, record) in PHOTOS.iter().zip(&records) {
            let tags = record.tags.as_ref().unwrap();
            let expected = &top5[*photo];
            assert_eq!(tags[0].name, expected[0].0, "{backend}: top-1 of {photo}");
            // Resize filters differ a little from the reference's; probabilities stay close.
            assert!(
                (tags[0].confidence - expected[0].1).abs() < 0.05,
                "{backend} {photo}: {} vs {}",
                tags[0].confidence,
                expected[0].1
            );
        }
        for i in 0..PHOTOS.len() {
            for j in 0..PHOTOS.len() {
                let ours = cosine(
                    records[i].embedding.as_ref().unwrap(),
                    records[j].embedding.as_ref().unwrap(),
                );
                let diff = (ours - cosines[i][j]).abs();
                assert!(
                    diff < 0.01,
                    "{backend}: cosine({}, {}) {ours:.4} vs reference {:.4}",
                    PHOTOS[i],
                    PHOTOS[j],
                    cosines[i][j]
                );
            }
        }
        let tags = |photo: &str| {
            records[PHOTOS.iter().position(|p| *p == photo).unwrap()]
                .tags
                .clone()
                .unwrap()
        };
        assert!(
            tags("chelsea.png")[..3]
                .iter()
                .any(|t| t.name.contains("cat")),
            "{backend}: a cat in chelsea's top 3"
        );
        assert_eq!(tags("coffee.png")[0].name, "espresso", "{backend}");
    }
}

/// The seven photos preprocessed for the model, as one batch.
fn photo_batch(spec: &photon_core::ModelSpec) -> ImageBatch {
    let tensors: Vec<Vec<f32>> = PHOTOS
        .iter()
        .map(|p| {
            let img = image_of(&repo().join("testdata/photos").join(p));
            spec.preprocessing.apply(&img).unwrap()
        })
        .collect();
    ImageBatch::stack(224, 224, tensors.iter().map(Vec::as_slice)).unwrap()
}

fn image_of(path: &std::path::Path) -> image::RgbImage {
    let bytes = std::fs::read(path).unwrap();
    photon_core::Decoder::decode(&photon_core::ImageCrateDecoder, &bytes, &Default::default())
        .unwrap()
        .pixels
}

#[tokio::test]
async fn ort_and_tract_agree_within_1e4_and_batching_is_transparent() {
    let spec = spec();
    let (ort, tract) = both_engines(&spec);
    let batch = photo_batch(&spec);
    let from_ort = embed(&ort, &batch).await;
    let from_tract = embed(&tract, &batch).await;
    for i in 0..batch.len {
        let (o, t) = (&from_ort[i], &from_tract[i]);
        assert!(
            max_abs_diff(&o.embedding, &t.embedding) <= 1e-4,
            "{}: embedding {}",
            PHOTOS[i],
            max_abs_diff(&o.embedding, &t.embedding)
        );
        let (ol, tl) = (o.logits.as_ref().unwrap(), t.logits.as_ref().unwrap());
        assert!(
            max_abs_diff(ol, tl) <= 1e-4,
            "{}: logits {}",
            PHOTOS[i],
            max_abs_diff(ol, tl)
        );
    }
    for (engine, together) in [(&ort as &dyn Embedder, &from_ort), (&tract, &from_tract)] {
        for (i, in_batch) in together.iter().enumerate() {
            let alone = embed(
                engine,
                &ImageBatch::stack(224, 224, [batch.image(i)]).unwrap(),
            )
            .await;
            let diff = max_abs_diff(&alone[0].embedding, &in_batch.embedding);
            assert!(
                diff <= 1e-5,
                "{}: {} alone vs in a batch of 7 differs by {diff}",
                engine.backend(),
                PHOTOS[i]
            );
        }
    }
}

/// Records of `inputs` (in order) through the whole pipeline with `decoder`, on ORT.
async fn records_with(
    decoder: impl photon_core::Decoder + 'static,
    engine: Arc<dyn Embedder>,
    spec: &photon_core::ModelSpec,
    inputs: Vec<Source>,
) -> Vec<Box<photon_core::ImageRecord>> {
    let labels = read_labels(spec.labels_file.as_ref().unwrap()).unwrap();
    let pipeline = Pipeline::builder()
        .decoder(decoder)
        .embedder(engine)
        .tagger(ClassifierTagger::new(labels, None, TagOptions::default()))
        .build();
    image_records(&pipeline, inputs).await
}

/// A decoder that notes the size of every image the one it wraps decodes.
struct SizeSpy<D> {
    inner: D,
    sizes: Arc<std::sync::Mutex<Vec<(u32, u32)>>>,
}

impl<D: photon_core::Decoder> photon_core::Decoder for SizeSpy<D> {
    fn decode(
        &self,
        bytes: &[u8],
        request: &photon_core::DecodeRequest,
    ) -> Result<photon_core::DecodedImage, photon_core::DecodeError> {
        let decoded = self.inner.decode(bytes, request)?;
        self.sizes.lock().unwrap().push(decoded.pixels.dimensions());
        Ok(decoded)
    }
}

/// Camera-sized JPEGs made from the real photos: each upscaled to 4000x3000 and encoded at
/// quality 92, so that the scaled decoder works at 1/8.
fn camera_sized_jpegs() -> Vec<Source> {
    ["chelsea.png", "coffee.png", "dog.jpg", "eagle.jpg"]
        .into_iter()
        .map(|name| {
            let photo = image_of(&repo().join("testdata/photos").join(name));
            let big =
                image::imageops::resize(&photo, 4000, 3000, image::imageops::FilterType::Triangle);
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
                .encode_image(&big)
                .unwrap();
            Source::Bytes {
                name: format!("{name} at 4000x3000"),
                bytes: jpeg,
            }
        })
        .collect()
}

#[tokio::test]
async fn scaled_jpeg_decoding_keeps_embeddings_and_top_tags() {
    let spec = spec();
    let (ort, _) = both_engines(&spec);
    let ort: Arc<dyn Embedder> = Arc::new(ort);
    let mut inputs: Vec<Source> = PHOTOS
        .iter()
        .filter(|p| p.ends_with(".jpg"))
        .map(|p| Source::Path(repo().join("testdata/photos").join(p)))
        .collect();
    let camera_sized = camera_sized_jpegs();
    let camera_count = camera_sized.len();
    inputs.extend(camera_sized);
    let decoded_sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let spy = SizeSpy {
        inner: photon_decode::TurboJpegDecoder,
        sizes: decoded_sizes.clone(),
    };
    let scaled = records_with(spy, ort.clone(), &spec, inputs.clone()).await;
    // The pipeline really asks for 1/8 of the camera-sized files for this model.
    let sizes = decoded_sizes.lock().unwrap().clone();
    let eighths = sizes.iter().filter(|&&size| size == (500, 375)).count();
    assert_eq!(eighths, camera_count, "decoded sizes: {sizes:?}");
    let full = records_with(photon_core::ImageCrateDecoder, ort, &spec, inputs).await;
    assert_eq!(scaled.len(), full.len());
    assert!(!full.is_empty());
    for (s, f) in scaled.iter().zip(&full) {
        let similarity = cosine(s.embedding.as_ref().unwrap(), f.embedding.as_ref().unwrap());
        assert!(
            similarity >= 0.995,
            "{}: scaled vs full decoding cosine {similarity}",
            s.file_path
        );
        let (st, ft) = (s.tags.as_ref().unwrap(), f.tags.as_ref().unwrap());
        assert_eq!(st[0].name, ft[0].name, "{}: top-1", s.file_path);
        assert_eq!((s.width, s.height), (f.width, f.height), "{}", s.file_path);
        assert_eq!(s.thumbnail.is_some(), f.thumbnail.is_some());
        let hash_bits = photon_core::hamming_distance(
            s.perceptual_hash.as_ref().unwrap(),
            f.perceptual_hash.as_ref().unwrap(),
        )
        .unwrap();
        assert!(
            hash_bits <= 4,
            "{}: perceptual hashes {hash_bits} bits apart",
            s.file_path
        );
    }
}
