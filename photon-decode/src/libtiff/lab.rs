//! 8-bit CIELAB TIFFs converted to sRGB here rather than by libtiff, whose conversion takes the
//! file's D50 colours straight into sRGB's D65 primaries without adapting the white: every
//! picture comes out yellow (blue 17 levels low on hopper). Here: L*a*b* (D50) to XYZ, Bradford
//! adaptation to D65, then sRGB.

/// Converts rows of 8-bit L*, a*, b* triples (a* and b* signed, as TIFF's CIELAB stores them)
/// to 8-bit sRGB.
pub(super) fn lab8_to_srgb(rows: &[Vec<u8>], width: usize) -> Vec<u8> {
    rows.iter()
        .flat_map(|row| {
            row.chunks_exact(3).take(width).flat_map(|lab| {
                let l = f64::from(lab[0]) * 100.0 / 255.0;
                let (a, b) = (f64::from(lab[1] as i8), f64::from(lab[2] as i8));
                xyz_d50_to_srgb(lab_to_xyz_d50(l, a, b))
            })
        })
        .collect()
}

fn lab_to_xyz_d50(l: f64, a: f64, b: f64) -> [f64; 3] {
    const WHITE_D50: [f64; 3] = [0.9642, 1.0, 0.8249];
    const EPSILON: f64 = 6.0 / 29.0;
    let inverse = |t: f64| {
        if t > EPSILON {
            t * t * t
        } else {
            3.0 * EPSILON * EPSILON * (t - 4.0 / 29.0)
        }
    };
    let fy = (l + 16.0) / 116.0;
    let f = [fy + a / 500.0, fy, fy - b / 200.0];
    [0, 1, 2].map(|i| WHITE_D50[i] * inverse(f[i]))
}

fn xyz_d50_to_srgb(xyz: [f64; 3]) -> [u8; 3] {
    /// Bradford D50 to D65, then XYZ to linear sRGB, as one matrix.
    const D50_TO_LINEAR_SRGB: [[f64; 3]; 3] = [
        [3.1338561, -1.6168667, -0.4906146],
        [-0.9787684, 1.9161415, 0.0334540],
        [0.0719453, -0.2289914, 1.4052427],
    ];
    D50_TO_LINEAR_SRGB.map(|row| {
        let linear = row[0] * xyz[0] + row[1] * xyz[1] + row[2] * xyz[2];
        let encoded = if linear <= 0.003_130_8 {
            12.92 * linear
        } else {
            1.055 * linear.powf(1.0 / 2.4) - 0.055
        };
        (encoded.clamp(0.0, 1.0) * 255.0).round() as u8
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_grey_and_black_stay_neutral() {
        let row = vec![255, 0, 0, 119, 0, 0, 0, 0, 0];
        let rgb = lab8_to_srgb(&[row], 3);
        assert_eq!(&rgb[0..3], &[255, 255, 255]);
        assert!(rgb[3..6].iter().all(|c| c.abs_diff(rgb[3]) <= 1), "{rgb:?}");
        assert_eq!(&rgb[6..9], &[0, 0, 0]);
    }
}
