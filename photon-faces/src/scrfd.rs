//! SCRFD's outputs decoded as insightface's `model_zoo/scrfd.py` decodes them.
//!
//! An SCRFD export with landmarks has nine outputs (strides 8, 16 and 32, two anchors per cell)
//! or fifteen (strides 8 to 128, one anchor): first the scores of every stride, then the box
//! distances, then the landmark distances, each `[cells × anchors, k]` or with a leading batch
//! axis of 1. Distances are in units of the stride, measured from the anchor's cell corner.

use crate::detection::{Detection, non_maximum_suppression};
use crate::letterbox::Letterbox;

/// The layout of an SCRFD export: its strides and anchors per cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrfdLayout {
    /// Feature strides, in the order the outputs come.
    pub strides: Vec<u32>,
    /// Anchors per feature cell.
    pub anchors: usize,
}

/// Why a graph's outputs are not an SCRFD detector's with landmarks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// Six or ten outputs: an SCRFD export without landmarks, which cannot be aligned.
    #[error(
        "the detector has {0} outputs, an SCRFD export without landmarks: faces cannot be aligned without them"
    )]
    NoLandmarks(usize),
    /// Any other number of outputs.
    #[error(
        "the detector has {0} outputs; an SCRFD export with landmarks has 9 (strides 8, 16, 32) or 15 (strides 8 to 128)"
    )]
    Count(usize),
    /// An output whose last axis is not 1 (scores), 4 (boxes) or 10 (landmarks).
    #[error(
        "detector output {index} ({name}) has shape {shape:?}; expected [{cells}, {width}] or [1, {cells}, {width}] for the {what} of stride {stride}"
    )]
    Shape {
        /// Position among the outputs.
        index: usize,
        /// The output's name in the graph.
        name: String,
        /// Its shape as the graph declares it (-1 where dynamic).
        shape: Vec<i64>,
        /// What the output should hold.
        what: &'static str,
        /// The stride it belongs to.
        stride: u32,
        /// Rows it should have for a 640x640 input (dynamic sizes are accepted).
        cells: i64,
        /// The width its last axis should have.
        width: i64,
    },
}

impl ScrfdLayout {
    /// The layout that `count` outputs mean, as insightface decides it.
    pub fn from_output_count(count: usize) -> Result<Self, LayoutError> {
        match count {
            9 => Ok(Self {
                strides: vec![8, 16, 32],
                anchors: 2,
            }),
            15 => Ok(Self {
                strides: vec![8, 16, 32, 64, 128],
                anchors: 1,
            }),
            6 | 10 => Err(LayoutError::NoLandmarks(count)),
            other => Err(LayoutError::Count(other)),
        }
    }

    /// Checks each output's declared shape (`(name, shape)`, -1 for a dynamic axis) against
    /// this layout for an input of `input` (width, height).
    pub fn check_outputs(
        &self,
        outputs: &[(String, Vec<i64>)],
        input: (u32, u32),
    ) -> Result<(), LayoutError> {
        let levels = self.strides.len();
        for (index, (name, shape)) in outputs.iter().enumerate() {
            let (what, width) = match index / levels {
                0 => ("scores", 1),
                1 => ("boxes", 4),
                _ => ("landmarks", 10),
            };
            let stride = self.strides[index % levels];
            let cells = i64::from(input.0 / stride) * i64::from(input.1 / stride);
            let cells = cells * self.anchors as i64;
            let rows_fit = |rows: i64| rows == -1 || rows == cells;
            let fits = match shape.as_slice() {
                [rows, w] => rows_fit(*rows) && (*w == width || *w == -1),
                [batch, rows, w] => {
                    (*batch == 1 || *batch == -1) && rows_fit(*rows) && (*w == width || *w == -1)
                }
                _ => false,
            };
            if !fits {
                return Err(LayoutError::Shape {
                    index,
                    name: name.clone(),
                    shape: shape.clone(),
                    what,
                    stride,
                    cells,
                    width,
                });
            }
        }
        Ok(())
    }

