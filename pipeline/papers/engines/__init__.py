"""The two engines that render the papers: genuine Quarto, and a built-in Pandoc + Typst engine.

``render_document`` is the entry point; ``common`` holds the engine choice
(``CP_ENGINE``, ``CP_QUARTO``), ``shortcodes`` and ``builtin`` the built-in
engine, ``quarto`` the Quarto engine and ``office`` the Word and PowerPoint
finishing both share.
"""
from pipeline.papers.engines.common import (  # noqa: F401
    DEFAULT_EPOCH, FORMATS, QUARTO_MIN_VERSION, SYNTHETIC_NOTICE, RenderError, RenderResult, ShortcodeError,
    choose, engine_name, fallback_engine_name, pandoc_path, quarto_executable, quarto_version, requested_engine,
)
from pipeline.papers.engines.document import render_document  # noqa: F401
from pipeline.papers.engines.office import finish_docx, finish_pptx, normalise_zip  # noqa: F401
from pipeline.papers.engines.shortcodes import (  # noqa: F401
    FRONT_MATTER_KEYS, SHORTCODES, expand_shortcodes, lookup_variable, read_source,
)
