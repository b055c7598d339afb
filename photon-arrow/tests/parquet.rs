//! Records through Arrow and Parquet and back: real photos and hostile files processed by the
//! pipeline, with embeddings, tags and a model attached, survive every conversion unchanged;
//! the schema is the one documented; resume, merge and model checks behave.

use photon_arrow::{
    ParquetOptions, ParquetSink, RecordBatchBuilder, RecordFormat, RecordSchema, convert,
    read_records, records_from_batch,
};
use photon_core::{ModelProvenance, Pipeline, Record, RunOptions, Sink, Tag, WalkOptions, walk};
use std::path::{Path, PathBuf};

const DIM: usize = 8;
const MODEL: &str = "test-model-0123456789ab";

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// Every photo and hostile file, processed: image records with EXIF, thumbnails and hashes,
/// and error records of every kind the hostile set gives. Images get a made-up embedding, tags
/// and model, as a model run would attach.
fn processed() -> Vec<Record> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let inputs = walk(
        [testdata().join("photos"), testdata().join("hostile")],
        &WalkOptions::default(),
    );
    let pipeline = Pipeline::builder().build();
    let mut records: Vec<Record> = runtime.block_on(async {
        use futures_util::StreamExt;
        pipeline
            .run(futures_util::stream::iter(inputs), RunOptions::default())
            .collect()
            .await
    });
    records.sort_by(|a, b| a.file_path().cmp(b.file_path()));
    for (i, record) in records.iter_mut().enumerate() {
        if let Record::Image(image) = record {
            image.embedding = Some((0..DIM).map(|d| (i * DIM + d) as f32 / 7.0).collect());
            let mut tag = Tag::new("tiger cat", 0.625);
            tag.path = Some("animal > cat > tiger cat".into());
            image.tags = Some(vec![tag, Tag::new("sofa", 0.125)]);
            image.model = Some(ModelProvenance::new(MODEL, "ort"));
            if i % 2 == 0 {
                let said = format!("Photo {i}, described.");
                let description = photon_core::Description::new(said, &describer())
                    .with_usage(Some(800 + i as u64), None);
                image.description = Some(description);
            }
        }
    }
    let ok = records.iter().filter(|r| r.is_ok()).count();
    assert!(ok >= 7 && records.len() - ok >= 6, "{records:?}");
    records
}

/// Who described half the processed images.
fn describer() -> photon_core::DescriberId {
    photon_core::DescriberId::new("openai", "gpt-4o-mini", "Describe it.")
}

#[test]
fn a_batch_holds_every_field_and_gives_the_records_back() {
    let records = processed();
    let mut builder = RecordBatchBuilder::new(RecordSchema::for_model(MODEL, DIM));
    for record in &records {
        builder.push(record.clone()).unwrap();
    }
    let batch = builder.finish().unwrap();
    assert_eq!(batch.num_rows(), records.len());
    assert_eq!(records_from_batch(&batch).unwrap(), records);

    // The thumbnail column holds the JPEG itself, not base64.
    use arrow_array::Array;
    let thumbnails = batch.column_by_name("thumbnail").unwrap();
    let thumbnails = thumbnails
        .as_any()
        .downcast_ref::<arrow_array::BinaryArray>()
        .unwrap();
    let first = (0..batch.num_rows())
        .find(|&i| thumbnails.is_valid(i))
        .unwrap();
    assert_eq!(&thumbnails.value(first)[..3], b"\xFF\xD8\xFF");
}

#[test]
fn a_record_of_another_model_or_length_is_refused() {
    let records = processed();
    let image = records.iter().find(|r| r.is_ok()).unwrap().clone();
    let mut builder = RecordBatchBuilder::new(RecordSchema::for_model(MODEL, DIM + 1));
    let error = builder.push(image.clone()).unwrap_err();
    assert!(
        error.to_string().contains("embedding of 8 floats"),
        "{error}"
    );
    let mut builder = RecordBatchBuilder::new(RecordSchema::for_model("other-model", DIM));
    let error = builder.push(image.clone()).unwrap_err();
    assert!(
        error.to_string().contains("embedded by test-model"),
        "{error}"
    );
    let mut builder = RecordBatchBuilder::new(RecordSchema::without_model());
    assert!(builder.push(image).is_err());
}

