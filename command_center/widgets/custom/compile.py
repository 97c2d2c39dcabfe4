"""Compile custom widgets' TSX once, server-side, cached by content hash.

The sandbox can compile with Babel itself, but a cold Babel in a fresh iframe costs
hundreds of milliseconds; evaluating the server's output (the same transform:
sandbox_runtime/plugins.js run by compile.js under bun) costs a few. Compiled at persist;
the dashboard's view model only reads the cache (`cached_js`) and warms it in the
background on a miss, the iframe falling back to its own Babel meanwhile.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from pydantic import BaseModel

from command_center.widgets.custom.checks import RUNTIME_DIR, CheckerUnavailable, run_bun_script

COMPILE_SCRIPT = RUNTIME_DIR / "compile.js"
CACHE_SIZE = 256
_cache: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()
_pending: set[str] = set()


class Compiled(BaseModel):
    """Compiled JS, or why the TSX does not compile (kind: syntax | scope)."""

    code: str = ""
    kind: str = ""
    message: str = ""


def source_hash(tsx: str) -> str:
    """sha256 of the TSX (the cache key)."""
    return hashlib.sha256(tsx.encode("utf-8")).hexdigest()


def compile_sources(sources: list[str]) -> list[Compiled]:
    """Compile several sources in one bun process; successes enter the cache."""
    results = [Compiled.model_validate(r) for r in run_bun_script(COMPILE_SCRIPT, sources)]
    with _lock:
        for tsx, result in zip(sources, results, strict=True):
            if result.code:
                _cache[source_hash(tsx)] = result.code
                _cache.move_to_end(source_hash(tsx))
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return results


def cached_js(tsx: str, *, warm: bool = True) -> str:
    """The compiled JS when cached, else "" (and, with `warm`, compile in the background)."""
    key = source_hash(tsx)
    with _lock:
        code = _cache.get(key)
        if code is not None or not warm or key in _pending:
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
