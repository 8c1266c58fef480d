"""Type stubs of the native module (hand-written; see usegolib-py/src)."""

from collections.abc import Callable
from typing import Any

__version__: str
ABI_VERSION: int

class UsegolibError(Exception): ...

class GoError(UsegolibError):
    message: str
    go_type: str
    function: str

class GoPanicError(UsegolibError):
    value: str
    go_type: str
    stack: str
    function: str

class UnsupportedSignatureError(UsegolibError):
    reason: str
    function: str

class ArtifactNotFoundError(UsegolibError): ...

class AmbiguousArtifactError(UsegolibError):
    versions: list[str]

class VersionConflictError(UsegolibError): ...
class LoadError(UsegolibError): ...
class AbiVersionError(LoadError): ...

class BuildError(UsegolibError):
    output: str
    phase: str

class SymbolNotFoundError(UsegolibError): ...
class ObjectClosedError(UsegolibError): ...

class GoFunction:
    __name__: str
    __qualname__: str
    __doc__: str | None
    go_package: str
    go_name: str
    go_signature: str
    go_doc: str
    params: list[tuple[str, str, str]]
    results: list[tuple[str, str, str]]
    returns_error: bool
    variadic: bool
    receiver: str | None
    var: str | None
    generic: tuple[str, list[str]] | None
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
    def __get__(self, obj: Any, owner: Any = None) -> Any: ...

class GoMethod:
    __func__: GoFunction
    __self__: GoObject
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

class GoObject:
    go_handle: int
    go_type: str
    closed: bool
    def close(self) -> None: ...
    def __enter__(self) -> GoObject: ...
    def __exit__(self, *exc: object) -> bool: ...

class FloorFunction:
    def __call__(self, a: int, b: int) -> int: ...

class GoModule:
    path: str
    version: str
    artifact_dir: str
    def manifest_json(self) -> str: ...
    def packages(self) -> list[str]: ...
    def functions(self, package: str) -> list[GoFunction]: ...
    def skipped(self, package: str) -> list[tuple[str, str, str]]: ...
    def package_doc(self, package: str) -> str: ...
    def function(self, package: str, name: str) -> GoFunction: ...
    def function_by_id(self, id: int) -> GoFunction: ...
    def types(self, package: str) -> list[tuple[str, str, str, str, int | None]]: ...
    def fields(self, key: str) -> list[tuple[str, str, str, str, str, bool]]: ...
    def register_class(self, key: str, cls: type, record: bool = False) -> None: ...
    def suggest(self, package: str, name: str) -> list[str]: ...
    def _release(self, id: int) -> None: ...
    def _floor(self, name: str, detach: bool = False) -> FloorFunction: ...

def import_module(
    target: str,
    version: str | None = None,
    artifact_dir: str | None = None,
    build: str = "missing",
    progress: Callable[[str], None] | None = None,
    generics: list[str] = ...,
) -> tuple[GoModule, str]: ...
def build_target(
    target: str,
    version: str | None = None,
    artifact_dir: str | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    generics: list[str] = ...,
) -> tuple[str, str]: ...
def _set_helpers(
    time_to_wire: Callable[..., Any],
    time_from_wire: Callable[..., Any],
    duration_to_wire: Callable[..., Any],
    duration_from_wire: Callable[..., Any],
) -> None: ...
def load_artifact(path: str) -> GoModule: ...
def default_artifact_root() -> str: ...
def list_artifacts(root: str) -> list[tuple[str, str | None]]: ...
def fingerprint(dir: str) -> str: ...
def host_platform() -> tuple[str, str]: ...
def loaded_modules() -> list[GoModule]: ...
