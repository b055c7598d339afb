//! A detected face, and overlapping detections reduced to the best of each group.

/// A face a detector found, in the pixels of the upright image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// `[x1, y1, x2, y2]`: the top-left and bottom-right corners.
    pub bbox: [f32; 4],
    /// The detector's confidence, 0 to 1.
    pub score: f32,
    /// Left eye, right eye, nose tip, left and right mouth corners (as seen in the image).
    pub landmarks: [[f32; 2]; 5],
}

impl Detection {
    /// Area as insightface's NMS counts it: corners inclusive, so one pixel more each way.
    fn area(&self) -> f32 {
        (self.bbox[2] - self.bbox[0] + 1.0) * (self.bbox[3] - self.bbox[1] + 1.0)
    }

    fn overlap(&self, other: &Self) -> f32 {
        let width =
            (self.bbox[2].min(other.bbox[2]) - self.bbox[0].max(other.bbox[0]) + 1.0).max(0.0);
        let height =
            (self.bbox[3].min(other.bbox[3]) - self.bbox[1].max(other.bbox[1]) + 1.0).max(0.0);
        let inter = width * height;
        inter / (self.area() + other.area() - inter)
    }
}

/// `detections` best first, each dropped that overlaps a better kept one by more than `iou`
/// (intersection over union), as insightface's `nms`.
pub fn non_maximum_suppression(mut detections: Vec<Detection>, iou: f32) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for candidate in detections {
        if kept.iter().all(|k| k.overlap(&candidate) <= iou) {
            kept.push(candidate);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(bbox: [f32; 4], score: f32) -> Detection {
        Detection {
            bbox,
            score,
            landmarks: [[0.0; 2]; 5],
        }
    }

    #[test]
    fn overlapping_boxes_keep_the_best_and_apart_ones_stay() {
        let kept = non_maximum_suppression(
            vec![
                boxed([0.0, 0.0, 9.0, 9.0], 0.8),
                boxed([1.0, 1.0, 10.0, 10.0], 0.9),
                boxed([50.0, 50.0, 59.0, 59.0], 0.75),
            ],
            0.4,
        );
        let scores: Vec<f32> = kept.iter().map(|d| d.score).collect();
        assert_eq!(scores, [0.9, 0.75]);
    }

    #[test]
    fn the_threshold_is_inclusive() {
        // Two 10x10 boxes (inclusive corners) sharing 5 columns: IoU = 50 / 150.
        let a = boxed([0.0, 0.0, 9.0, 9.0], 0.9);
        let b = boxed([5.0, 0.0, 14.0, 9.0], 0.8);
        assert!((a.overlap(&b) - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(
            non_maximum_suppression(vec![a, b], 1.0 / 3.0 + 1e-6).len(),
            2
        );
        assert_eq!(non_maximum_suppression(vec![a, b], 0.3).len(), 1);
    }
}
