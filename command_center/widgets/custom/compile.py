"""Compile custom widgets' TSX once, server-side, cached by content hash.

The sandbox can compile with Babel itself, but a cold Babel in a fresh iframe costs
hundreds of milliseconds; evaluating the server's output (the same transform:
sandbox_runtime/plugins.js run by compile.js under bun) costs a few, and the frame then
never loads its 3.2 MB compiler. Compiled at persist, kept in memory and on disk
(`DATA_DIR/compiled-tsx/<sha256>.js`: every worker, and a restart, finds it; the key covers
the transform too, so output of an older loop guard or scope list is never served); the dashboard's
view model only reads the cache (`cached_js`) and warms it in the background on a miss, the
iframe loading compiler.js and compiling itself meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

from command_center.settings import get_settings
from command_center.widgets.custom.checks import (
    NODE_PROJECT,
    RUNTIME_DIR,
    CheckerUnavailable,
    run_bun_script,
)

COMPILE_SCRIPT = RUNTIME_DIR / "compile.js"
# what the output depends on besides the TSX: the transform, its scope list, Babel's version
COMPILER_FILES = (
    COMPILE_SCRIPT,
    RUNTIME_DIR / "plugins.js",
    RUNTIME_DIR / "scope.json",
    NODE_PROJECT / "node_modules" / "@babel" / "standalone" / "package.json",
)
CACHE_SIZE = 256
_cache: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()
_pending: set[str] = set()


class Compiled(BaseModel):
    """Compiled JS, or why the TSX does not compile (kind: syntax | scope)."""

    code: str = ""
    kind: str = ""
    message: str = ""


@lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """sha256 of the files the compiled output depends on (a missing one counts as empty)."""
    digest = hashlib.sha256()
    for path in COMPILER_FILES:
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def source_hash(tsx: str) -> str:
    """sha256 of the compiler's fingerprint and the TSX (the cache key): a changed loop guard,
    scope list or Babel never reuses output compiled by the old one (kept on disk)."""
    return hashlib.sha256(f"{compiler_fingerprint()}\0{tsx}".encode()).hexdigest()


def _disk_path(key: str) -> Path:
    return get_settings().data_dir / "compiled-tsx" / f"{key}.js"


def _remember(key: str, code: str) -> None:
    with _lock:
        _cache[key] = code
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _write_disk(key: str, code: str) -> None:
    """Atomically (a rename), so a reader in another worker never sees half a file."""
    path = _disk_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(code)
        os.replace(tmp, path)
    except OSError:
        pass  # memory still has it; another worker compiles its own


def _read_disk(key: str) -> str:
    try:
        return _disk_path(key).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def compile_sources(sources: list[str]) -> list[Compiled]:
    """Compile several sources in one bun process; successes enter the cache."""
    results = [Compiled.model_validate(r) for r in run_bun_script(COMPILE_SCRIPT, sources)]
    for tsx, result in zip(sources, results, strict=True):
        if result.code:
            _remember(source_hash(tsx), result.code)
            _write_disk(source_hash(tsx), result.code)
    return results


def cached_js(tsx: str, *, warm: bool = True) -> str:
    """The compiled JS when cached, else "" (and, with `warm`, compile in the background)."""
    key = source_hash(tsx)
    with _lock:
        code = _cache.get(key)
    if code is None and (code := _read_disk(key)):
        _remember(key, code)
    with _lock:
        if code or not warm or key in _pending:
            return code or ""
        _pending.add(key)

    def work() -> None:
        try:
            compile_sources([tsx])
        except (CheckerUnavailable, OSError, ValueError):
            pass  # the sandbox compiles it itself
        finally:
            with _lock:
                _pending.discard(key)

    threading.Thread(target=work, name="tsx-compile", daemon=True).start()
    return ""