fn write_parquet(path: &Path, records: &[Record], options: ParquetOptions) {
    let mut sink = ParquetSink::create(path, RecordSchema::for_model(MODEL, DIM), options).unwrap();
    for record in records {
        sink.write(record).unwrap();
    }
    sink.finish().unwrap();
}

fn read_all(path: &Path) -> Vec<Record> {
    read_records(path)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn parquet_written_in_parts_reads_back_whole_and_leaves_no_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.parquet");
    let records = processed();
    write_parquet(&out, &records, ParquetOptions::default().part_rows(3));
    assert_eq!(read_all(&out), records);
    assert_eq!(RecordFormat::of_file(&out).unwrap(), RecordFormat::Parquet);
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "only out.parquet: {left:?}");
}

#[test]
fn jsonl_to_parquet_and_back_is_lossless() {
    let tmp = tempfile::tempdir().unwrap();
    let records = processed();
    let jsonl = tmp.path().join("in.jsonl");
    let mut sink = photon_core::JsonlSink::create(&jsonl).unwrap();
    for record in &records {
        sink.write(record).unwrap();
    }
    sink.finish().unwrap();
    drop(sink);

    let parquet = tmp.path().join("out.parquet");
    let converted = convert(&jsonl, &parquet, RecordFormat::Parquet).unwrap();
    assert_eq!(converted.records, records.len() as u64);
    let schema = read_records(&parquet).unwrap().schema().cloned().unwrap();
    assert_eq!(schema.model_id(), Some(MODEL));
    assert_eq!(schema.embedding_dim(), Some(DIM));

    let back = tmp.path().join("back.jsonl");
    convert(&parquet, &back, RecordFormat::Jsonl).unwrap();
    assert_eq!(
        std::fs::read(&jsonl).unwrap(),
        std::fs::read(&back).unwrap(),
        "byte for byte"
    );
}

#[test]
fn resume_reads_the_output_and_the_parts_and_the_latest_record_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.parquet");
    let records = processed();
    let (first, rest) = records.split_at(5);
    write_parquet(&out, first, ParquetOptions::default());

    // A second run writes two parts, then dies before finishing.
    let schema = RecordSchema::for_model(MODEL, DIM);
    let options = ParquetOptions::default().part_rows(2);
    let (mut sink, index, found) = ParquetSink::resume(&out, schema.clone(), options).unwrap();
    assert_eq!((found.records, found.parts, index.len()), (5, 0, 5));
    let mut redone = first[0].clone();
    if let Record::Error(e) = &mut redone {
        e.error.message = "redone".into();
    } else if let Record::Image(i) = &mut redone {
        i.width += 1;
    }
    sink.write(&redone).unwrap();
    for record in &rest[..3] {
        sink.write(record).unwrap();
    }
    drop(sink); // killed: the part of four is written, nothing merged
    std::fs::write(
        tmp.path().join("out.parquet.parts/part-000002.parquet.tmp"),
        b"torn",
    )
    .unwrap();

    let (mut sink, index, found) = ParquetSink::resume(&out, schema, options).unwrap();
    assert_eq!((found.records, found.parts, index.len()), (9, 2, 8));
    for record in &rest[3..] {
        sink.write(record).unwrap();
    }
    sink.finish().unwrap();

    let mut expected = records.clone();
    expected[0] = redone;
    let mut merged = read_all(&out);
    merged.sort_by(|a, b| a.file_path().cmp(b.file_path()));
    assert_eq!(
        merged, expected,
        "each input once, the redone one as redone"
    );
    assert!(!tmp.path().join("out.parquet.parts").exists());
}

