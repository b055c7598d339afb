from ._photon import Pipeline as Pipeline, __version__ as __version__

__all__ = ["Pipeline", "__version__"]
