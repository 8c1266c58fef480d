"""Pickling by identity (docs/adr/0031-pickling-by-identity.md).

What Go made lives in one process's Go runtime, but much of it can be named: a Go function is
(module, version, package, name), a record or a value type's instance is its Go type's key plus
its plain fields or value. These pickle as such names, and the receiving process re-imports the
module (loading the very artifact the sender used when that directory exists there, else
``usegolib.import_`` of the same target: the absolute directory of a local module, the module
path at its version, or the standard-library package) and looks the name up again. A Go object
(a handle) names a value in one runtime and refuses to pickle.

A module's identity, ``ModuleRef``, is a plain tuple ``(module path, version, target, artifact
directory)``; the reconstruct functions below are what a pickle names (``usegolib._pickle.
function`` and so on), so they keep their names and arguments across releases.
"""

from __future__ import annotations

import copyreg
import enum
import json
import os
import threading
from typing import Any

from usegolib import _native

#: (module path, version, target to import_, artifact directory the sender loaded).
ModuleRef = tuple[str, str, str, str]

_REFS: dict[str, ModuleRef] = {}
# The module each identity resolved to (modules are never unloaded): later values of the same
# module unpickle without looking it up again.
_RESOLVED: dict[ModuleRef, _native.GoModule] = {}
_LOCK = threading.Lock()

#: How many times this process loaded each module to unpickle something (module path -> count):
#: at most once, as a module is never loaded twice (docs/adr/0009). Shown by the tests of a
#: Dask cluster, where each worker loads the cached artifact once for many tasks.
loads: dict[str, int] = {}


def module_ref(module: _native.GoModule) -> ModuleRef:
    """The identity of a loaded module, computed once per module."""
    path = module.path
    ref = _REFS.get(path)
    if ref is None:
        manifest = json.loads(module.manifest_json())
        source = manifest.get("source_dir") or ""
        version = module.version
        # A local module is found again by its absolute directory; a module by its path (and
        # version); the standard library by the package asked for (see _load).
        target = source if version == "local" and source else path
        ref = (path, version, target, module.artifact_dir)
        _REFS[path] = ref
    return ref


def _loaded(path: str) -> _native.GoModule | None:
    for m in _native.loaded_modules():
        if m.path == path:
            return m
    return None


def _load(ref: ModuleRef, package: str, generic: str | None = None) -> _native.GoModule:
    """The module named by ``ref`` in this process: the one loaded, else the sender's artifact
    directory when it exists here (same machine, or a cache on shared storage), else imported
    by its target into this process's cache (``USEGOLIB_CACHE_DIR``), building when needed."""
    m = _RESOLVED.get(ref)
    if m is not None:
        return m
    m = _RESOLVED[ref] = _find(ref, package, generic)
    return m


def _same(ref: ModuleRef, m: _native.GoModule) -> _native.GoModule:
    """``m`` when it is the module ``ref`` names (its path and version, and for a local module
    its directory), else VersionConflictError naming both."""
    path, version, target, _ = ref
    have_path, have, have_target, _ = module_ref(m)
    if have_path != path or have != version or (version == "local" and have_target != target):
        from usegolib.errors import VersionConflictError

        def shown(p: str, v: str, t: str) -> str:
            return f"{p} {v} from {t}" if v == "local" else f"{p} {v}"

        raise VersionConflictError(
            f"cannot unpickle a value of {shown(path, version, target)}: this process has "
            f"{shown(have_path, have, have_target)} loaded (one version of a module per process)"
        )
    return m


def _find(ref: ModuleRef, package: str, generic: str | None) -> _native.GoModule:
    path, version, target, artifact_dir = ref
    m = _loaded(path)
    if m is not None:
        return _same(ref, m)
    with _LOCK:
        m = _loaded(path)
        if m is not None:
            return _same(ref, m)
        if artifact_dir and os.path.isfile(os.path.join(artifact_dir, "manifest.json")):
            m = _native.load_artifact(artifact_dir)
            _native.restore_go_signal_handlers()
        else:
            import usegolib

            if version == "local" and not os.path.isabs(target):
                # Importing the module path would build its latest version: not this one.
                from usegolib.errors import VersionConflictError

                raise VersionConflictError(
                    f"cannot unpickle a value of {path} local: its directory is not recorded "
                    "and its artifact is not here (a local module is not fetched by its path)"
                )
            std = path == "std"
            usegolib.import_(
                package if std else target,
                None if version == "local" else version,
                generics=[generic] if generic else [],
                also=[] if std or package == path or package.startswith(path + "/") else [package],
            )
            m = _loaded(path)
            if m is None:  # pragma: no cover - import_ loads the module it returns
                raise RuntimeError(f"usegolib.import_ did not load {path}")
        # What was loaded is checked before it answers for the pickle's module.
        _same(ref, m)
        loads[path] = loads.get(path, 0) + 1
        _REFS.setdefault(path, ref)
        return m


