"""Go packages as Python namespaces."""

from __future__ import annotations

import inspect
import threading
from typing import Any

from usegolib import _native
from usegolib.errors import UnsupportedSignatureError

_WIRE_TO_PY: dict[str, Any] = {
    "bool": bool,
    "string": str,
    "bytes": bytes,
    "float32": float,
    "float64": float,
}


def _annotation(wire: str) -> Any:
    if wire.startswith("[]"):
        return list[_annotation(wire[2:])]  # type: ignore[misc]
    if wire.startswith(("int", "uint")):
        return int
    return _WIRE_TO_PY.get(wire, Any)


def _return_annotation(fn: _native.GoFunction) -> Any:
    results = [_annotation(w) for _, _, w in fn.results]
    if not results:
        return None
    if len(results) == 1:
        return results[0]
    return tuple[tuple(results)]  # type: ignore[misc]


def _decorate(fn: _native.GoFunction) -> _native.GoFunction:
    doc = fn.go_doc.strip()
    sig = f"Go: {fn.go_package}.{fn.go_signature.removeprefix('func ')}"
    fn.__doc__ = f"{doc}\n\n{sig}" if doc else sig
    params = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=_annotation(w))
        for name, _go, w in fn.params
    ]
    fn.__signature__ = inspect.Signature(params, return_annotation=_return_annotation(fn))
    return fn


class SkippedFunction:
    """An exported Go function whose signature usegolib does not support; calling it raises
    UnsupportedSignatureError with the recorded reason."""

    def __init__(self, package: str, name: str, signature: str, reason: str) -> None:
        self.__name__ = name
        self.go_package = package
        self.go_signature = signature
        self.reason = reason
        self.__doc__ = f"Not supported by usegolib: {reason}\n\nGo: {package}.{signature}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        err = UnsupportedSignatureError(
            f"{self.go_package}.{self.__name__} is not supported: {self.reason}"
        )
        err.reason = self.reason
        err.function = f"{self.go_package}.{self.__name__}"
        raise err

    def __repr__(self) -> str:
        short = self.go_package.rsplit("/", 1)[-1]
        return f"<go func {short}.{self.__name__} (unsupported: {self.reason})>"


class GoPackage:
    """A Go package: its exported functions are attributes.

    Supported functions are ``GoFunction`` objects (with ``__doc__`` and ``__signature__`` from
    the Go source); skipped ones are ``SkippedFunction`` objects that raise
    ``UnsupportedSignatureError`` when called. Every package of one Go module shares the
    module's single Go runtime.
    """

    def __init__(self, module: _native.GoModule, path: str) -> None:
        d = self.__dict__
        d["_go_module"] = module
        d["_go_path"] = path
        d["__doc__"] = module.package_doc(path) or None
        names = []
        for fn in module.functions(path):
            d[fn.__name__] = _decorate(fn)
            names.append(fn.__name__)
        for name, signature, reason in module.skipped(path):
            d[name] = SkippedFunction(path, name, signature, reason)
            names.append(name)
        d["_go_names"] = tuple(sorted(names))

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: an unknown name.
        if name.startswith("__"):
            raise AttributeError(name)
        hints = self._go_module.suggest(self._go_path, name)
        hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
        raise AttributeError(f"Go package {self._go_path} has no exported function {name!r}{hint}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot set {name!r}: Go package namespaces are read-only")

    def __dir__(self) -> list[str]:
        return list(self._go_names)

    def __repr__(self) -> str:
        m = self._go_module
        return f"<usegolib package '{self._go_path}' ({m.path} {m.version})>"

    def __reduce__(self) -> tuple[Any, ...]:
        from usegolib import import_

        return (import_, (self._go_path,), {"version": self._go_module.version})


_CACHE: dict[tuple[str, str], GoPackage] = {}
_LOCK = threading.Lock()


def package_for(module: _native.GoModule, path: str) -> GoPackage:
    """The one GoPackage object of a package in this process."""
    key = (module.path, path)
    with _LOCK:
        pkg = _CACHE.get(key)
        if pkg is None:
            pkg = _CACHE[key] = GoPackage(module, path)
        return pkg
