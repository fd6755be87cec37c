# syntax=docker/dockerfile:1
# leadmover's image, following uv's Docker guide: a build stage installs exactly what uv.lock pins (with the
# PostgreSQL driver), and a slim run stage takes only the virtual environment and runs it as a user that is not root.
# tests/ops/test_deploy_files.py holds its commands, settings and ports to the CLI; tests/ops/test_uv_sync.py builds
# what it builds, the same way, and serves from it.

FROM ghcr.io/astral-sh/uv:python3.12-bookworm-slim AS build
# Bytecode compiled at build time starts the app faster; copies, not links, since the cache is a mount.
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=0
WORKDIR /app
# The dependencies alone first: this layer is rebuilt only when uv.lock or pyproject.toml change.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-install-project --no-dev --extra postgres
COPY . /app
# Installed as a package, not a link to the sources, so the run stage needs nothing but the environment.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --extra postgres --no-editable

FROM python:3.12-slim-bookworm
RUN groupadd --system --gid 10001 leadmover \
    && useradd --system --uid 10001 --gid leadmover --home-dir /app --no-create-home leadmover \
    && mkdir -p /app /data && chown leadmover:leadmover /data
COPY --from=build --chown=leadmover:leadmover /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:$PATH"
# /data is where an SQLite file can live on a volume (DATABASE_URL=sqlite:////data/leadmover.db); replicas need
# PostgreSQL instead.
WORKDIR /data
USER leadmover
# serve --http: Slack's requests, /healthz, /readyz and /metrics, all on one port.
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:3000/readyz', timeout=4)"]
CMD ["leadmover", "serve", "--http"]