#[test]
fn resume_reads_who_described_each_image() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("described.parquet");
    let records = processed();
    write_parquet(&out, &records, ParquetOptions::default());
    let schema = RecordSchema::for_model(MODEL, DIM);
    let (_sink, index, _) = ParquetSink::resume(&out, schema, ParquetOptions::default()).unwrap();
    let described = records
        .iter()
        .filter(|r| matches!(r, Record::Image(i) if i.description.is_some()))
        .count();
    assert!(described >= 3, "{described}");
    assert_eq!(index.described_by(&describer()), described);
    let other = photon_core::DescriberId::new("openai", "gpt-4o-mini", "Another prompt.");
    assert_eq!(index.described_by(&other), 0);
}

#[test]
fn resuming_into_another_models_table_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.parquet");
    write_parquet(&out, &processed()[..2], ParquetOptions::default());
    let other = RecordSchema::for_model("siglip-base", 768);
    let error = ParquetSink::resume(&out, other, ParquetOptions::default()).unwrap_err();
    assert!(error.to_string().contains("test-model"), "{error}");
    let error = ParquetSink::resume(
        &out,
        RecordSchema::without_model(),
        ParquetOptions::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("no model"), "{error}");
}

#[test]
fn a_file_that_is_not_parquet_is_refused_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.parquet");
    std::fs::write(&out, b"PAR1 and then nothing").unwrap();
    assert!(read_records(&out).is_err());
    let resumed = ParquetSink::resume(
        &out,
        RecordSchema::without_model(),
        ParquetOptions::default(),
    );
    assert!(resumed.is_err());
}

#[test]
fn a_crash_inside_or_just_after_the_merge_loses_and_repeats_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.parquet");
    let parts = tmp.path().join("out.parquet.parts");
    let records = processed();
    let schema = RecordSchema::for_model(MODEL, DIM);
    let options = ParquetOptions::default().part_rows(3);
    let mut sink = ParquetSink::create(&out, schema.clone(), options).unwrap();
    for record in &records {
        sink.write(record).unwrap();
    }
    drop(sink); // killed before finishing: finished parts only
    let saved = tmp.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    for entry in std::fs::read_dir(&parts).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, saved.join(path.file_name().unwrap())).unwrap();
    }

    // Killed mid-merge: a torn `out.parquet.tmp`, never read, only removed.
    std::fs::write(tmp.path().join("out.parquet.tmp"), b"PAR1 torn").unwrap();
    let (mut sink, index, _) = ParquetSink::resume(&out, schema.clone(), options).unwrap();
    assert_eq!(index.len(), records.len() - records.len() % 3);
    assert!(!tmp.path().join("out.parquet.tmp").exists());
    for record in &records[records.len() - records.len() % 3..] {
        sink.write(record).unwrap();
    }
    sink.finish().unwrap();

    // Killed after the merged file was renamed into place but before the parts were removed:
    // the same records twice over, still each input once.
    std::fs::create_dir(&parts).unwrap();
    for entry in std::fs::read_dir(&saved).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, parts.join(path.file_name().unwrap())).unwrap();
    }
    let (mut sink, index, found) = ParquetSink::resume(&out, schema, options).unwrap();
    assert_eq!(index.len(), records.len());
    assert!(found.records > records.len() as u64);
    sink.finish().unwrap();
    let mut merged = read_all(&out);
    merged.sort_by(|a, b| a.file_path().cmp(b.file_path()));
    assert_eq!(merged, records);
}

#[test]
fn a_new_run_replaces_an_earlier_output_whatever_its_model() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.parquet");
    write_parquet(&out, &processed()[..3], ParquetOptions::default());
    let mut sink = ParquetSink::create(
        &out,
        RecordSchema::without_model(),
        ParquetOptions::default(),
    )
    .unwrap();
    sink.finish().unwrap();
    let reader = read_records(&out).unwrap();
    assert_eq!(reader.schema().unwrap().model_id(), None);
    assert_eq!(
        reader.count(),
        0,
        "an empty run is an empty, readable table"
    );
}