def _classes(module: _native.GoModule) -> dict[str, type]:
    from usegolib._package import _module_classes

    return _module_classes(module)


_CLASS_CACHE: dict[tuple[ModuleRef, str], type] = {}


def _class(ref: ModuleRef, key: str) -> type:
    """The Python class of a Go type (``<import path>.<Name>``, ``@``-prefixed for the fields
    of a Go object type) of the module ``ref``."""
    cls = _CLASS_CACHE.get((ref, key))
    if cls is not None:
        return cls
    package = key.removeprefix("@").rsplit(".", 1)[0]
    cls = _classes(_load(ref, package)).get(key)
    if cls is None:
        from usegolib.errors import SymbolNotFoundError

        raise SymbolNotFoundError(
            f"cannot unpickle a value of Go type {key}: {ref[0]} {ref[1]} has no such type"
        )
    _CLASS_CACHE[(ref, key)] = cls
    return cls


# --- Reconstructors: the names a pickle holds. ----------------------------------------------


def package(ref: ModuleRef, path: str) -> Any:
    """A Go package (``GoPackage``) by its module and import path."""
    from usegolib._package import package_for

    return package_for(_load(ref, path), path)


def function(ref: ModuleRef, package_path: str, kind: str, py_name: str, go_name: str) -> Any:
    """A Go function by reference: the package's own object (``pickle.loads(pickle.dumps(f))
    is f`` in the process that made it), an instantiation of a generic function, or a method of
    a Go type's class."""
    generic = f"{package_path}.{go_name}" if kind == "generic" else None
    module = _load(ref, package_path, generic)
    found: Any = None
    if kind == "function":
        found = getattr(package(ref, package_path), py_name, None)
    elif kind == "generic":
        g = getattr(package(ref, package_path), py_name, None)
        instances = getattr(g, "instances", {})
        found = next((f for f in instances.values() if f.go_name == go_name), None)
    elif kind == "method":
        receiver, _, _ = go_name.rpartition(".")
        cls = _classes(module).get(f"{package_path}.{receiver}")
        found = None if cls is None else cls.__dict__.get(py_name)
    if found is None:
        from usegolib._package import _decorate

        found = _decorate(module.function(package_path, go_name))
    return found


def function_with_result(
    ref: ModuleRef, package_path: str, kind: str, py_name: str, go_name: str, form: str
) -> Any:
    """``function(...).with_result(form)``: a function whose slices of numbers come back as
    ``array.array`` or ``memoryview`` objects."""
    return function(ref, package_path, kind, py_name, go_name).with_result(form)


def record(ref: ModuleRef, key: str) -> Any:
    """A record of a Go struct type with no fields set yet: ``cls.__new__(cls)`` only makes the
    instance (``RecordBase``'s ``tp_new``; its ``__init__`` sets the fields), and pickle sets
    them from the state next."""
    cls: Any = _class(ref, key)
    return cls.__new__(cls)


def value(ref: ModuleRef, key: str, plain: Any) -> Any:
    """An instance of a Go value type (an ``IntEnum`` member, an ``int``/``list``/``dict``...
    subclass) from its plain value."""
    return _class(ref, key)(plain)


# --- Reducers. ------------------------------------------------------------------------------


def _ref_of_class(cls: type) -> ModuleRef:
    path = cls.__usegolib_module__  # type: ignore[attr-defined]
    ref = _REFS.get(path)
    if ref is None:
        m = _loaded(path)
        if m is None:  # pragma: no cover - a class exists only for a loaded module
            raise TypeError(f"cannot pickle {cls.__qualname__}: module {path} is not loaded")
        ref = module_ref(m)
    return ref


