# syntax=docker/dockerfile:1
# One image for every dualtrack process (API, relays, projectors, one-off commands);
# the command picks the process. Settings come only from the environment.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, read from pyproject.toml, so that a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > requirements.txt \
 && pip install -r requirements.txt
# The packages that pyproject.toml's [tool.setuptools.packages.find] includes.
COPY events/ events/
COPY contracts/ contracts/
COPY services/ services/
COPY dualtrack/ dualtrack/
RUN pip install --no-deps . \
 && dualtrack --help >/dev/null

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DUALTRACK_DATA_DIR=/var/lib/dualtrack \
    DUALTRACK_API_HOST=0.0.0.0 \
    DUALTRACK_API_PORT=8000
# Fixed uid/gid so that mounted volumes can be chowned ahead of time.
RUN groupadd --system --gid 10001 dualtrack \
 && useradd --system --uid 10001 --gid dualtrack --create-home --home-dir /home/dualtrack \
        --shell /usr/sbin/nologin dualtrack \
 && install -d -o dualtrack -g dualtrack /var/lib/dualtrack
COPY --from=build /opt/venv /opt/venv
# Numeric, so that runtimes can check it is not root (e.g. Kubernetes runAsNonRoot).
USER 10001:10001
WORKDIR /home/dualtrack
EXPOSE 8000
# No HEALTHCHECK here: relays and projectors serve no HTTP; the API's lives in docker-compose.yml.
ENTRYPOINT ["dualtrack"]
CMD ["serve"]
