# syntax=docker/dockerfile:1
# The requestor service. Build from the repository root:
#   docker build -f deployment/docker/requestor.dockerfile -t dcent-requestor .
ARG PYTHON_IMAGE=python:3.11.10-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# The Makefile's UV_VERSION (tests/deployment/test_docker.py checks they agree); build stage only.
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
    UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_PYTHON_PREFERENCE=only-system \
    UV_NO_CACHE=1 UV_LINK_MODE=copy
RUN pip install "uv==${UV_VERSION}"
WORKDIR /src
# Exactly what uv.lock pins (--frozen: never re-resolved), runtime dependencies and the msk-iam
# extra (production may use MSK over IAM); first without the project, a layer that changes only
# with the lock, then the project itself as a regular (not editable) install.
COPY pyproject.toml uv.lock README.md LICENSE ./
RUN uv sync --frozen --no-dev --extra msk-iam --no-editable --no-install-project
COPY shared ./shared
COPY requestor ./requestor
# Bytecode compiled at build time: the image runs with PYTHONDONTWRITEBYTECODE, and compiling
# every module at each start took ~4 s a process.
RUN uv sync --frozen --no-dev --extra msk-iam --no-editable --compile-bytecode

FROM ${PYTHON_IMAGE}
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app \
 && mkdir -p /app/var && chown 10001 /app/var
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    BIND_HOST=0.0.0.0 HTTP_PORT=8000
WORKDIR /app
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
CMD ["python", "-m", "requestor.main"]
