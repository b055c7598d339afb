//! The face stage: micro-batches of analysed images through the [`FaceFinder`] on a blocking
//! thread, each image's faces (or its `faces` error) put on its record, the image then let go.
//!
//! A failure here never costs the record: it keeps every other field and carries the error in
//! `errors`.

use super::analyze::{Analyzed, Outcome};
use crate::error::{ItemError, Stage, StageError};
use crate::face::{FaceError, FaceFinder, FoundFaces};
use image::RgbImage;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

/// The finder and its time limit, shared by the batches in flight.
pub(super) struct FaceStage {
    finder: Arc<dyn FaceFinder>,
    timeout: Option<Duration>,
}

impl FaceStage {
    pub(super) fn new(finder: Arc<dyn FaceFinder>, timeout: Option<Duration>) -> Self {
        Self { finder, timeout }
    }

    /// Batches in flight at once.
    pub(super) fn concurrency(&self) -> usize {
        self.finder.concurrency().max(1)
    }

    /// The outcomes of `batch` with the faces of each ready image on its record.
    pub(super) async fn finish_batch(&self, mut batch: Vec<Outcome>) -> Vec<Outcome> {
        let images: Vec<RgbImage> = ready(&mut batch)
            .map(|analyzed| analyzed.image.take().unwrap_or_default())
            .collect();
        if images.is_empty() {
            return batch;
        }
        let found = self.find_each(images).await;
        for (analyzed, result) in ready(&mut batch).zip(found) {
            attach(analyzed, result);
        }
        batch
    }

    /// One result per image. A panic in a batch is some image's doing: the images are then
    /// taken one at a time, so that only the one that panics fails.
    async fn find_each(&self, images: Vec<RgbImage>) -> Vec<Result<SeenFaces, ItemError>> {
        let count = images.len();
        let images = Arc::new(images);
        let all: Vec<usize> = (0..count).collect();
        match self.find(images.clone(), all).await {
            Ok(found) => found,
            Err(error) if error.kind == "panic" && count > 1 => {
                let mut found = Vec::with_capacity(count);
                for i in 0..count {
                    let alone = self.find(images.clone(), vec![i]).await;
                    found.push(alone.and_then(|mut one| one.pop().ok_or(error.clone())?));
                }
                found
            }
            Err(error) => vec![Err(error); count],
        }
    }

    /// The finder on the images at `which`, on a blocking thread, under the time limit; a
    /// panic, a lost thread or a wrong count of results is every image's error.
    async fn find(
        &self,
        images: Arc<Vec<RgbImage>>,
        which: Vec<usize>,
    ) -> Result<Vec<Result<SeenFaces, ItemError>>, ItemError> {
        let finder = self.finder.clone();
        let count = which.len();
        let sizes: Vec<(u32, u32)> = which.iter().map(|&i| images[i].dimensions()).collect();
        let task = tokio::task::spawn_blocking(move || {
            let views: Vec<&RgbImage> = which.iter().map(|&i| &images[i]).collect();
            std::panic::catch_unwind(AssertUnwindSafe(|| finder.find_faces(&views)))
        });
        let joined = match self.timeout {
            Some(limit) => tokio::time::timeout(limit, task).await.map_err(|_| {
                let message = format!("the face finder took longer than {limit:?}");
                ItemError::new(Stage::Faces, "timeout", message)
            })?,
            None => task.await,
        };
        let results = joined
            .map_err(|e| {
                let message = format!("the face finder did not finish: {e}");
                ItemError::new(Stage::Faces, "interrupted", message)
            })?
            .map_err(|panic| ItemError::panic(Stage::Faces, panic.as_ref()))?;
        if results.len() != count {
            let message = format!("{} results for {count} images", results.len());
            return Err(ItemError::new(Stage::Faces, "output_count", message));
        }
        Ok(results
            .into_iter()
            .zip(sizes)
            .map(|(result, size)| {
                result
                    .map(|found| (found, size))
                    .map_err(|e: FaceError| e.to_item_error())
            })
            .collect())
    }
}

/// The faces of an image and the size of the image the finder saw.
type SeenFaces = (FoundFaces, (u32, u32));

/// The ready images of `batch`, in order.
fn ready(batch: &mut [Outcome]) -> impl Iterator<Item = &mut Analyzed> {
    batch.iter_mut().filter_map(|outcome| match outcome {
        Outcome::Ready(analyzed) => Some(analyzed.as_mut()),
        Outcome::Failed(_) => None,
    })
}

/// Puts one image's faces (scaled from the size the finder saw to the record's) or its error on
/// its record.
fn attach(analyzed: &mut Analyzed, result: Result<SeenFaces, ItemError>) {
    let record = &mut analyzed.record;
    match result {
        Ok((found, seen)) => {
            let full = (record.width, record.height);
            let mut faces = found.faces;
            for face in &mut faces {
                face.rescale(seen, full);
            }
            record.faces_found = (found.found > faces.len()).then_some(found.found as u32);
            record.faces = Some(faces);
        }
        Err(error) => record.errors.push(error),
    }
}