    /// The faces in `outputs` (each output's values, batch axis dropped) scoring at least
    /// `min_score`, mapped back to the image through `letterbox`, overlaps above `iou`
    /// suppressed, best first.
    pub fn decode(
        &self,
        outputs: &[&[f32]],
        letterbox: &Letterbox,
        min_score: f32,
        iou: f32,
    ) -> Vec<Detection> {
        let levels = self.strides.len();
        let mut found = Vec::new();
        for (level, &stride) in self.strides.iter().enumerate() {
            let columns = (letterbox.input.0 / stride) as usize;
            let (scores, boxes, marks) = (
                outputs[level],
                outputs[level + levels],
                outputs[level + 2 * levels],
            );
            let anchors = scores.len().min(boxes.len() / 4).min(marks.len() / 10);
            for anchor in 0..anchors {
                let score = scores[anchor];
                // NaN never passes.
                if score.partial_cmp(&min_score).is_none_or(|o| o.is_lt()) {
                    continue;
                }
                let cell = anchor / self.anchors;
                let centre = [
                    ((cell % columns.max(1)) as u32 * stride) as f32,
                    ((cell / columns.max(1)) as u32 * stride) as f32,
                ];
                let s = stride as f32;
                let d = &boxes[anchor * 4..anchor * 4 + 4];
                let top_left = letterbox.to_image([centre[0] - d[0] * s, centre[1] - d[1] * s]);
                let bottom_right = letterbox.to_image([centre[0] + d[2] * s, centre[1] + d[3] * s]);
                let k = &marks[anchor * 10..anchor * 10 + 10];
                let landmarks = std::array::from_fn(|i| {
                    letterbox.to_image([centre[0] + k[2 * i] * s, centre[1] + k[2 * i + 1] * s])
                });
                found.push(Detection {
                    bbox: [top_left[0], top_left[1], bottom_right[0], bottom_right[1]],
                    score,
                    landmarks,
                });
            }
        }
        non_maximum_suppression(found, iou)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_counts_name_the_layout() {
        assert_eq!(ScrfdLayout::from_output_count(9).unwrap().anchors, 2);
        assert_eq!(ScrfdLayout::from_output_count(15).unwrap().strides.len(), 5);
        assert_eq!(
            ScrfdLayout::from_output_count(6),
            Err(LayoutError::NoLandmarks(6))
        );
        assert_eq!(
            ScrfdLayout::from_output_count(2),
            Err(LayoutError::Count(2))
        );
    }

    #[test]
    fn a_wrong_shape_is_named() {
        let layout = ScrfdLayout::from_output_count(9).unwrap();
        let mut outputs: Vec<(String, Vec<i64>)> = (0..9)
            .map(|i| {
                let width = [1, 4, 10][i / 3];
                (format!("out{i}"), vec![-1, width])
            })
            .collect();
        assert_eq!(layout.check_outputs(&outputs, (640, 640)), Ok(()));
        outputs[4].1 = vec![1, 800, 5];
        let error = layout.check_outputs(&outputs, (640, 640)).unwrap_err();
        assert!(error.to_string().contains("out4"), "{error}");
        assert!(error.to_string().contains("boxes of stride 16"), "{error}");
    }

    #[test]
    fn anchors_are_cell_corners_in_row_major_order() {
        // A 32x32 input: stride 8 has 4x4 cells, 16 has 2x2, 32 has 1; two anchors each.
        let layout = ScrfdLayout::from_output_count(9).unwrap();
        let letterbox = Letterbox::fit((64, 64), (32, 32));
        let mut scores = [vec![0.0; 32], vec![0.0; 8], vec![0.0; 2]];
        scores[0][2 * 6 + 1] = 0.9; // cell 6: column 2, row 1 of stride 8
        let boxes = [vec![1.0; 128], vec![1.0; 32], vec![1.0; 8]];
        let marks = [vec![0.5; 320], vec![0.5; 80], vec![0.5; 20]];
        let outputs: Vec<&[f32]> = scores
            .iter()
            .chain(&boxes)
            .chain(&marks)
            .map(Vec::as_slice)
            .collect();
        let faces = layout.decode(&outputs, &letterbox, 0.5, 0.4);
        assert_eq!(faces.len(), 1);
        // Centre (16, 8) in the input, ±8; the image is twice the input's size.
        assert_eq!(faces[0].bbox, [16.0, 0.0, 48.0, 32.0]);
        assert_eq!(faces[0].landmarks[0], [40.0, 24.0]);
        assert_eq!(faces[0].score, 0.9);
    }
}
