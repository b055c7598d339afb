"""Type stubs of the extension module; the docs of each member are on the class itself."""

from os import PathLike
from typing import Optional, Sequence, Union

import numpy
import pyarrow

__version__: str

_Path = Union[str, "PathLike[str]"]

class Pipeline:
    """Runs Photon over images: content hash, metadata, perceptual hash, thumbnail, embedding and
    tags, one row per input in a ``pyarrow.Table`` with the Parquet output's schema.

    Args:
        models_dir: where models and ONNX Runtime are installed (``photon models fetch``);
            default ``$PHOTON_MODELS``, else ``./models`` when it holds models, else
            ``~/.local/share/photon/models``.
        model: a model folder (Photon's layout, a Hugging Face CLIP/SigLIP export, or immich's
            layout); default
            EfficientNet-Lite0 from ``models_dir`` when installed, else no embeddings.
        backend: ``"ort"`` (ONNX Runtime) or ``"tract"`` (pure Rust).
        device: ``"cpu"``, or ``"cuda"``/``"cuda:N"`` (ONNX Runtime's CUDA provider from
            ``photon models fetch --gpu``); a GPU that cannot be used raises RuntimeError and
            never falls back to the CPU.
        thumbnail_size: longest side of the JPEG thumbnails, 1-4096; ``None`` for none.
        exif: read camera metadata.
        perceptual_hash: compute the 64-bit DCT hash.
        embedding: run the model (``False``: no embeddings, no tags).
        tags: tag images (a classifier's labels, or zero-shot with a CLIP/SigLIP text tower).
        parallel: images decoded at once; default the number of cores.
        threads: model threads; given, the model runs as one session of that many threads
            (a Ray actor's CPU allotment), else as two sessions sharing the cores.
        faces: a face model folder (immich's facial-recognition layout or an insightface pack
            such as buffalo_l): the ``faces`` column lists each image's faces (``box``,
            ``score``, ``landmarks``, ``embedding``); ``None``: no face stage. Photon ships no
            face model: insightface's packs are for non-commercial research only.
        face_min_score: smallest detector score of a face kept (0-1; immich's 0.7).
        max_faces: most faces kept per image, the best scores (``faces_found`` counts the rest).
        describe: describe each image in a sentence or two with a vision-language model, the
            ``description`` column a struct (``text``, ``provider``, ``model``,
            ``prompt_hash``, ``input_tokens``, ``output_tokens``): ``"openai"`` or
            ``"anthropic"`` (their own APIs, the key from ``OPENAI_API_KEY`` /
            ``ANTHROPIC_API_KEY`` or ``api_key_file``), or a local OpenAI-compatible server at
            its usual address: ``"ollama"``, ``"llama-server"``, ``"lmstudio"``, ``"vllm"``.
            Only a JPEG re-encoded at ``describe_size`` is sent, with no metadata unless
            ``describe_send_exif``; a failure is an error of stage ``describe`` in the row's
            ``errors``, its other columns kept.
        describe_url: the server's base URL, up to its version (``http://HOST:PORT/v1``).
        describe_model: the model (default for openai ``gpt-4o-mini``, for anthropic
            ``claude-haiku-4-5``; a local server needs one named).
        describe_prompt: what the model is asked (default: one or two factual sentences).
        describe_max_tokens: the longest description, in tokens.
        describe_parallel: requests in flight at once (at least 1).
        describe_timeout: longest one request may take, in seconds.
        describe_max_requests: requests in the pipeline's life at most, retries included.
        describe_size: longest side of the JPEG sent, 64-4096.
        describe_send_exif: also tell the model the photo's EXIF facts (time, camera, GPS).
        api_key_file: a file holding the API key; keys are never printed or written to rows.

    Raises:
        ValueError: an argument out of range, or a model folder that does not exist.
        RuntimeError: the model or ONNX Runtime could not be loaded.
    """

    def __init__(
        self,
        models_dir: Optional[_Path] = None,
        model: Optional[_Path] = None,
        backend: str = "ort",
        device: str = "cpu",
        thumbnail_size: Optional[int] = 256,
        exif: bool = True,
        perceptual_hash: bool = True,
        embedding: bool = True,
        tags: bool = True,
        parallel: Optional[int] = None,
        threads: Optional[int] = None,
        faces: Optional[_Path] = None,
        face_min_score: float = 0.7,
        max_faces: int = 100,
        describe: Optional[str] = None,
        describe_url: Optional[str] = None,
        describe_model: Optional[str] = None,
        describe_prompt: Optional[str] = None,
        describe_max_tokens: int = 200,
        describe_parallel: int = 4,
        describe_timeout: float = 60.0,
        describe_max_requests: Optional[int] = None,
        describe_size: int = 768,
        describe_send_exif: bool = False,
        api_key_file: Optional[_Path] = None,
    ) -> None: ...
    def process(self, paths: Sequence[_Path]) -> pyarrow.Table:
        """Processes image files; one row per path, in order. A file that cannot be read or
        decoded is an error row (``error.stage``, ``error.kind``, ``error.message``), never an
        exception. The GIL is released while the images are processed."""
    def process_bytes(
        self,
        data: Union[Sequence[bytes], pyarrow.Array, pyarrow.ChunkedArray],
        names: Union[Sequence[str], pyarrow.Array, pyarrow.ChunkedArray],
    ) -> pyarrow.Table:
        """Processes encoded images held in memory, each named by ``names`` (the rows'
        ``file_path``); one row per image, in order. ``data`` may be a pyarrow binary array
        and ``names`` a string array (a table's columns): they cross through the C data
        interface, with no Python object per image. A null image becomes an error row."""
    def embed_text(self, texts: Sequence[str]) -> numpy.ndarray:
        """Embeds texts with the model's text tower (CLIP/SigLIP) into its image embeddings'
        space: float32, shape ``(len(texts), dim)``, rows L2-normalised. Raises ``ValueError``
        when the model has no text tower."""
    @property
    def schema(self) -> pyarrow.Schema:
        """The schema of the tables this pipeline returns."""
    @property
    def model_id(self) -> Optional[str]:
        """The id of the model behind the embeddings, or ``None`` without a model."""
