# mockoci: a local emulator of OCI Block Storage volume backups, as a container.
#   docker build -t mockoci .
#   docker run --rm -p 12000:12000 -v "$PWD/fixtures:/fixtures:ro" mockoci
#   docker run --rm -p 12000:12000 -p 12001:12001 -e MOCKOCI_PROXY_PORT=12001 mockoci   # + the HTTPS proxy
# Configured only by MOCKOCI_* environment variables (see docs/docker.md).
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mockoci ./mockoci
# The venv gets the project and its dependencies (wheels only: no compiler in either stage), then loses
# pip and setuptools, which the running server does not need.
RUN python3 -m venv /opt/mockoci \
 && /opt/mockoci/bin/pip install --no-cache-dir --only-binary=:all: . \
 && /opt/mockoci/bin/pip uninstall -y -q pip setuptools

FROM ${BASE_IMAGE}

RUN groupadd --gid 10001 mockoci \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mockoci \
 && mkdir /fixtures \
 && mkdir -p /var/lib/mockoci && chown 10001:10001 /var/lib/mockoci
COPY --from=build /opt/mockoci /opt/mockoci

# /fixtures is empty in the image: mount a folder of fixture files over it to load them at start.
# The CA that --tls and the proxy use is made in MOCKOCI_TLS_DIR on first use (mount a folder there to keep it);
# the proxy listens only when MOCKOCI_PROXY_PORT is set (12001 by convention).
ENV PATH=/opt/mockoci/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOCKOCI_HOST=0.0.0.0 \
    MOCKOCI_PORT=12000 \
    MOCKOCI_FIXTURES=/fixtures \
    MOCKOCI_TLS_DIR=/var/lib/mockoci/tls

USER 10001:10001
EXPOSE 12000 12001
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python3", "-c", "import os, ssl, urllib.request; e = os.environ; tls = e.get('MOCKOCI_TLS', '').lower() in ('1', 'true', 'yes', 'on') or bool(e.get('MOCKOCI_TLS_CERT')); urllib.request.urlopen('%s://127.0.0.1:%s/_mockoci/health' % ('https' if tls else 'http', e.get('MOCKOCI_PORT', '12000')), timeout=2, context=ssl._create_unverified_context())"]
CMD ["mockoci", "serve"]