def reduce_record(self: Any) -> tuple[Any, ...]:
    cls = type(self)
    return (record, (_ref_of_class(cls), cls.__usegolib_pickle_key__), dict(self.__dict__))


def reduce_value(self: Any, protocol: Any = None) -> tuple[Any, ...]:
    cls = type(self)
    base = next(b for b in (int, float, str, bytes, list, dict) if isinstance(self, b))
    return (value, (_ref_of_class(cls), cls.__usegolib_pickle_key__, base(self)))


def refuse_object(self: Any, protocol: Any = None) -> Any:
    raise TypeError(
        f"cannot pickle or copy a Go object of type {type(self).__usegolib_key__}: it is a handle "
        "to a value in this process's Go runtime; send the function that makes it, or its "
        "fields (a record), instead"
    )


def reduce_function(fn: _native.GoFunction) -> tuple[Any, ...]:
    ref = module_ref(fn.go_module)
    args = (ref, fn.go_package, fn.kind, fn.py_name, fn.go_name)
    form = fn.result_form
    if form != "list":
        # fn.with_result(form): the same function, its numeric slices in the same form.
        return (function_with_result, (*args, form))
    return (function, args)


def reduce_bound_method(m: Any) -> tuple[Any, ...]:
    # The receiver, a Go object, refuses with its type's name.
    return (getattr, (m.__self__, m.__func__.py_name))


def reduce_package(pkg: Any) -> tuple[Any, ...]:
    return (package, (module_ref(pkg._go_module), pkg._go_path))


def reduce_generic(g: Any) -> tuple[Any, ...]:
    first = next(iter(g.instances.values()))
    return (getattr, (package(module_ref(first.go_module), g.go_package), g.__name__))


class GoType(type):
    """The metaclass of the classes made for Go types (records, value types, Go objects): such
    a class pickles by identity (``copyreg``, keyed by the metaclass), as its instances do."""


# The metaclass of the generated record classes: a GoType whose classes are called through a
# vectorcall in C (usegolib-py's fast.rs, docs/adr/0033), `type_call` for anything it does
# not take (positional arguments, a keyword that is no field's interned name, a class whose
# `__new__` or `__init__` was replaced). `type(Point)` is it.
RecordMeta: type = _native.record_meta(GoType)


class GoEnumType(type(enum.IntEnum)):  # type: ignore[misc]
    """The same, for the ``IntEnum`` classes of Go integer types with constants."""


class GoIntEnum(enum.IntEnum, metaclass=GoEnumType):
    """The base of the ``IntEnum`` class of a Go integer type with constants."""


def go_class(ref: ModuleRef, key: str) -> type:
    """The class of a Go type by its module and key."""
    return _class(ref, key)


def reduce_class(cls: type) -> Any:
    if "__usegolib_module__" not in vars(cls):
        return cls.__qualname__  # GoIntEnum itself: by its name, as any class
    return (go_class, (_ref_of_class(cls), cls.__usegolib_pickle_key__))  # type: ignore[attr-defined]


def mark_classes(module: _native.GoModule, classes: dict[str, type]) -> None:
    """Makes the module's classes pickle by identity: records and value types by their key,
    Go object classes refusing."""
    path = module.path
    for key, cls in classes.items():
        cls.__usegolib_module__ = path  # type: ignore[attr-defined]
        # The key it is registered under: a Go object type's fields record is "@" + the key.
        cls.__usegolib_pickle_key__ = key  # type: ignore[attr-defined]
        if issubclass(cls, _native.GoObject):
            cls.__reduce_ex__ = refuse_object  # type: ignore[assignment,method-assign]
        elif hasattr(cls, "__dataclass_fields__"):
            cls.__reduce__ = reduce_record  # type: ignore[assignment,method-assign]
        else:
            cls.__reduce_ex__ = reduce_value  # type: ignore[assignment,method-assign]


copyreg.pickle(GoType, reduce_class)
copyreg.pickle(RecordMeta, reduce_class)
copyreg.pickle(GoEnumType, reduce_class)
copyreg.pickle(_native.GoFunction, reduce_function)
copyreg.pickle(_native.GoMethod, reduce_bound_method)
