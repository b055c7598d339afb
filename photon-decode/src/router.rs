//! The decoder that routes each file, by its content, to the decoder registered for its format.

use crate::format::Format;
use photon_core::{
    DecodeError, DecodeFailure, DecodeRequest, DecodedImage, Decoder, ImageCrateDecoder,
};
use std::fmt;
use std::sync::Arc;

/// A [`Decoder`] made of decoders: each file goes to the one registered for its [`Format`]
/// (told from the content by [`Format::detect`], never from the name), and everything else to
/// the fallback.
///
/// A routed decoder that refuses a file as [unsupported](DecodeFailure::Unsupported) (libtiff and
/// floating-point samples, say) hands it to the fallback; when the fallback fails too, the routed
/// decoder's refusal is the verdict, as it knows the format better.
///
/// ```
/// use photon_core::{DecodeError, DecodeRequest, DecodedImage, Decoder, ImageCrateDecoder};
/// use photon_decode::{DecoderRouter, Format};
///
/// /// Refuses every PNG, to show a route replaced.
/// struct NoPng;
/// impl Decoder for NoPng {
///     fn decode(&self, _: &[u8], _: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
///         Err(DecodeError::Malformed("no PNG today".into()))
///     }
/// }
///
/// let router = DecoderRouter::new(ImageCrateDecoder).route(Format::Png, NoPng);
/// let png = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/photos/coffee.png")).unwrap();
/// let refusal = router.decode(&png, &DecodeRequest::default()).unwrap_err();
/// assert_eq!(refusal.to_string(), "malformed image data: no PNG today");
/// let dog = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/photos/dog.jpg")).unwrap();
/// assert_eq!(router.decode(&dog, &DecodeRequest::default()).unwrap().pixels.width(), 768);
/// // A second route for PNG replaces the first.
/// let again = router.route(Format::Png, ImageCrateDecoder);
/// assert!(again.decode(&png, &DecodeRequest::default()).is_ok());
/// ```
#[derive(Clone)]
pub struct DecoderRouter {
    routes: Vec<(Format, Arc<dyn Decoder>)>,
    fallback: Arc<dyn Decoder>,
}

impl DecoderRouter {
    /// A router with no routes: every file goes to `fallback`.
    pub fn new(fallback: impl Decoder + 'static) -> Self {
        Self {
            routes: Vec::new(),
            fallback: Arc::new(fallback),
        }
    }

    /// The same router, sending `format` to `decoder` (in place of any decoder it had for it).
    pub fn route(mut self, format: Format, decoder: impl Decoder + 'static) -> Self {
        let decoder: Arc<dyn Decoder> = Arc::new(decoder);
        match self.routes.iter_mut().find(|(f, _)| *f == format) {
            Some(route) => route.1 = decoder,
            None => self.routes.push((format, decoder)),
        }
        self
    }

    /// The same router without a route for `format`: such files go to the fallback.
    pub fn without(mut self, format: Format) -> Self {
        self.routes.retain(|(f, _)| *f != format);
        self
    }

    /// The formats that have a decoder of their own, in the order they were added.
    pub fn formats(&self) -> impl Iterator<Item = Format> + '_ {
        self.routes.iter().map(|(format, _)| *format)
    }

    /// The decoder registered for `format`, if any.
    pub fn decoder_for(&self, format: Format) -> Option<&Arc<dyn Decoder>> {
        self.routes
            .iter()
            .find(|(f, _)| *f == format)
            .map(|(_, decoder)| decoder)
    }
}

impl Default for DecoderRouter {
    /// A router with no routes, falling back to [`ImageCrateDecoder`].
    fn default() -> Self {
        Self::new(ImageCrateDecoder)
    }
}

impl fmt::Debug for DecoderRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecoderRouter")
            .field("routes", &self.formats().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Decoder for DecoderRouter {
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        let routed = Format::detect(bytes).and_then(|format| self.decoder_for(format));
        let Some(decoder) = routed else {
            return self.fallback.decode(bytes, req);
        };
        match decoder.decode(bytes, req) {
            Err(refusal) if refusal.failure() == DecodeFailure::Unsupported => {
                self.fallback.decode(bytes, req).map_err(|_| refusal)
            }
            decoded => decoded,
        }
    }
}
