# fakeexports as a local stand-in:
#   docker build -t fakeexports . && docker run --rm -p 8080:8080 fakeexports
# BASE: any Debian-like image with python3 >= 3.11 and its venv module (docker/base.sh makes one from debootstrap
# where no image registry is reachable).
ARG BASE=python:3.11-slim
FROM ${BASE}

WORKDIR /src
COPY pyproject.toml README.md ./
COPY fakeexports ./fakeexports
COPY specs ./specs
COPY fixtures ./fixtures
# The wheel carries specs/ and fixtures/ inside the package (fakeexports/_data/); a venv of its own, so that a
# distribution's python (PEP 668) takes it as well as python:3.11-slim does.
RUN python3 -m venv /opt/fakeexports \
    && /opt/fakeexports/bin/pip install --no-cache-dir --disable-pip-version-check . \
    && rm -rf /src

WORKDIR /
ENV PATH=/opt/fakeexports/bin:$PATH \
    FAKEEXPORTS_PORT=8080 \
    FAKEEXPORTS_CA_DIR=/var/lib/fakeexports/ca
# the proxy's CA: mount a volume here to keep it across containers (docker run -v fakeexports-ca:/var/lib/fakeexports/ca)
VOLUME /var/lib/fakeexports/ca
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD ["fakeexports", "health"]
CMD ["fakeexports", "serve", "--host", "0.0.0.0"]
